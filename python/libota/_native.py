"""Loading of libota.so, the ota_buf type, result codes and errors."""
import ctypes
import os
from pathlib import Path

OK, ERROR, BADINPUT, NOTFOUND, CONFLICT, DENIED, MISUSE, NOMEM, STORE, IO, CORRUPT, TOONEW, CANCELLED = range(13)


class Buf(ctypes.Structure):
    """struct ota_buf: bytes owned by the library until ota_buf_free."""
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8)), ("len", ctypes.c_size_t)]


def _load():
    candidates = [os.environ.get("OTA_LIB"),
                  str(Path(__file__).resolve().parents[2] / "build" / "libota.so"),
                  "libota.so"]
    for path in candidates:
        if path and (os.path.exists(path) or path == "libota.so"):
            return ctypes.CDLL(path)
    raise OSError("libota.so not found: set OTA_LIB")


lib = _load()


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_fn("ota_libversion_number", ctypes.c_int)
_fn("ota_code_name", ctypes.c_char_p, ctypes.c_int)
_fn("ota_buf_free", None, ctypes.POINTER(Buf))
_fn("ota_last_errmsg", ctypes.c_char_p)


class OTAError(Exception):
    """A libota result code other than OTA_OK, with the library's message."""

    def __init__(self, code, message):
        self.code = code
        self.name = lib.ota_code_name(code).decode()
        self.message = message
        super().__init__(f"{self.name}: {message}")


def libversion_number():
    return lib.ota_libversion_number()


def check_free(rc):
    """Raises for a failed handle-free call (message from ota_last_errmsg)."""
    if rc != OK:
        raise OTAError(rc, lib.ota_last_errmsg().decode())


def take(buf):
    """Copies an ota_buf's bytes into Python and frees the buffer."""
    try:
        return ctypes.string_at(buf.data, buf.len) if buf.len else b""
    finally:
        lib.ota_buf_free(ctypes.byref(buf))


def cstr(s):
    return None if s is None else s.encode()


fn = _fn
