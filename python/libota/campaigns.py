"""Campaign management and the loop back from the vehicles (design/campaigns.md): campaigns
and their life cycle, the step, the outbox of signed messages, status reports, statistics.

These calls exist only in a libota built with campaign management (`libota.has_campaigns()`);
on an older build every method raises OTAError(MISUSE) naming the missing C function.
Documents are dicts (design/campaigns.md section 8); inputs may be dicts or CBOR bytes.
"""
from __future__ import annotations

import ctypes
from typing import Any, Iterable, Iterator, NamedTuple, Optional

import cbor2

from . import documents as docs
from ._native import BADINPUT, Buf, OTAError, cstr, has, int64_array, require, take

__all__ = ["Campaign", "Campaigns", "Outbox", "OutboxMessage", "TestFleet", "ingest", "ingest_batch",
           "set_vehicle_key", "has_campaigns", "message_document", "CAMPAIGN_STATES",
           "TARGET_STATES"]

CAMPAIGN_STATES = ("draft", "approved", "scheduled", "running", "paused", "completed", "aborted")
TARGET_STATES = ("pending", "queued", "notified", "accepted", "deferred", "declined", "downloading",
                 "downloaded", "installing", "succeeded", "failed", "expired", "cancelled")


def has_campaigns() -> bool:
    """Whether the loaded libota has the campaign and status calls."""
    return has("ota_campaign_create") and has("ota_status_ingest")


def _buf_call(store, name: str, *args) -> bytes:
    buf = Buf()
    store.check(require(name)(store.handle, *args, ctypes.byref(buf)))
    return take(buf)


