"""The world of the stepping and outbox crash tests (test_step_crash.py): a store with a fleet,
a chain of BCM packages and one campaign after another, scripted vehicles that answer what
was published, and every check made after a child was killed.

The parent process is the broker: a child "publishes" a message by printing its id, a digest
of its topic and payload, and what the message is (crash_children.py); the vehicles here
react to those lines, and their reports wait in `pending` until a child (or the parent)
ingests them and says so. A vehicle is stateless: what it answers depends only on its script
and the message (kind, seq), so it does not matter which process, or how often, it was told.
"""
import hashlib
import sqlite3

import cbor2

from libota import fleet, roles
from libota._native import lib
from libota.campaigns import CAMPAIGN_STATES, TARGET_STATES, Outbox
from libota.packages import Packages
from libota.status import topic as status_topic
from libota.store import Store

T0 = 1_800_000_000           # snapshot time; campaigns start after it
SEED = bytes(range(32))      # the store's signing key (every stepping handle sets it)
KID = b"backend-1"
DT = 120                     # seconds between two steps of one child
ACTORS = [("eve", "engineer"), ("ann", "approver"), ("cam", "campaign-manager"), ("gw", "gateway")]
MARKETS = ["DE", "FR", "IT", "SE"]
RETRY_MAX = 2

# The vehicles' scripts, by VIN index: successes, retried failures, final failures, silence.
SCRIPTS = ["accept", "accept", "defer-accept", "decline", "fail-once:connectivity", "accept",
           "fail:install", "silent", "silent-after-accept", "wrong-version", "fail:power", "rolled-back"]
FAIL_CODE = {"connectivity": 0x102, "install": 0x105, "power": 0x103}

# TargetMachine.allowed (Sources/OTACore/Campaign/TargetState.swift), every cause at once.
_PIPELINE = ["notified", "accepted", "downloading", "downloaded", "installing", "succeeded"]
ALWAYS_FINAL = {"succeeded", "declined", "expired", "cancelled"}
NEVER_FINAL = {"pending", "queued", "notified", "accepted", "deferred", "downloading", "downloaded", "installing"}


def _edges():
    e = {s: set() for s in TARGET_STATES}
    e["pending"].add("queued")
    e["queued"].add("notified")
    for s in ["notified", "accepted", "downloading", "downloaded", "installing"]:
        e[s].add("failed")
    e["failed"].add("queued")
    e["deferred"].add("queued")
    for s in TARGET_STATES:
        if s not in ALWAYS_FINAL:
            e[s].add("expired")
            if s != "installing":
                e[s].add("cancelled")
    e["notified"] |= {"accepted", "deferred", "declined", "downloading", "downloaded", "installing", "succeeded",
                      "failed"}
    for s in ["deferred", "queued"]:
        e[s] |= {"accepted", "deferred", "declined", "downloading", "downloaded", "installing", "succeeded", "failed"}
    for s in _PIPELINE[1:-1]:
        e[s] |= {t for t in _PIPELINE[1:] if _PIPELINE.index(t) >= _PIPELINE.index(s)} | {"failed"}
    return e


def _reachable():
    edges = _edges()
    out = {}
    for s in TARGET_STATES:
        seen, todo = {s}, [s]
        while todo:
            for t in edges[todo.pop()]:
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        out[s] = seen
    return out


REACHABLE = _reachable()   # state -> every state the table can lead to (itself included)
TTS_BOUNDS = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 432_000,
              604_800, 1_209_600, 2_592_000]  # TimeToSuccess.upperBounds


def tts_bucket(seconds):
    for i, bound in enumerate(TTS_BOUNDS):
        if seconds < bound:
            return i
    return len(TTS_BOUNDS)


def vin(i):
    return f"WVWZZZ1KZAW{i:06d}"


def digest(topic, payload):
    return hashlib.sha256(topic.encode() + b"\0" + payload).hexdigest()[:16]


class Violation(AssertionError):
    """A broken guarantee, with the test, the kill and what was found."""


