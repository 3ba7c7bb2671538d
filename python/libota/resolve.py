"""Target resolution (ota_resolve): a target rule over a fleet snapshot, both CBOR."""
import ctypes
import mmap
import os

import cbor2

from ._native import Buf, check_free, fn, lib, take

fn("ota_resolve", ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t,
   ctypes.POINTER(Buf))


def _rule_bytes(rule):
    return rule if isinstance(rule, (bytes, bytearray)) else cbor2.dumps(rule)


def _call(ptr, length, rule):
    r = _rule_bytes(rule)
    out = Buf()
    check_free(lib.ota_resolve(ptr, length, bytes(r), len(r), ctypes.byref(out)))
    return take(out)


def resolve(snapshot, rule):
    """The resolution document (CBOR bytes) of `rule` (a dict, or CBOR bytes) over
    `snapshot` (bytes). Raises libota.OTAError."""
    data = bytes(snapshot)  # no copy for bytes; ctypes passes a pointer to its buffer
    return _call(data, len(data), rule)


def resolve_file(path, rule):
    """As resolve(), over a snapshot file mapped into memory (never copied into Python)."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            return _call(None, 0, rule)  # mmap cannot map an empty file; the library says why
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) as m:
            view = (ctypes.c_char * len(m)).from_buffer(m)
            try:
                return _call(ctypes.addressof(view), len(m), rule)
            finally:
                del view  # release the export before the map closes


def resolution(snapshot, rule):
    """resolve(), decoded: {"scanned": n, "targets": [[vin, hw, from, serial], ...], "excluded": {...}}."""
    return cbor2.loads(resolve(snapshot, rule))