class Campaign:
    """One campaign of a store, by id. Documents are read fresh on every call; the state
    changes take `actor` and `now` (defaults: the Store's)."""

    def __init__(self, store, cid: int):
        self.store = store
        self.id = int(cid)

    def __repr__(self) -> str:
        return f"<Campaign {self.id}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Campaign) and other.id == self.id and other.store is self.store

    def __hash__(self) -> int:
        return hash(self.id)

    # -- reading --------------------------------------------------------------------------

    def info(self) -> dict:
        """{"id", "state", "spec", "author", "approved-by", "targets", "excluded", "seed",
        "history": [{"state", "actor", "at", "reason"?}]}."""
        return docs.decode(_buf_call(self.store, "ota_campaign_get", self.id))

    @property
    def state(self) -> str:
        """One of CAMPAIGN_STATES."""
        return self.info()["state"]

    def validate(self) -> dict:
        """Every problem at once: {"problems": [text], "targets": n, "excluded": {reason: n}}.
        A campaign with problems cannot be approved."""
        return docs.decode(_buf_call(self.store, "ota_campaign_validate", self.id))

    def stats(self, now: Optional[int] = None) -> dict:
        """The statistics document at `now`: counts by state, per wave, market, region and
        model, failures by reason and code, progress, the time-to-success histogram and the
        hourly timeline (design/campaigns.md sections 7-8)."""
        return docs.decode(_buf_call(self.store, "ota_campaign_stats", self.id, self.store._now(now)))

    def vehicles(self, *, state: Optional[str] = None, wave: Optional[int] = None,
                 market: Optional[str] = None, after: Any = None, limit: Optional[int] = None) -> dict:
        """One page of per-target rows: {"rows": [{"vin", "market", "model", "wave", "state",
        "reason"?, "code"?, "last-report", "retries"}], "next": value for `after` / None}."""
        flt = {k: v for k, v in (("state", state), ("wave", wave), ("market", market),
                                 ("after", after), ("limit", limit)) if v is not None}
        raw = docs.encode(flt) if flt else None
        return docs.decode(_buf_call(self.store, "ota_campaign_vehicles", self.id, raw, len(raw or b"")))

    def rows(self, *, state: Optional[str] = None, wave: Optional[int] = None,
             market: Optional[str] = None, page: int = 1000) -> Iterator[dict]:
        """Every per-target row that passes the filter, page after page."""
        after = None
        while True:
            got = self.vehicles(state=state, wave=wave, market=market, after=after, limit=page)
            yield from got.get("rows", [])
            after = got.get("next")
            if after is None or not got.get("rows"):
                return

    # -- changing -------------------------------------------------------------------------

    def _move(self, name: str, actor, now, *extra) -> "Campaign":
        self.store.check(require(name)(self.store.handle, self.store._actor(actor), self.store._now(now),
                                       self.id, *extra))
        return self

    def approve(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Campaign":
        """Validates again and freezes the targets (role approver, not the author)."""
        return self._move("ota_campaign_approve", actor, now)

    def start(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Campaign":
        """approved -> scheduled, or running when immediate or its start has come."""
        return self._move("ota_campaign_start", actor, now)

    def pause(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Campaign":
        """running -> paused: no one is notified until resume."""
        return self._move("ota_campaign_pause", actor, now)

    def resume(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Campaign":
        """paused -> running (also opens the next wave of a `manual` gate)."""
        return self._move("ota_campaign_resume", actor, now)

    def abort(self, reason: str, *, actor: Optional[str] = None, now: Optional[int] = None) -> "Campaign":
        """Ends the campaign: non-final targets are cancelled, notified ones sent a cancel."""
        return self._move("ota_campaign_abort", actor, now, cstr(reason))

    def step(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> dict:
        """Does what is due at `now`: {"state", "events", "notified", "timed-out", "retried",
        "reminded", "expired", "next-due"}."""
        return docs.decode(_buf_call(self.store, "ota_campaign_step", self.store._actor(actor),
                                     self.store._now(now), self.id))


class Campaigns:
    """The campaigns of an open Store."""

    def __init__(self, store):
        self.store = store

    def create(self, spec: docs.DocumentInput, *, actor: Optional[str] = None,
               now: Optional[int] = None) -> Campaign:
        """Creates a draft campaign from a spec (a dict or CBOR bytes; design/campaigns.md
        section 1). Role campaign-manager."""
        raw = docs.encode(spec)
        cid = ctypes.c_int64()
        self.store.check(require("ota_campaign_create")(self.store.handle, self.store._actor(actor),
                                                        self.store._now(now), raw, len(raw),
                                                        ctypes.byref(cid)))
        return Campaign(self.store, cid.value)

    def get(self, cid: int) -> Campaign:
        """The campaign `cid` (not read until used)."""
        return Campaign(self.store, cid)

    __getitem__ = get

    def list(self, *, state: Optional[str] = None, category: Optional[str] = None) -> list[dict]:
        """Every campaign and how far it is: [{"id", "name", "category", "state", "targets",
        "succeeded", "failed", "progress", "next-due"}]."""
        flt = {k: v for k, v in (("state", state), ("category", category)) if v is not None}
        raw = docs.encode(flt) if flt else None
        return docs.decode(_buf_call(self.store, "ota_campaign_list", raw, len(raw or b"")))

    def __iter__(self) -> Iterator[Campaign]:
        return (Campaign(self.store, row["id"]) for row in self.list())

    def step(self, *, actor: Optional[str] = None, now: Optional[int] = None) -> dict:
        """Steps every scheduled, running or paused campaign with something due, in priority
        order (ota_campaign_step with id 0)."""
        return Campaign(self.store, 0).step(actor=actor, now=now)


class OutboxMessage(NamedTuple):
    """One message of the outbox (docs/messages.md): publish `payload` on `topic` at QoS 1
    with the MQTT retain flag `retain`, then acknowledge `id`."""
    id: int
    topic: str
    payload: bytes
    retain: bool


class Outbox:
    """Messages the steps wrote for the host to publish (at least once: a fetched message is
    fetched again until acknowledged)."""

    def __init__(self, store):
        self.store = store

    def fetch(self, limit: int = 100) -> list[OutboxMessage]:
        """The oldest pending messages, each an OutboxMessage (id, topic, payload, retain): the
        payload a COSE_Sign1, or empty to clear a retained offer; publish with `retain`."""
        rows = docs.decode(_buf_call(self.store, "ota_outbox_fetch", int(limit)))
        return [OutboxMessage(int(r[0]), r[1], bytes(r[2]), bool(r[3])) for r in rows]

    def ack(self, ids: Iterable[int]) -> None:
        """Marks messages as published (after the broker acknowledged them)."""
        arr = int64_array(ids)
        self.store.check(require("ota_outbox_ack")(self.store.handle, arr, len(arr)))

    def drain(self, publish, limit: int = 100) -> int:
        """Fetches, publish(topic, payload, retain) each, acknowledges, until empty; returns how
        many. A publish that raises stops the drain, its message left unacknowledged."""
        total = 0
        while True:
            batch = self.fetch(limit)
            if not batch:
                return total
            done = []
            try:
                for m in batch:
                    publish(m.topic, m.payload, m.retain)
                    done.append(m.id)
            finally:
                if done:
                    self.ack(done)
                total += len(done)


class TestFleet:
    """The store's test fleet: the vehicles a test campaign may reach (role admin or engineer)."""

    __test__ = False  # not a pytest class

    def __init__(self, store):
        self.store = store

    def _call(self, name: str, vins: Iterable[str], actor, now) -> None:
        raw = cbor2.dumps([str(v) for v in vins])
        self.store.check(require(name)(self.store.handle, self.store._actor(actor), self.store._now(now),
                                       raw, len(raw)))

    def add(self, vins: Iterable[str], *, actor: Optional[str] = None, now: Optional[int] = None) -> None:
        self._call("ota_test_fleet_add", vins, actor, now)

    def remove(self, vins: Iterable[str], *, actor: Optional[str] = None, now: Optional[int] = None) -> None:
        self._call("ota_test_fleet_remove", vins, actor, now)


def set_vehicle_key(store, vin: str, public_key: bytes, *, actor: Optional[str] = None,
                    now: Optional[int] = None) -> None:
    """The vehicle's Ed25519 public key (32 bytes): its reports must then be signed by it."""
    if len(public_key) != 32:
        raise OTAError(BADINPUT, f"an Ed25519 public key is 32 bytes, not {len(public_key)}")
    store.check(require("ota_vehicle_set_key")(store.handle, store._actor(actor), store._now(now),
                                               cstr(vin), bytes(public_key)))


def ingest(store, topic: str, report: docs.DocumentInput, *, actor: Optional[str] = None,
           now: Optional[int] = None) -> dict:
    """One status report received on `topic` (role gateway): {"result": "applied" /
    "duplicate" / "stale" / "rejected", "reason"?, "state"?}. OK means it is on disk."""
    raw = docs.encode(report)
    return docs.decode(_buf_call(store, "ota_status_ingest", store._actor(actor), store._now(now),
                                 cstr(topic), raw, len(raw)))


def ingest_batch(store, reports: Iterable[tuple[str, docs.DocumentInput]], *,
                 actor: Optional[str] = None, now: Optional[int] = None) -> list[dict]:
    """Several (topic, report) pairs in one transaction; one result per report, in order."""
    batch = cbor2.dumps([[str(t), docs.encode(r)] for t, r in reports])
    return docs.decode(_buf_call(store, "ota_status_ingest_batch", store._actor(actor), store._now(now),
                                 batch, len(batch)))


def message_document(payload: bytes) -> Optional[dict]:
    """The message inside an outbox payload (a COSE_Sign1), NOT verified: for display and
    tests. None for an empty payload (a cleared retained offer)."""
    if not payload:
        return None
    obj = cbor2.loads(payload)
    if isinstance(obj, cbor2.CBORTag):
        obj = obj.value
    if not (isinstance(obj, (list, tuple)) and len(obj) == 4 and isinstance(obj[2], bytes)):
        raise OTAError(BADINPUT, "outbox payload is not a COSE_Sign1 with an embedded payload")
    return cbor2.loads(obj[2])
