"""ctypes binding of libota (include/ota.h). Loads libota.so from $OTA_LIB, or from
../build/libota.so next to this package, or from the system's library path."""
from ._native import OTAError, lib, libversion_number
from .store import Store

__all__ = ["OTAError", "Store", "lib", "libversion_number"]
