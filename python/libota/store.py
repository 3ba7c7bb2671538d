"""The store handle (ota_db) and the Pythonic entry point to everything in it.

    with Store("ota.db", actor="alice@oem.example") as s:
        pkg = s.packages.register(manifest)          # a dict, or CBOR bytes
        pkg.validate(); ...
        c = s.campaigns.create(spec)
        c.approve(actor="bob@oem.example"); c.start(); c.step()
        for m in s.outbox.fetch(): ...                # publish m.payload on m.topic, m.retain
        s.ingest(topic, report)
        s.stats(c.id)

Calls that change state take the authenticated `actor` and a time `now` (Unix seconds): pass
them per call, or give the store a default `actor` and a `clock` (default: the system clock,
whole seconds). The library itself never reads a clock.
"""
from __future__ import annotations

import ctypes
import time
from typing import Any, Callable, Iterable, Optional

from . import documents as docs
from ._native import (MISUSE, OK, Buf, OpenOptions, OTAError, c_db, check_free, cstr, lib, require,
                      take)

READONLY, MUSTEXIST = 0x1, 0x2

__all__ = ["Store", "READONLY", "MUSTEXIST", "c_db"]


class Store:
    """An open libota store (one ota_db handle). Use it from one thread at a time; close()
    it, or use it as a context manager. Other handles (in this or other processes) may work on
    the same file at once.

    path: the store file (":memory:" for a private in-memory store).
    bootstrap_admin: named the store's first admin if it has none yet (audited at `now`).
    flags: READONLY and/or MUSTEXIST. busy_timeout_ms: 0 for the library's 5 s.
    actor: the default actor of the state-changing calls below.
    clock: a callable giving `now` when a call is not given one (default: time.time).
    """

    def __init__(self, path: str, bootstrap_admin: Optional[str] = None, now: Optional[int] = None,
                 flags: int = 0, busy_timeout_ms: int = 0, *, actor: Optional[str] = None,
                 clock: Optional[Callable[[], float]] = None):
        self.actor = actor
        self.clock = clock or time.time
        self._signer_callback = None
        self._db = c_db()
        opts = OpenOptions(1, flags, busy_timeout_ms, cstr(bootstrap_admin),
                           self._now(now) if bootstrap_admin else (now or 0))
        check_free(lib.ota_open_ex(cstr(str(path)), ctypes.byref(opts), ctypes.byref(self._db)))

    # -- the handle -----------------------------------------------------------------------

    @property
    def handle(self) -> c_db:
        """The raw ota_db pointer (for ctypes calls of your own)."""
        if not self._db:
            raise OTAError(MISUSE, "the store is closed")
        return self._db

    @property
    def closed(self) -> bool:
        return not self._db

    def close(self) -> None:
        """Closes the handle (idempotent)."""
        if self._db:
            lib.ota_close(self._db)
        self._db = c_db()
        self._signer_callback = None

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: the library may be gone already
            pass

    def check(self, rc: int) -> None:
        """Raises OTAError for a failed call on this handle (message from ota_errmsg)."""
        if rc != OK:
            raise OTAError(rc, lib.ota_errmsg(self.handle).decode(errors="replace"))

    def call_buf(self, fn_, *args) -> bytes:
        """Calls fn_(db, *args, &buf) and returns the bytes."""
        buf = Buf()
        self.check(fn_(self.handle, *args, ctypes.byref(buf)))
        return take(buf)

    def call_doc(self, fn_, *args) -> Any:
        """As call_buf, the CBOR decoded."""
        return docs.decode(self.call_buf(fn_, *args))

    def _actor(self, actor: Optional[str]) -> bytes:
        who = actor if actor is not None else self.actor
        if who is None:
            raise OTAError(MISUSE, "no actor: pass actor= or open the Store with actor=")
        return cstr(who)

    def _now(self, now: Optional[int]) -> int:
        return int(now) if now is not None else int(self.clock())

    def _c_function(self, name: str):
        return require(name)

    # -- the store ------------------------------------------------------------------------

    @property
    def store_errcode(self) -> int:
        """SQLite's extended code of the last OTA_STORE failure on this handle, else 0."""
        return lib.ota_store_errcode(self.handle)

    def schema_version(self) -> int:
        v = ctypes.c_int64()
        self.check(lib.ota_schema_version(self.handle, ctypes.byref(v)))
        return v.value

    # -- the audit trail ------------------------------------------------------------------

    def audit_verify(self) -> tuple[int, int]:
        """(entries, first_bad) of an intact chain; OTAError(CORRUPT) with `first_bad` set
        when it is broken."""
        n, bad = ctypes.c_int64(), ctypes.c_int64()
        rc = lib.ota_audit_verify(self.handle, ctypes.byref(n), ctypes.byref(bad))
        if rc != OK:
            err = OTAError(rc, lib.ota_errmsg(self.handle).decode(errors="replace"))
            err.first_bad = bad.value
            err.entries = n.value
            raise err
        return n.value, bad.value

    def audit_head(self) -> tuple[int, bytes]:
        """(seq, 32-byte hash) of the newest entry, to anchor outside the store."""
        seq, h = ctypes.c_int64(), (ctypes.c_uint8 * 32)()
        self.check(lib.ota_audit_head(self.handle, ctypes.byref(seq), h))
        return seq.value, bytes(h)

    def audit_list(self, after: int = 0, limit: int = 0) -> bytes:
        """The audit entries after seq `after` (at most `limit`; 0: all) as CBOR bytes."""
        return self.call_buf(lib.ota_audit_list, after, limit)

    def audit(self, after: int = 0, limit: int = 0) -> list[dict]:
        """The audit entries as dicts (docs/schemas/audit.cddl)."""
        return docs.decode(self.audit_list(after, limit))

    # -- roles ----------------------------------------------------------------------------

    def grant(self, who: str, role: str, *, actor: Optional[str] = None, now: Optional[int] = None) -> None:
        """Grants `role` to `who` (the actor must be an admin)."""
        self.check(lib.ota_grant(self.handle, self._actor(actor), self._now(now), cstr(who), cstr(role)))

    def revoke(self, who: str, role: str, *, actor: Optional[str] = None, now: Optional[int] = None) -> None:
        """Revokes `role` from `who` (the actor must be an admin)."""
        self.check(lib.ota_revoke(self.handle, self._actor(actor), self._now(now), cstr(who), cstr(role)))

    def roles(self, who: str) -> list[dict]:
        """The roles `who` holds: [{"role", "granted-by", "granted-at"}]."""
        return self.call_doc(lib.ota_roles, cstr(who))

    # -- signing --------------------------------------------------------------------------

    def set_signing_key(self, seed: Optional[bytes], kid: Optional[str]) -> None:
        """Signs approvals and messages with the Ed25519 key of a 32-byte seed, named `kid`;
        (None, None) removes the key."""
        from .packages import Packages
        Packages(self).set_signing_key(seed, kid)

    def set_signer(self, sign: Optional[Callable[[bytes], bytes]], public_key: Optional[bytes] = None,
                   kid: Optional[str] = None) -> None:
        """Signs through sign(message) -> 64-byte Ed25519 signature (an HSM, say)."""
        from .packages import Packages
        Packages(self).set_signer(sign, public_key, kid)

    def signing_public_key(self) -> bytes:
        """The 32-byte public key of the signing key or signer set on this handle."""
        from .packages import Packages
        return Packages(self).signing_public_key()

    # -- the parts ------------------------------------------------------------------------

    @property
    def fleet(self):
        """The fleet inventory: import_snapshot, export, vehicle (a `Fleet`)."""
        from .fleet import Fleet
        return Fleet(self)

    def vehicle(self, vin: str) -> dict:
        """One vehicle with every ECU's history (docs/schemas/vehicle.cddl)."""
        return self.fleet.vehicle(vin)

    @property
    def packages(self):
        """The packages: register, get, list (a `PackageCatalog`)."""
        from .packages import PackageCatalog
        return PackageCatalog(self)

    @property
    def campaigns(self):
        """The campaigns: create, get, list, step (a `Campaigns`)."""
        from .campaigns import Campaigns
        return Campaigns(self)

    @property
    def outbox(self):
        """Messages waiting to be published: fetch, ack (an `Outbox`)."""
        from .campaigns import Outbox
        return Outbox(self)

    @property
    def test_fleet(self):
        """The vehicles a test campaign may reach: add, remove (a `TestFleet`)."""
        from .campaigns import TestFleet
        return TestFleet(self)

    def set_vehicle_key(self, vin: str, public_key: bytes, *, actor: Optional[str] = None,
                        now: Optional[int] = None) -> None:
        """The vehicle's 32-byte Ed25519 public key: from now on its reports must be
        COSE_Sign1 signed by it."""
        from .campaigns import set_vehicle_key
        set_vehicle_key(self, vin, public_key, actor=actor, now=now)

    def ingest(self, topic: str, report: docs.DocumentInput, *, actor: Optional[str] = None,
               now: Optional[int] = None) -> dict:
        """One vehicle status report (a dict, CBOR bytes or COSE_Sign1 bytes) received on
        `topic`: {"result", "reason"?, "state"?}."""
        from .campaigns import ingest
        return ingest(self, topic, report, actor=actor, now=now)

    def ingest_batch(self, reports: Iterable[tuple[str, docs.DocumentInput]], *,
                     actor: Optional[str] = None, now: Optional[int] = None) -> list[dict]:
        """Several (topic, report) pairs in one transaction: one result per report, in order."""
        from .campaigns import ingest_batch
        return ingest_batch(self, reports, actor=actor, now=now)

    def stats(self, campaign: int, now: Optional[int] = None) -> dict:
        """The campaign's statistics document (design/campaigns.md section 8)."""
        return self.campaigns.get(campaign).stats(now=now)

    def vehicles(self, campaign: int, **filters) -> dict:
        """One page of the campaign's per-target rows: {"rows": [...], "next": ...}."""
        return self.campaigns.get(campaign).vehicles(**filters)
