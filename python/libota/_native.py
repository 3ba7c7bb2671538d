"""Loading of libota.so, the C types of every function, result codes and the one exception.

Every function of include/ota.h gets its argtypes and restype here, when the package is
imported; the campaign and status calls of the campaign design (docs/ and
design/campaigns.md section 9) are declared only when the loaded library has them, so
`has("ota_campaign_create")` tells whether this build of libota manages campaigns.

The library is looked for, in order: the path in $OTA_LIB; libota.so inside this package
(the wheel carries it there); build/libota.so of the source tree this package sits in; the
system's library path (ctypes.util.find_library("ota")).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from pathlib import Path
from typing import Callable, Optional

OK, ERROR, BADINPUT, NOTFOUND, CONFLICT, DENIED, MISUSE, NOMEM, STORE, IO, CORRUPT, TOONEW, CANCELLED = range(13)
CODE_NAMES = ("OTA_OK", "OTA_ERROR", "OTA_BADINPUT", "OTA_NOTFOUND", "OTA_CONFLICT", "OTA_DENIED",
              "OTA_MISUSE", "OTA_NOMEM", "OTA_STORE", "OTA_IO", "OTA_CORRUPT", "OTA_TOONEW",
              "OTA_CANCELLED")


class Buf(ctypes.Structure):
    """struct ota_buf: bytes owned by the library until ota_buf_free."""
    _fields_ = [("data", ctypes.POINTER(ctypes.c_uint8)), ("len", ctypes.c_size_t)]


class OpenOptions(ctypes.Structure):
    """struct ota_open_options (version 1)."""
    _fields_ = [("version", ctypes.c_uint), ("flags", ctypes.c_uint), ("busy_timeout_ms", ctypes.c_int),
                ("bootstrap_admin", ctypes.c_char_p), ("now", ctypes.c_int64)]


def library_candidates() -> list[str]:
    """The paths tried, in order (see the module's docstring)."""
    env = os.environ.get("OTA_LIB")
    if env:
        return [env]  # an explicit choice is never silently replaced by another library
    here = Path(__file__).resolve().parent
    out = [str(here / "libota.so"), str(here.parents[1] / "build" / "libota.so")]
    found = ctypes.util.find_library("ota")
    out.append(found or "libota.so")
    return out


def _open_library() -> ctypes.CDLL:
    tried = []
    for path in library_candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(f"{path} (missing)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append(f"{path} ({e})")
    raise OSError("libota.so not found; set OTA_LIB to its path. Tried: " + "; ".join(tried))


class _Library:
    """libota.so, loaded (and every function's types declared) on first use, so that importing
    the package never fails: a missing library is an OSError at the first call instead, which
    the command line reports in one line."""

    def __init__(self):
        self._cdll = None

    def _load(self) -> ctypes.CDLL:
        if self._cdll is None:
            cdll = _open_library()
            for name, (res, args) in HEADER_FUNCTIONS.items():
                _declare(cdll, name, res, args)
            for name, (res, args) in {**CAMPAIGN_FUNCTIONS, **EXTRA_FUNCTIONS}.items():
                if hasattr(cdll, name):
                    _declare(cdll, name, res, args)
            self._cdll = cdll
        return self._cdll

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        f = _raising_badinput(name, getattr(self._load(), name))
        setattr(self, name, f)  # found here from now on, without __getattr__
        return f


def _raising_badinput(name: str, f):
    """f, with an argument its argtypes refuse (an int outside int64_t, a string with U+0000,
    text where bytes belong) raised as OTAError(BADINPUT) like every other bad input."""
    if not isinstance(f, ctypes._CFuncPtr):
        return f

    def call(*args):
        try:
            return f(*args)
        except ctypes.ArgumentError as e:
            raise OTAError(BADINPUT, f"{name}: {e}") from None
    call.__name__ = name
    return call


class I64:
    """int64_t: an int outside its range is refused, where ctypes would silently wrap it
    (2**64 + 1 would name campaign 1)."""

    @classmethod
    def from_param(cls, value):
        if isinstance(value, int) and not -2**63 <= value < 2**63:
            raise ValueError(f"{value} is outside int64_t")
        return ctypes.c_int64.from_param(value)


def int64_array(values) -> ctypes.Array:
    """An int64_t[] of the ints, refusing one outside int64_t as I64 does (ctypes arrays wrap:
    an id of 2**64 + 1 would acknowledge message 1)."""
    values = [int(v) for v in values]
    for v in values:
        if not -2**63 <= v < 2**63:
            raise OTAError(BADINPUT, f"{v} is outside int64_t")
    return (ctypes.c_int64 * len(values))(*values)


class CStr:
    """const char * of a NUL-terminated string: one with U+0000 inside is refused, where C
    would see only the text before it (an actor "alice\\0mallory" would act as alice)."""

    @classmethod
    def from_param(cls, value):
        if isinstance(value, (bytes, bytearray)) and b"\0" in value:
            raise ValueError(f"{bytes(value)[:40]!r} contains U+0000")
        return ctypes.c_char_p.from_param(value)


lib = _Library()

# C types, named as in ota.h.
c_int, c_u64, c_size = ctypes.c_int, ctypes.c_uint64, ctypes.c_size_t
c_i64, c_str = I64, CStr                     # arguments, checked: see I64 and CStr
c_text = ctypes.c_char_p                     # const char * returned
c_db = ctypes.c_void_p                       # ota_db *
p_db = ctypes.POINTER(c_db)                  # ota_db **
p_buf = ctypes.POINTER(Buf)                  # ota_buf *
p_i64 = ctypes.POINTER(ctypes.c_int64)              # int64_t *
u8p = ctypes.POINTER(ctypes.c_uint8)         # uint8_t *
key32 = ctypes.POINTER(ctypes.c_uint8 * 32)  # uint8_t out[32]
data = ctypes.c_char_p                       # const uint8_t * (bytes; None for NULL)

# typedef int (*ota_progress_fn)(void *ctx, uint64_t done, uint64_t total_or_0);
PROGRESS_FN = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, c_u64, c_u64)
# typedef int (*ota_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64]);
SIGN_FN = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, u8p, c_size, u8p)

