"""Update management (include/ota.h, section "Packages"): registration, lifecycle, file checks
and signatures.

`Packages` is the raw layer (CBOR bytes in and out, docs/schemas/package.cddl);
`Store.packages` (a `PackageCatalog`) and its `Package` objects give the same with dicts.
"""
from __future__ import annotations

import ctypes
import os
from pathlib import Path
from typing import Callable, Optional, Union

from . import documents as docs
from ._native import BADINPUT, SIGN_FN, OTAError, cstr, lib

__all__ = ["Packages", "PackageCatalog", "Package", "SIGN_FN"]

c_i64 = ctypes.c_int64


class Packages:
    """The raw layer over the packages of an open `Store`: CBOR bytes in and out, actor and
    now passed explicitly. Every method raises `OTAError` on failure."""

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
        return self.store.call_buf(lib.ota_package_get, pid)

    def list(self, filter_cbor=None):
        """The package-list document (CBOR bytes); filter_cbor is a package-filter or None."""
        data = filter_cbor or None
        return self.store.call_buf(lib.ota_package_list, data, len(filter_cbor or b""))

    def verify_file(self, actor, now, pid, name, path):
        """Hashes the local file at path against the manifest's file called name. A mismatch
        is recorded, then raised as OTAError(CORRUPT)."""
        self.store.check(lib.ota_package_verify_file(self.store.handle, cstr(actor), now, pid,
                                                     cstr(name), os.fsencode(path)))

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
        return self.store.call_buf(lib.ota_package_signature, pid)

    def set_signing_key(self, seed, kid):
        """Signs approvals with the Ed25519 key from a 32-byte seed; (None, None) removes it."""
        if seed is not None and len(seed) != 32:
            raise OTAError(BADINPUT, f"an Ed25519 seed is 32 bytes, not {len(seed)}")
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

        if public_key is not None and len(public_key) != 32:  # the C call reads 32 bytes
            raise OTAError(BADINPUT, f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
        callback = SIGN_FN(trampoline)
        self.store.check(lib.ota_set_signer(self.store.handle, callback, None, public_key, cstr(kid)))
        # The library keeps the function pointer: keep the ctypes object alive with the store.
        self.store._signer_callback = callback

    def signing_public_key(self):
        out = (ctypes.c_uint8 * 32)()
        self.store.check(lib.ota_signing_public_key(self.store.handle, ctypes.byref(out)))
        return bytes(out)


class Package:
    """One package of a store, by id. Its documents are read fresh on every call; the
    lifecycle methods take `actor` and `now` (defaults: the Store's)."""

    def __init__(self, store, pid: int):
        self.store = store
        self.id = int(pid)
        self._raw = Packages(store)

    def __repr__(self) -> str:
        return f"<Package {self.id}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Package) and other.id == self.id and other.store is self.store

    def __hash__(self) -> int:
        return hash(self.id)

    def info(self) -> dict:
        """The package-info document: {"id", "state", "manifest", "files", "history",
        "signature"} (docs/schemas/package.cddl)."""
        return docs.decode(self._raw.get(self.id))

    @property
    def state(self) -> str:
        """draft, validated, approved, released or withdrawn."""
        return self.info()["state"]

    @property
    def manifest(self) -> dict:
        """The canonical manifest as stored."""
        return self.info()["manifest"]

    def verify_file(self, name: str, path: Union[str, Path], *, actor: Optional[str] = None,
                    now: Optional[int] = None) -> None:
        """Hashes the local file at `path` against the manifest's file `name` (role
        engineer). A mismatch is recorded, then raised as OTAError(CORRUPT)."""
        self.store.check(lib.ota_package_verify_file(self.store.handle, self.store._actor(actor),
                                                     self.store._now(now), self.id, cstr(name),
                                                     os.fsencode(path)))

    def _move(self, fn_, actor, now) -> "Package":
        self.store.check(fn_(self.store.handle, self.store._actor(actor), self.store._now(now), self.id))
        return self

    def validate(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Package":
        """draft -> validated (role engineer; every file verified)."""
        return self._move(lib.ota_package_validate, actor, now)

    def approve(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Package":
        """validated -> approved and signed (role approver, not the registrant; needs a
        signing key or signer on the handle)."""
        return self._move(lib.ota_package_approve, actor, now)

    def release(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Package":
        """approved -> released (role approver or campaign-manager)."""
        return self._move(lib.ota_package_release, actor, now)

    def withdraw(self, reason: str, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Package":
        """Any state but withdrawn -> withdrawn, with a reason."""
        self.store.check(lib.ota_package_withdraw(self.store.handle, self.store._actor(actor),
                                                  self.store._now(now), self.id, cstr(reason)))
        return self

    def signature(self) -> bytes:
        """The tagged COSE_Sign1 made at approval (bytes)."""
        return self._raw.signature(self.id)


class PackageCatalog:
    """The packages of an open Store, as `Package` objects and dicts."""

    def __init__(self, store):
        self.store = store

    def register(self, manifest: docs.DocumentInput, *, actor: Optional[str] = None,
                 now: Optional[int] = None) -> Package:
        """Registers a manifest (a dict or CBOR bytes) as a new draft package."""
        raw = docs.encode(manifest)
        pid = c_i64()
        self.store.check(lib.ota_package_register(self.store.handle, self.store._actor(actor),
                                                  self.store._now(now), raw, len(raw), ctypes.byref(pid)))
        return Package(self.store, pid.value)

    def get(self, pid: int) -> Package:
        """The package `pid`; OTAError(NOTFOUND) if there is none."""
        p = Package(self.store, pid)
        p.info()
        return p

    __getitem__ = get

    def list(self, *, ecu: Optional[str] = None, state: Optional[str] = None,
             model: Optional[str] = None) -> list[dict]:
        """Summaries ({"id", "name", "version", "ecu", "to", "category", "release-type",
        "release-counter", "state"}) of the packages that pass the filter, by id."""
        flt = {k: v for k, v in (("ecu", ecu), ("state", state), ("model", model)) if v is not None}
        return docs.decode(Packages(self.store).list(docs.encode(flt) if flt else None))

    def __iter__(self):
        return (Package(self.store, row["id"]) for row in self.list())
