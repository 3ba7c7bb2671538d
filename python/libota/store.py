"""The store handle (ota_db)."""
import ctypes

from ._native import OK, Buf, OTAError, check_free, cstr, fn, lib, take

c_db = ctypes.c_void_p


class OpenOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("flags", ctypes.c_uint), ("busy_timeout_ms", ctypes.c_int),
                ("bootstrap_admin", ctypes.c_char_p), ("now", ctypes.c_int64)]


READONLY, MUSTEXIST = 0x1, 0x2

fn("ota_open", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(c_db))
fn("ota_open_ex", ctypes.c_int, ctypes.c_char_p, ctypes.POINTER(OpenOptions), ctypes.POINTER(c_db))
fn("ota_close", ctypes.c_int, c_db)
fn("ota_errmsg", ctypes.c_char_p, c_db)
fn("ota_errcode", ctypes.c_int, c_db)
fn("ota_store_errcode", ctypes.c_int, c_db)
fn("ota_schema_version", ctypes.c_int, c_db, ctypes.POINTER(ctypes.c_int64))
fn("ota_audit_verify", ctypes.c_int, c_db, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_int64))
fn("ota_audit_head", ctypes.c_int, c_db, ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_uint8))
fn("ota_audit_list", ctypes.c_int, c_db, ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(Buf))


class Store:
    """An open libota store. One thread at a time; close() or use as a context manager."""

    def __init__(self, path, bootstrap_admin=None, now=0, flags=0, busy_timeout_ms=0):
        self._db = c_db()
        opts = OpenOptions(1, flags, busy_timeout_ms, cstr(bootstrap_admin), now)
        check_free(lib.ota_open_ex(cstr(path), ctypes.byref(opts), ctypes.byref(self._db)))

    @property
    def handle(self):
        if not self._db:
            raise ValueError("store is closed")
        return self._db

    def close(self):
        lib.ota_close(self._db)
        self._db = c_db()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def check(self, rc):
        """Raises for a failed call on this handle (message from ota_errmsg)."""
        if rc != OK:
            raise OTAError(rc, lib.ota_errmsg(self.handle).decode())

    def call_buf(self, fn_, *args):
        """Calls fn_(db, *args, &buf) and returns the bytes."""
        buf = Buf()
        self.check(fn_(self.handle, *args, ctypes.byref(buf)))
        return take(buf)

    @property
    def store_errcode(self):
        return lib.ota_store_errcode(self.handle)

    def schema_version(self):
        v = ctypes.c_int64()
        self.check(lib.ota_schema_version(self.handle, ctypes.byref(v)))
        return v.value

    def audit_verify(self):
        """(entries, first_bad); raises OTAError(CORRUPT) when the chain is broken."""
        n, bad = ctypes.c_int64(), ctypes.c_int64()
        rc = lib.ota_audit_verify(self.handle, ctypes.byref(n), ctypes.byref(bad))
        if rc != OK:
            err = OTAError(rc, lib.ota_errmsg(self.handle).decode())
            err.first_bad = bad.value
            raise err
        return n.value, bad.value

    def audit_head(self):
        seq, h = ctypes.c_int64(), (ctypes.c_uint8 * 32)()
        self.check(lib.ota_audit_head(self.handle, ctypes.byref(seq), h))
        return seq.value, bytes(h)

    def audit_list(self, after=0, limit=0):
        """The audit entries as CBOR bytes (decode with cbor2)."""
        return self.call_buf(lib.ota_audit_list, ctypes.c_int64(after), ctypes.c_int64(limit))
