"""Update management (include/ota.h, section "Packages"): registration, lifecycle, file checks
and signatures. Documents are CBOR bytes (docs/schemas/package.cddl); decode them with cbor2."""
import ctypes

from ._native import Buf, cstr, fn, lib
from .store import c_db

c_int, c_i64, c_size = ctypes.c_int, ctypes.c_int64, ctypes.c_size_t
u8p = ctypes.POINTER(ctypes.c_uint8)

# int (*ota_sign_fn)(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[64])
SIGN_FN = ctypes.CFUNCTYPE(c_int, ctypes.c_void_p, u8p, c_size, u8p)

fn("ota_package_register", c_int, c_db, ctypes.c_char_p, c_i64, ctypes.c_char_p, c_size, ctypes.POINTER(c_i64))
fn("ota_package_get", c_int, c_db, c_i64, ctypes.POINTER(Buf))
fn("ota_package_list", c_int, c_db, ctypes.c_char_p, c_size, ctypes.POINTER(Buf))
fn("ota_package_verify_file", c_int, c_db, ctypes.c_char_p, c_i64, c_i64, ctypes.c_char_p, ctypes.c_char_p)
for _name in ("validate", "approve", "release"):
    fn(f"ota_package_{_name}", c_int, c_db, ctypes.c_char_p, c_i64, c_i64)
fn("ota_package_withdraw", c_int, c_db, ctypes.c_char_p, c_i64, c_i64, ctypes.c_char_p)
fn("ota_package_signature", c_int, c_db, c_i64, ctypes.POINTER(Buf))
fn("ota_set_signing_key", c_int, c_db, ctypes.c_char_p, ctypes.c_char_p)
fn("ota_set_signer", c_int, c_db, SIGN_FN, ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p)
fn("ota_signing_public_key", c_int, c_db, ctypes.POINTER(ctypes.c_uint8 * 32))


class Packages:
    """The packages of an open `Store`. Every method raises `OTAError` on failure."""

    def __init__(self, store):
        self.store = store

    def register(self, actor, now, manifest):
        """Registers CBOR manifest bytes as a draft; returns the package id."""
        pid = c_i64()
        self.store.check(lib.ota_package_register(self.store.handle, cstr(actor), now, manifest,
                                                  len(manifest), ctypes.byref(pid)))
        return pid.value

    def get(self, pid):
        """The package-info document (CBOR bytes)."""
        return self.store.call_buf(lib.ota_package_get, c_i64(pid))

    def list(self, filter_cbor=None):
        """The package-list document (CBOR bytes); filter_cbor is a package-filter or None."""
        data = filter_cbor or None
        return self.store.call_buf(lib.ota_package_list, data, len(filter_cbor or b""))

    def verify_file(self, actor, now, pid, name, path):
        """Hashes the local file at path against the manifest's file called name. A mismatch
        is recorded, then raised as OTAError(CORRUPT)."""
        self.store.check(lib.ota_package_verify_file(self.store.handle, cstr(actor), now, pid,
                                                     cstr(name), str(path).encode()))

    def validate(self, actor, now, pid):
        self.store.check(lib.ota_package_validate(self.store.handle, cstr(actor), now, pid))

    def approve(self, actor, now, pid):
        self.store.check(lib.ota_package_approve(self.store.handle, cstr(actor), now, pid))

    def release(self, actor, now, pid):
        self.store.check(lib.ota_package_release(self.store.handle, cstr(actor), now, pid))

    def withdraw(self, actor, now, pid, reason):
        self.store.check(lib.ota_package_withdraw(self.store.handle, cstr(actor), now, pid, cstr(reason)))

    def signature(self, pid):
        """The COSE_Sign1 bytes made at approval."""
        return self.store.call_buf(lib.ota_package_signature, c_i64(pid))

    def set_signing_key(self, seed, kid):
        """Signs approvals with the Ed25519 key from a 32-byte seed; (None, None) removes it."""
        if seed is not None and len(seed) != 32:
            raise ValueError("seed must be 32 bytes")
        self.store.check(lib.ota_set_signing_key(self.store.handle, seed, cstr(kid)))

    def set_signer(self, sign, public_key, kid):
        """Signs approvals through sign(message: bytes) -> 64-byte signature (an HSM, say).
        An exception or a wrong length fails the approval. sign=None removes the signer."""
        if sign is None:
            self.store._signer_callback = None
            self.store.check(lib.ota_set_signer(self.store.handle, SIGN_FN(), None, None, None))
            return

        def trampoline(_ctx, msg, length, out):
            try:
                sig = sign(ctypes.string_at(msg, length) if length else b"")
                if len(sig) != 64:
                    return 2
                ctypes.memmove(out, sig, 64)
                return 0
            except Exception:  # never let a Python exception unwind through C
                return 1

        callback = SIGN_FN(trampoline)
        self.store.check(lib.ota_set_signer(self.store.handle, callback, None, public_key, cstr(kid)))
        # The library keeps the function pointer: keep the ctypes object alive with the store.
        self.store._signer_callback = callback

    def signing_public_key(self):
        out = (ctypes.c_uint8 * 32)()
        self.store.check(lib.ota_signing_public_key(self.store.handle, ctypes.byref(out)))
        return bytes(out)