# name: (restype, argtypes): the whole of include/ota.h.
HEADER_FUNCTIONS: dict[str, tuple] = {
    "ota_libversion_number": (c_int, []),
    "ota_code_name": (c_text, [c_int]),
    "ota_buf_free": (None, [p_buf]),
    "ota_last_errmsg": (c_text, []),
    "ota_open": (c_int, [c_str, p_db]),
    "ota_open_ex": (c_int, [c_str, ctypes.POINTER(OpenOptions), p_db]),
    "ota_close": (c_int, [c_db]),
    "ota_errmsg": (c_text, [c_db]),
    "ota_errcode": (c_int, [c_db]),
    "ota_store_errcode": (c_int, [c_db]),
    "ota_schema_version": (c_int, [c_db, p_i64]),
    "ota_audit_verify": (c_int, [c_db, p_i64, p_i64]),
    "ota_audit_head": (c_int, [c_db, p_i64, u8p]),
    "ota_audit_list": (c_int, [c_db, c_i64, c_i64, p_buf]),
    "ota_resolve": (c_int, [ctypes.c_void_p, c_size, data, c_size, p_buf]),
    "ota_resolve_file": (c_int, [c_str, data, c_size, p_buf]),
    "ota_fleet_import": (c_int, [c_db, c_str, c_i64, data, c_size, PROGRESS_FN, ctypes.c_void_p, p_buf]),
    "ota_fleet_export": (c_int, [c_db, c_i64, p_buf]),
    "ota_vehicle_get": (c_int, [c_db, c_str, p_buf]),
    "ota_grant": (c_int, [c_db, c_str, c_i64, c_str, c_str]),
    "ota_revoke": (c_int, [c_db, c_str, c_i64, c_str, c_str]),
    "ota_roles": (c_int, [c_db, c_str, p_buf]),
    "ota_package_register": (c_int, [c_db, c_str, c_i64, data, c_size, p_i64]),
    "ota_package_get": (c_int, [c_db, c_i64, p_buf]),
    "ota_package_list": (c_int, [c_db, data, c_size, p_buf]),
    "ota_package_verify_file": (c_int, [c_db, c_str, c_i64, c_i64, c_str, c_str]),
    "ota_package_validate": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_package_approve": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_package_release": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_package_withdraw": (c_int, [c_db, c_str, c_i64, c_i64, c_str]),
    "ota_package_signature": (c_int, [c_db, c_i64, p_buf]),
    "ota_set_signing_key": (c_int, [c_db, data, c_str]),
    "ota_set_signer": (c_int, [c_db, SIGN_FN, ctypes.c_void_p, data, c_str]),
    "ota_signing_public_key": (c_int, [c_db, key32]),
}

