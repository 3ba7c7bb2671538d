"""Campaign stepping and the outbox (include/ota.h, section "Campaign stepping and the
outbox"): start, pause, resume, abort, step, fetch, ack. Documents are CBOR bytes
(docs/schemas/message.cddl); decode them with cbor2."""
import ctypes

from ._native import Buf, cstr, fn, lib
from .store import c_db

c_int, c_i64, c_size = ctypes.c_int, ctypes.c_int64, ctypes.c_size_t

for _name in ("start", "pause", "resume"):
    fn(f"ota_campaign_{_name}", c_int, c_db, ctypes.c_char_p, c_i64, c_i64)
fn("ota_campaign_abort", c_int, c_db, ctypes.c_char_p, c_i64, c_i64, ctypes.c_char_p)
fn("ota_campaign_step", c_int, c_db, ctypes.c_char_p, c_i64, c_i64, ctypes.POINTER(Buf))
fn("ota_outbox_fetch", c_int, c_db, c_i64, ctypes.POINTER(Buf))
fn("ota_outbox_ack", c_int, c_db, ctypes.POINTER(c_i64), c_size)


class CampaignRun:
    """Running campaigns on an open `Store`. Every method raises `OTAError` on failure."""

    def __init__(self, store):
        self.store = store

    def start(self, actor, now, cid):
        self.store.check(lib.ota_campaign_start(self.store.handle, cstr(actor), now, cid))

    def pause(self, actor, now, cid):
        self.store.check(lib.ota_campaign_pause(self.store.handle, cstr(actor), now, cid))

    def resume(self, actor, now, cid):
        self.store.check(lib.ota_campaign_resume(self.store.handle, cstr(actor), now, cid))

    def abort(self, actor, now, cid, reason):
        self.store.check(lib.ota_campaign_abort(self.store.handle, cstr(actor), now, cid, cstr(reason)))

    def step(self, actor, now, cid=0):
        """The step's result (CBOR bytes, message.cddl step-result); cid 0 steps every due one."""
        return self.store.call_buf(lib.ota_campaign_step, cstr(actor), c_i64(now), c_i64(cid))

    def fetch(self, limit=1000):
        """Pending messages (CBOR bytes: [* [id, topic, payload, retain]]), oldest first."""
        return self.store.call_buf(lib.ota_outbox_fetch, c_i64(limit))

    def ack(self, ids):
        arr = (c_i64 * len(ids))(*ids)
        self.store.check(lib.ota_outbox_ack(self.store.handle, arr, len(ids)))
