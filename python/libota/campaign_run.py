"""Campaign stepping and the outbox (include/ota.h, section "Campaign stepping and the
outbox"): start, pause, resume, abort, step, fetch, ack. Documents are CBOR bytes
(docs/schemas/message.cddl); decode them with cbor2."""
from ._native import cstr, int64_array, lib


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
        return self.store.call_buf(lib.ota_campaign_step, cstr(actor), now, cid)

    def fetch(self, limit=1000):
        """Pending messages (CBOR bytes: [* [id, topic, payload, retain]]), oldest first."""
        return self.store.call_buf(lib.ota_outbox_fetch, limit)

    def ack(self, ids):
        arr = int64_array(ids)
        self.store.check(lib.ota_outbox_ack(self.store.handle, arr, len(ids)))