def describe(topic, payload):
    """(kind, vin or None, campaign, seq or None) of an outbox message: VIN and campaign from
    its topic, kind and seq from its payload, read without checking the signature (the
    campaign-run and e2e tests check signatures). An empty payload is a clear."""
    parts = topic.split("/")
    if len(parts) == 6 and parts[2] == "vehicles":
        v, c = parts[3], int(parts[5])
    else:
        v, c = None, int(parts[3])
    if not payload:
        return "clear", v, c, None
    m = cbor2.loads(cbor2.loads(payload).value[2])
    if m.get("vin", v) != v or m.get("campaign") != c:
        raise Violation(f"message on {topic} is for {m.get('vin')} in campaign {m.get('campaign')}")
    return m["type"], v, c, m.get("seq")


def fetched_line(mid, topic, payload):
    """How a drainer prints a message it fetched and published."""
    kind, v, c, seq = describe(topic, payload)
    return f"F {mid} {digest(topic, payload)} {topic} {kind} {v} {c} {seq}"


class World:
    """The store at `path` and what the test knows about it. `log` names the test in messages."""

    def __init__(self, path, tmp, rnd, vehicles=48, log="crash"):
        self.path, self.tmp, self.rnd, self.n, self.log = path, tmp, rnd, vehicles, log
        self.now = T0 + 3600
        self.kills = 0
        # the outbox as the drainers saw it
        self.fetched = {}        # id -> (digest, topic, kind, vin, campaign, seq)
        self.acked = set()
        self.in_doubt = []       # id lists whose ack was begun and not confirmed
        # reports
        self.pending = []        # [(topic, bytes)] answered by vehicles, not yet confirmed ingested
        self.confirmed = set()   # (topic, bytes) of reports whose ingestion returned OTA_OK
        self.answered = set()    # (vin, campaign, seq) of messages the vehicles reacted to
        # stepping
        self.notified_confirmed = 0
        self.steps_confirmed = 0
        self.prev_targets = {}   # target id -> (state, final, message_seq, retries, report_seq)
        self.campaigns = {}      # campaign id -> package version ("k.0")
        self.package_no = 1
        self.rounds_active = 0
        self.vehicle_ids = {}
        self.superseded = set()
        self.stats = {"fetched": 0, "fetched-again": 0, "acked": 0, "superseded": 0, "in-doubt-acks": 0,
                      "in-doubt-committed": 0, "reports": 0, "campaigns": 0, "notified": 0, "timed-out": 0,
                      "retried": 0, "reminded": 0, "expired": 0}
        self.moments = {}        # where the kills landed: what the child was doing

    # -- setup ----------------------------------------------------------------------------

    def open(self):
        s = Store(self.path)
        s.check(lib.ota_set_signing_key(s.handle, SEED, KID))
        return s

    def setup(self):
        s = Store(self.path, bootstrap_admin="root", now=1)
        for who, role in ACTORS:
            roles.grant(s, "root", 1, who, role)
        vehicles = [[vin(i), "Aster", "sedan", "petrol", MARKETS[i % len(MARKETS)], 1_700_000_000 + i,
                     [["BCM", "BCM-A", "1.0"], ["GW", "GW-1", "5.1"]]] for i in range(self.n)]
        fleet.import_snapshot(s, "eve", T0, cbor2.dumps({0: 1, 1: T0, 3: vehicles}))
        s.close()
        con = sqlite3.connect(self.path)
        self.vehicle_ids = {v: i for i, v in con.execute("SELECT id, vin FROM vehicles")}
        con.close()
        self.manage()

    def _package(self, s, k):
        """BCM k.0 from any earlier version (so every campaign finds targets)."""
        image = f"BCM image {k}.0\n".encode()
        path = self.tmp / f"bcm-{k}.bin"
        path.write_bytes(image)
        manifest = cbor2.dumps({
            "name": "BCM-fw", "version": f"{k}.0", "ecu": "BCM", "category": "bugfix", "release-type": "routine",
            "issue": "door unlock", "protocol": "CAN", "powertrains": ["petrol"], "models": ["Aster"],
            "hw": ["BCM-A"], "from": [f"{j}.0" for j in range(1, k)], "to": f"{k}.0",
            "files": [{"name": "bcm.bin", "size": len(image), "sha256": hashlib.sha256(image).digest(),
                       "uri": f"s3://ota/bcm-{k}.bin"}],
            "release-notes": "Fixed.", "release-counter": k})
        p = Packages(s)
        pid = p.register("eve", self.now, manifest)
        p.verify_file("eve", self.now, pid, "bcm.bin", path)
        p.validate("eve", self.now, pid)
        p.approve("ann", self.now, pid)
        return pid

    def _spec(self, pid):
        return {
            "name": f"BCM fix {pid}", "category": "bugfix", "packages": [pid], "urgency": "immediate",
            "end": self.now + 5 * 3600,
            "regions": {"south": ["FR", "IT"], "north": ["DE", "SE"]},
            "windows": [{"regions": ["south"], "days": [0, 1, 2, 3, 4, 5, 6], "start": 0, "minutes": 1440},
                        {"regions": ["north"], "days": [0, 1, 2, 3, 4, 5, 6], "start": 120, "minutes": 1200}],
            "waves": [{"count": 6, "success-gate": 30, "failure-threshold": 60, "min-final": 4, "soak": 300},
                      {"share": 25, "success-gate": 30, "failure-threshold": 60, "min-final": 6, "advance": "manual"},
                      {"success-gate": 100, "failure-threshold": 60}],
            "rate": {"per-minute": 3, "ramp": {"factor": 2, "every": 4}},
            "notify": {"reminder": 900, "max-deferrals": 2},
            "timeouts": {"answer": 1800, "install": 3600},
            "retry": {"max": RETRY_MAX, "backoff": 300, "factor": 2, "reasons": ["timeout", "install", "connectivity"]},
        }

    def manage(self):
        """What an operator does between rounds (with the parent's own handle): resumes a
        paused campaign, aborts every fourth campaign after a while, and when none is active
        creates, approves and starts the next one (with the next package)."""
        s = self.open()
        try:
            active = [c for c in s.campaigns.list() if c["state"] in ("running", "paused", "scheduled")]
            for c in active:
                camp = s.campaigns.get(c["id"])
                if c["state"] == "paused":
                    camp.resume(actor="cam", now=self.now)
                self.rounds_active += 1
                if c["id"] % 4 == 3 and self.rounds_active == 6:
                    camp.abort("superseded", actor="cam", now=self.now)
            if not active:
                self.package_no += 1
                pid = self._package(s, self.package_no)
                camp = s.campaigns.create(self._spec(pid), actor="cam", now=self.now)
                camp.approve(actor="root", now=self.now)  # an admin: no test campaign first
                camp.start(actor="cam", now=self.now)
                self.campaigns[camp.id] = f"{self.package_no}.0"
                self.rounds_active = 0
                self.stats["campaigns"] += 1
        finally:
            s.close()

    # -- the parent's own work (never killed) --------------------------------------------

    def parent_step(self, steps):
        s = self.open()
        try:
            for _ in range(steps):
                r = s.campaigns.step(actor="cam", now=self.now)
                self._tally([r[k] for k in ("notified", "timed-out", "retried", "reminded", "expired")])
                self.now += DT
        finally:
            s.close()

    def parent_drain(self):
        """Fetches and acknowledges everything (as a drainer that is not killed)."""
        s = self.open()
        try:
            out = Outbox(s)
            while True:
                batch = out.fetch(100)
                if not batch:
                    return
                self.absorb([fetched_line(m.id, m.topic, m.payload) for m in batch])
                out.ack([m.id for m in batch])
                self.absorb(["A " + ",".join(str(m.id) for m in batch)])
        finally:
            s.close()

    def parent_ingest(self):
        s = self.open()
        try:
            while self.pending:
                batch, self.pending = self.pending[:50], self.pending[50:]
                s.ingest_batch(batch, actor="gw", now=self.now)
                self.confirmed.update(batch)
        finally:
            s.close()

    # -- what children print -------------------------------------------------------------

    def batches(self, size=8):
        """The pending reports in batches, in order (a child ingests them and prints `I k`)."""
        return [self.pending[i:i + size] for i in range(0, len(self.pending), size)]

    def absorb(self, lines, batches=()):
        """Takes in one child's complete lines, in order (the last one may have been cut by
        the kill: the caller drops it). Checks what can be checked from the lines alone."""
        done_batches = set()
        for line in lines:
            tag, _, rest = line.partition(" ")
            if tag == "F":
                mid, dig, topic, kind, v, c, seq = rest.split(" ")
                mid = int(mid)
                if mid in self.acked:
                    raise Violation(f"{self.log}: outbox id {mid} was fetched again after it was acknowledged")
                known = self.fetched.get(mid)
                entry = (dig, topic, kind, None if v == "None" else v, None if c == "None" else int(c),
                         None if seq == "None" else int(seq))
                if known and known[:2] != entry[:2]:
                    raise Violation(f"{self.log}: outbox id {mid} came back as another message: {known} then {entry}")
                self.stats["fetched" if not known else "fetched-again"] += 1
                self.fetched[mid] = entry
                self.react(entry)
            elif tag == "B":
                self.in_doubt.append([int(x) for x in rest.split(",")])
            elif tag == "A":
                ids = [int(x) for x in rest.split(",")]
                self.acked.update(ids)
                self.stats["acked"] += len(ids)
                self.in_doubt = [b for b in self.in_doubt if b != ids]
            elif tag == "I":
                k = int(rest)
                self.confirmed.update(batches[k])
                done_batches.add(k)
            elif tag == "T":
                self.now = max(self.now, int(rest) + DT)
            elif tag == "S":
                self._tally([int(x) for x in rest.split(" ")[1:]])
            elif tag == "E":
                raise Violation(f"{self.log}: a child failed: {rest}")
        return done_batches

    def _tally(self, counts):
        """A step that returned OTA_OK: what it did."""
        self.steps_confirmed += 1
        self.notified_confirmed += counts[0]
        for k, n in zip(("notified", "timed-out", "retried", "reminded", "expired"), counts):
            self.stats[k] += n

    def killed(self, role, lines, batches=()):
        """Counts a kill by what the child was doing (after its last complete line)."""
        last = lines[-1] if lines else "R"
        tag = last.split(" ")[0]
        left = sum(1 for x in lines if x.startswith("I ")) < len(batches)
        if tag == "T":
            where = "in a step"
        elif tag == "B":
            where = "in an ack"
        elif tag == "F" or (tag == "G" and last != "G 0"):
            where = "between a fetch and its ack"
        elif role == "drainer":
            where = "idle" if last == "G 0" else "in a fetch"
        elif role == "host_loop" and tag == "S":
            where = "in a fetch"
        elif role == "ingester" or (role == "host_loop" and tag in ("A", "G") and left):
            where = "in an ingestion" if left else "idle"
        else:
            where = "between calls"
        self.moments[where] = self.moments.get(where, 0) + 1
        self.kills += 1

    def react(self, entry):
        """A vehicle that received an offer or a reminder answers it (once per message seq),
        as its script says; its reports wait in `pending`."""
        _dig, _topic, kind, v, c, seq = entry
        if kind not in ("offer", "reminder") or (v, c, seq) in self.answered:
            return
        self.answered.add((v, c, seq))
        script = SCRIPTS[int(v[-6:]) % len(SCRIPTS)]
        to = self.campaigns.get(c, "2.0")
        ok = ["received", "accepted", ("downloading", {"progress": 50}), "downloaded", "installing",
              ("installed", {"ecus": [{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": to}]})]
        if script == "accept" or (script == "defer-accept" and kind == "reminder") \
                or (script == "fail-once:connectivity" and seq > 1):
            states = ok
        elif script == "defer-accept":
            states = ["received", "deferred"]
        elif script == "decline":
            states = ["received", "declined"]
        elif script.startswith("fail"):
            reason = script.split(":")[1]
            states = ["received", "accepted", ("failed", {"reason": reason, "code": FAIL_CODE[reason]})]
        elif script == "silent-after-accept":
            states = ["received", "accepted"]
        elif script == "wrong-version":
            states = ok[:-1] + [("installed", {"ecus": [{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": to + "-x"}]})]
        elif script == "rolled-back":
            states = ok[:-1] + [("rolled-back", {"ecus": [{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": "1.0"}]})]
        else:  # silent
            states = []
        for j, st in enumerate(states, 1):
            state, extra = st if isinstance(st, tuple) else (st, {})
            r = {"vin": v, "campaign": c, "seq": seq * 100 + j, "time": self.now, "state": state}
            r.update(extra)
            self.pending.append((status_topic(v), cbor2.dumps(r)))
            self.stats["reports"] += 1

    def settle(self, batches, done):
        """Drops the batches a child confirmed from `pending` (the others are sent again)."""
        if not batches:
            return
        sent = {r for k, b in enumerate(batches) for r in b}
        keep = [r for k, b in enumerate(batches) if k not in done for r in b]
        self.pending = keep + [r for r in self.pending if r not in sent]

    # -- after a kill ---------------------------------------------------------------------

    def outbox_head(self):
        con = sqlite3.connect(self.path)
        try:
            return [r[0] for r in con.execute("SELECT id FROM outbox ORDER BY id")]
        finally:
            con.close()

    def check(self, what):
        """Every check after a kill; `what` says which kill, for the messages."""
        where = f"{self.log}, {what} (kill {self.kills})"
        with Store(self.path) as s:
            entries, _ = s.audit_verify()
            if entries <= 0:
                raise Violation(f"{where}: the audit trail is empty")
        con = sqlite3.connect(self.path)
        try:
            ok = con.execute("PRAGMA integrity_check").fetchone()[0]
            if ok != "ok":
                raise Violation(f"{where}: integrity_check: {ok}")
            fk = con.execute("PRAGMA foreign_key_check").fetchall()
            if fk:
                raise Violation(f"{where}: foreign_key_check: {fk[:5]}")
            self._check_outbox(con, where)
            self._check_reports(con, where)
            self._check_targets(con, where)
        finally:
            con.close()

    def _latest_acked(self):
        """(campaign, vin) -> the acknowledged vehicle message with the highest id."""
        latest = {}
        for mid in self.acked:
            e = self.fetched.get(mid)
            if e and e[3] is not None:
                key = (e[4], e[3])
                if key not in latest or latest[key][0] < mid:
                    latest[key] = (mid, e)
        return latest

    def _outbox_rows(self, con):
        rows = {}
        for mid, c, vid, kind, topic, payload in con.execute(
                "SELECT id, campaign_id, vehicle_id, kind, topic, payload FROM outbox ORDER BY id"):
            k, v, _c, seq = describe(topic, payload)
            rows[mid] = (digest(topic, payload), topic, k, v, c, seq, vid, kind)
        return rows

    def _check_outbox(self, con, where):
        rows = self._outbox_rows(con)
        # an ack begun and not confirmed: one transaction, so all of its ids or none are gone
        # (an id may also be gone because a newer message superseded it: checked below)
        for ids in self.in_doubt:
            self.stats["in-doubt-acks"] += 1
            if not any(i in rows for i in ids):
                self.acked.update(ids)
                self.stats["in-doubt-committed"] += 1
        self.in_doubt = []
        per_vehicle = {}
        for mid, r in rows.items():
            if mid in self.acked:
                raise Violation(f"{where}: acknowledged outbox id {mid} is in the outbox again: {r[1]}")
            known = self.fetched.get(mid)
            if known and known[:2] != r[:2]:
                raise Violation(f"{where}: outbox id {mid} now holds another message than was fetched")
            if r[6] is not None:
                if self.vehicle_ids.get(r[3]) != r[6] or r[2] != r[7] or r[4] != c_of(r[1]):
                    raise Violation(f"{where}: outbox row {mid} ({r[7]} for vehicle {r[6]}) holds {r[2]} for {r[3]}")
                key = (r[4], r[3])
                if key in per_vehicle:
                    raise Violation(f"{where}: two unacknowledged messages for {key}: ids {per_vehicle[key]} and {mid}")
                per_vehicle[key] = mid
        latest = self._latest_acked()
        # fetched, never acknowledged: still there, or superseded by a newer message for the
        # same vehicle and campaign that is in the outbox or was acknowledged (Outbox.post
        # deletes only a vehicle's unacknowledged messages of the same campaign, when it
        # writes a newer one; events are never superseded)
        for mid, e in self.fetched.items():
            if mid in self.acked or mid in rows:
                continue
            key = (e[4], e[3])
            newer = [i for i in (per_vehicle.get(key), (latest.get(key) or (None,))[0]) if i is not None and i > mid]
            if e[3] is None or not newer:
                raise Violation(f"{where}: outbox id {mid} ({e[2]} on {e[1]}) was fetched, never acknowledged, "
                                "and is gone without a newer message for its vehicle")
            if mid not in self.superseded:
                self.superseded.add(mid)
                self.stats["superseded"] += 1
        self.per_vehicle, self.rows, self.latest = per_vehicle, rows, latest

    def _check_reports(self, con, where):
        kept = set(con.execute("SELECT topic, report FROM status_reports"))
        missing = [r for r in self.confirmed if r not in kept]
        if missing:
            t, r = missing[0]
            raise Violation(f"{where}: {len(missing)} of {len(self.confirmed)} confirmed reports are not in "
                            f"status_reports, e.g. {cbor2.loads(r)} on {t}")

    def _check_targets(self, con, where):
        targets = con.execute("""SELECT id, campaign_id, vin, state, final, due, retries, message_seq, report_seq
                                 FROM targets""").fetchall()
        by_id = {}
        for tid, c, v, state, final, due, retries, mseq, rseq in targets:
            by_id[tid] = (state, final, mseq, retries, rseq)
            if state not in TARGET_STATES:
                raise Violation(f"{where}: target {v} of campaign {c} is in state {state!r}")
            if (state in ALWAYS_FINAL and not final) or (state in NEVER_FINAL and final) \
                    or (final and due is not None) or retries > RETRY_MAX:
                raise Violation(f"{where}: target {v} of campaign {c}: state {state}, final {final}, due {due}, "
                                f"retries {retries}")
            prev = self.prev_targets.get(tid)
            if prev:
                if state not in REACHABLE[prev[0]] or (prev[1] and state != prev[0]) \
                        or mseq < prev[2] or retries < prev[3] or rseq < prev[4]:
                    raise Violation(f"{where}: target {v} of campaign {c} went from {prev} to "
                                    f"{(state, final, mseq, retries, rseq)}")
            if mseq > 0:
                self._check_last_message(where, c, v, state, final, mseq)
        self.prev_targets = by_id
        for (cid, state, targets_n, next_due) in con.execute("SELECT id, state, targets, next_due FROM campaigns"):
            if state not in CAMPAIGN_STATES:
                raise Violation(f"{where}: campaign {cid} is in state {state!r}")
            stored = sorted(con.execute("SELECT dim, key, sub, n FROM campaign_counts WHERE campaign_id = ? AND n <> 0",
                                        (cid,)))
            counted = recount(con, cid)
            if stored != counted:
                diff = sorted(set(stored) ^ set(counted))[:6]
                raise Violation(f"{where}: campaign {cid}'s counters differ from a recount of its targets: {diff}")
            total = sum(n for dim, _k, _s, n in stored if dim == "state")
            if state != "draft" and total != targets_n:
                raise Violation(f"{where}: campaign {cid} has {targets_n} targets, its counters {total}")
            if state in ("running", "paused", "scheduled"):
                # a step comes when a target is due (resume and pause set next_due to their
                # own now, which is no later than the next step: no time before it is passed)
                due = con.execute("SELECT min(due) FROM targets WHERE campaign_id = ?", (cid,)).fetchone()[0]
                if next_due is None or (due is not None and next_due > max(due, self.now)):
                    raise Violation(f"{where}: campaign {cid} ({state}) has next_due {next_due}, a target due {due}")
        notified = con.execute("SELECT coalesce(sum(notified), 0) FROM campaign_timeline").fetchone()[0]
        if notified < self.notified_confirmed:
            raise Violation(f"{where}: steps confirmed {self.notified_confirmed} notifications, the store "
                            f"counts {notified}")

    def _check_last_message(self, where, c, v, state, final, mseq):
        """The newest message a target was sent (in the outbox, else the newest acknowledged)
        is its offer or reminder of seq `message_seq` while it is not final, the empty
        message that clears it once final, or the cancel of an aborted campaign."""
        mid = self.per_vehicle.get((c, v))
        if mid is not None:
            _d, _t, kind, _v, _c, seq, _vid, _k = self.rows[mid]
        elif (c, v) in self.latest:
            mid, (_d, _t, kind, _v, _c, seq) = self.latest[(c, v)]
        else:
            raise Violation(f"{where}: target {v} of campaign {c} was sent message {mseq} ({state}), which is "
                            "neither in the outbox nor acknowledged")
        if state == "cancelled":
            good = kind == "cancel" and seq == mseq
        elif final:
            good = kind == "clear"
        else:
            good = kind in ("offer", "reminder") and seq == mseq
        if not good:
            raise Violation(f"{where}: target {v} of campaign {c} ({state}, final {final}, message {mseq}): its "
                            f"newest message is outbox id {mid}, a {kind} of seq {seq}")

    def final_drain(self):
        """After the last kill: a drainer that is not killed gets every message that was
        fetched and never acknowledged (and not superseded), oldest first."""
        owed = sorted(m for m in self.fetched if m not in self.acked and m in self.rows)
        head = self.outbox_head()
        self.parent_drain()
        missing = [m for m in owed if m not in self.acked]
        assert not missing, f"{self.log}: fetched, unacknowledged messages not fetched again: {missing[:10]}"
        assert head == sorted(head) and all(m in self.acked for m in head)
        return len(owed)


def c_of(topic):
    return describe(topic, b"")[2]


def recount(con, cid):
    """CampaignCounters.recount (Sources/OTAStore/Campaigns/CampaignCounters.swift) in SQL and
    Python: every counter row recounted from the campaign's target rows."""
    n = {}

    def bump(dim, key, sub):
        n[(dim, key, sub)] = n.get((dim, key, sub), 0) + 1

    for wave, market, region, model, variant, state, final, reason, code, first_offer_at, succeeded_at in con.execute(
            """SELECT wave, market, region, model, variant, state, final, reason, code, first_offer_at, succeeded_at
               FROM targets WHERE campaign_id = ?""", (cid,)):
        bump("state", "", state)
        bump("wave", str(wave), state)
        bump("market", market, state)
        if region is not None:
            bump("region", region, state)
        bump("model", f"{model}/{variant}", state)
        if final:
            bump("final", "", "")
            bump("wave-final", str(wave), state)
        if state == "failed":
            bump("failure", reason or "other", "" if code is None else str(code))
        if state == "succeeded":
            # from the first offer; 0 s when none was sent (TimeToSuccess.seconds)
            known = first_offer_at is not None and succeeded_at is not None
            bump("tts", str(tts_bucket(succeeded_at - first_offer_at if known else 0)), "")
    return sorted((d, k, s, c) for (d, k, s), c in n.items() if c != 0)
