"""The fleet inventory (include/ota.h, "The fleet inventory"): import snapshots, export the
inventory as a snapshot, read one vehicle with its ECU history.

The module functions are the raw layer (CBOR bytes in and out); `Store.fleet` (a `Fleet`)
gives the same with decoded documents.
"""
from __future__ import annotations

import ctypes
from typing import Callable, Optional

from . import documents as docs
from ._native import PROGRESS_FN, Buf, lib, take

__all__ = ["Fleet", "import_snapshot", "export", "vehicle", "PROGRESS_FN"]

Progress = Callable[[int, int], Optional[bool]]


def import_snapshot(store, actor: str, now: int, snapshot: bytes, progress: Optional[Progress] = None) -> bytes:
    """Loads snapshot (bytes) into the store and returns the summary (CBOR bytes).

    progress(done, total_or_0) is called at least every 10,000 vehicles; return False to
    cancel (OTAError CANCELLED, nothing changed). An exception it raises cancels the import
    and is raised again here."""
    raised = []

    def call(_ctx, done, total):
        try:
            return 0 if progress(done, total) is not False else 1
        except BaseException as e:  # noqa: BLE001 - re-raised below, never lost in C
            raised.append(e)
            return 1

    callback = PROGRESS_FN(call) if progress else PROGRESS_FN()
    buf = Buf()
    data = bytes(snapshot)
    rc = lib.ota_fleet_import(store.handle, store._actor(actor), now, data, len(data),
                              callback, None, ctypes.byref(buf))
    if raised:
        raise raised[0]
    store.check(rc)
    return take(buf)


def export(store, now: int) -> bytes:
    """The current inventory as a fleet snapshot with a string table (CBOR bytes)."""
    return store.call_buf(lib.ota_fleet_export, now)


def vehicle(store, vin) -> bytes:
    """One vehicle with every ECU's history (CBOR bytes); OTAError NOTFOUND if unknown."""
    return store.call_buf(lib.ota_vehicle_get, vin.encode() if isinstance(vin, str) else vin)


class Fleet:
    """The fleet inventory of an open Store, with decoded documents."""

    def __init__(self, store):
        self.store = store

    def import_snapshot(self, snapshot: bytes, progress: Optional[Progress] = None, *,
                        actor: Optional[str] = None, now: Optional[int] = None) -> dict:
        """Loads a fleet snapshot (CBOR bytes, docs/schemas/fleet-snapshot.cddl) in one
        transaction; returns the import summary ({"vehicles", "added", "changed", ...}).
        progress(done, total_or_0): see the module function."""
        return docs.decode(import_snapshot(self.store, actor, self.store._now(now), snapshot, progress))

    def export(self, now: Optional[int] = None) -> bytes:
        """The inventory as a fleet snapshot taken at `now` (CBOR bytes: a file to keep)."""
        return export(self.store, self.store._now(now))

    def vehicle(self, vin: str) -> dict:
        """One vehicle with every ECU's history (docs/schemas/vehicle.cddl)."""
        return docs.decode(vehicle(self.store, vin))
