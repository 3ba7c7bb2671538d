"""libota from Python: a ctypes binding of libota.so (include/ota.h) with Pythonic objects.

    import libota
    with libota.Store("ota.db", actor="erin@oem.example") as s:
        summary = s.fleet.import_snapshot(open("fleet.cbor", "rb").read())
        pkg = s.packages.register(manifest)       # dict -> CBOR; returns a Package
        print(pkg.info()["state"])

Every failure raises `OTAError` (`.code`, `.name`, `.message`). Documents are dicts
(decoded with cbor2). The library is found through $OTA_LIB, inside this package (wheels),
build/ of the source tree, or the system's library path.
"""
from ._native import (CODE_NAMES, OTAError, code_name, has, lib, libversion_number)
from .campaigns import Campaign, Campaigns, Outbox, OutboxMessage, TestFleet, has_campaigns, message_document
from .packages import Package, PackageCatalog
from .store import MUSTEXIST, READONLY, Store

__version__ = "0.1.0"

__all__ = ["OTAError", "Store", "Package", "PackageCatalog", "Campaign", "Campaigns", "Outbox",
           "OutboxMessage", "TestFleet", "READONLY", "MUSTEXIST", "CODE_NAMES", "code_name", "has", "has_campaigns",
           "lib", "libversion_number", "message_document", "__version__"]
