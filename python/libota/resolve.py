"""Target resolution (ota_resolve): a target rule over a fleet snapshot, both CBOR."""
import ctypes
import os

import cbor2

from ._native import Buf, check_free, lib, take


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
    """As resolve(), over a snapshot file that the library maps (ota_resolve_file): a large
    fleet is never copied into Python or into libota."""
    r = _rule_bytes(rule)
    out = Buf()
    check_free(lib.ota_resolve_file(os.fsencode(path), bytes(r), len(r), ctypes.byref(out)))
    return take(out)


def resolution(snapshot, rule):
    """resolve(), decoded: {"scanned": n, "targets": [[vin, hw, from, serial], ...], "excluded": {...}}."""
    return cbor2.loads(resolve(snapshot, rule))
