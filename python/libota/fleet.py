"""The fleet inventory (include/ota.h, "The fleet inventory"): import snapshots, export the
inventory as a snapshot, read one vehicle with its ECU history. Documents are CBOR bytes."""
import ctypes

from ._native import Buf, fn, lib, take
from .store import c_db

PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint64)

fn("ota_fleet_import", ctypes.c_int, c_db, ctypes.c_char_p, ctypes.c_int64, ctypes.c_char_p, ctypes.c_size_t,
   PROGRESS_FN, ctypes.c_void_p, ctypes.POINTER(Buf))
fn("ota_fleet_export", ctypes.c_int, c_db, ctypes.c_int64, ctypes.POINTER(Buf))
fn("ota_vehicle_get", ctypes.c_int, c_db, ctypes.c_char_p, ctypes.POINTER(Buf))


def import_snapshot(store, actor, now, snapshot, progress=None):
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
    rc = lib.ota_fleet_import(store.handle, actor.encode(), ctypes.c_int64(now), data, len(data),
                              callback, None, ctypes.byref(buf))
    if raised:
        raise raised[0]
    store.check(rc)
    return take(buf)


def export(store, now):
    """The current inventory as a fleet snapshot with a string table (CBOR bytes)."""
    return store.call_buf(lib.ota_fleet_export, ctypes.c_int64(now))


def vehicle(store, vin):
    """One vehicle with every ECU's history (CBOR bytes); OTAError NOTFOUND if unknown."""
    return store.call_buf(lib.ota_vehicle_get, vin.encode() if isinstance(vin, str) else vin)