# Campaigns and status (design/campaigns.md section 9): declared when the library has them.
CAMPAIGN_FUNCTIONS: dict[str, tuple] = {
    "ota_campaign_create": (c_int, [c_db, c_str, c_i64, data, c_size, p_i64]),
    "ota_campaign_validate": (c_int, [c_db, c_i64, p_buf]),
    "ota_campaign_approve": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_campaign_start": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_campaign_pause": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_campaign_resume": (c_int, [c_db, c_str, c_i64, c_i64]),
    "ota_campaign_abort": (c_int, [c_db, c_str, c_i64, c_i64, c_str]),
    "ota_campaign_step": (c_int, [c_db, c_str, c_i64, c_i64, p_buf]),
    "ota_campaign_get": (c_int, [c_db, c_i64, p_buf]),
    "ota_campaign_list": (c_int, [c_db, data, c_size, p_buf]),
    "ota_campaign_stats": (c_int, [c_db, c_i64, c_i64, p_buf]),
    "ota_campaign_vehicles": (c_int, [c_db, c_i64, data, c_size, p_buf]),
    "ota_outbox_fetch": (c_int, [c_db, c_i64, p_buf]),
    "ota_outbox_ack": (c_int, [c_db, p_i64, c_size]),
    "ota_test_fleet_add": (c_int, [c_db, c_str, c_i64, data, c_size]),
    "ota_test_fleet_remove": (c_int, [c_db, c_str, c_i64, data, c_size]),
    "ota_vehicle_set_key": (c_int, [c_db, c_str, c_i64, c_str, data]),
    "ota_status_ingest": (c_int, [c_db, c_str, c_i64, c_str, data, c_size, p_buf]),
    "ota_status_ingest_batch": (c_int, [c_db, c_str, c_i64, data, c_size, p_buf]),
}


# Calls that other branches of this version add (declared when the library has them).
EXTRA_FUNCTIONS: dict[str, tuple] = {
    "ota_open_options_init": (c_int, [ctypes.POINTER(OpenOptions), ctypes.c_uint]),
}


def _declare(cdll: ctypes.CDLL, name: str, restype, argtypes) -> None:
    f = getattr(cdll, name)
    f.restype = restype
    f.argtypes = list(argtypes)


def has(name: str) -> bool:
    """Whether the loaded libota exports the C function `name` (for example the campaign
    calls, which older builds lack)."""
    return hasattr(lib, name)


def code_name(code: int) -> str:
    """The symbolic name of a result code ("OTA_CONFLICT")."""
    return lib.ota_code_name(code).decode()


class OTAError(Exception):
    """Every failure of libota and of this binding: `code` (an int, OTA_* of ota.h), `name`
    ("OTA_CONFLICT") and the library's `message` (what was wrong and where).
    `str(e)` is "OTA_CONFLICT: message"."""

    code: int
    name: str
    message: str

    def __init__(self, code: int, message: str):
        self.code = code
        self.name = code_name(code)
        self.message = message
        super().__init__(f"{self.name}: {message}")


def libversion_number() -> int:
    """The linked library's version number (major * 1000000 + minor * 1000 + patch)."""
    return lib.ota_libversion_number()


def check_free(rc: int) -> None:
    """Raises for a failed handle-free call (message from ota_last_errmsg)."""
    if rc != OK:
        raise OTAError(rc, lib.ota_last_errmsg().decode(errors="replace"))


def take(buf: Buf) -> bytes:
    """Copies an ota_buf's bytes into Python and frees the buffer."""
    try:
        return ctypes.string_at(buf.data, buf.len) if buf.len else b""
    finally:
        lib.ota_buf_free(ctypes.byref(buf))


def cstr(s: Optional[str]) -> Optional[bytes]:
    """A str as the NUL-terminated UTF-8 the C API takes (None stays NULL)."""
    if s is None or isinstance(s, bytes):
        return s
    return s.encode()


def require(name: str) -> Callable:
    """The C function `name`, or OTAError(MISUSE) when this libota lacks it."""
    if not hasattr(lib, name):
        raise OTAError(MISUSE, f"this libota ({lib._name}) has no {name}: it was built without "
                               "campaign management")
    return getattr(lib, name)

