"""A fleet of simulated vehicles on an MQTT broker (docs/gateway.md, design/campaigns.md §5-§6).

N vehicles share a few MQTT 5 connections. Each connection subscribes to
`ota/v1/vehicles/+/campaigns/+` and handles the VINs assigned to it. Every message is checked
before a vehicle acts on it, with an implementation independent of libota (`cryptography`'s
Ed25519 and cbor2):
- the offer is a COSE_Sign1 (tag 18, EdDSA) that verifies with the store's public key (the
  key the gateway signs with), for this VIN and campaign (the topic's);
- each update carries the package's approval COSE_Sign1, which verifies with the package
  signer's key, and whose manifest matches the update (ECU node, `to` version, hardware).
A message that fails a check is recorded and ignored, as a vehicle would.

Each VIN answers with a scripted behaviour (SCRIPTS below), publishing status reports
(QoS 1) on `ota/v1/vehicles/{vin}/status`. The simulator records what it did: the outcome
each vehicle should end in, every report with whether the broker acknowledged it, the
verified offers and the clears.

Use as a library (`Simulator`, as python/tests/test_e2e_mqtt.py does) or from the command line:
  python3 python/sim/vehicle_sim.py --broker 127.0.0.1:1883 --vins vins.json \\
      --store-key HEX --package-key HEX [--connections 4] [--duration 120] [--record out.json]
where vins.json maps VIN -> script name.
"""
import argparse
import heapq
import itertools
import json
import random
import sys
import threading
import time
import zlib

import cbor2
import paho.mqtt.client as mqtt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

OFFER_FILTER = "ota/v1/vehicles/+/campaigns/+"

# Script name -> (expected final target state, failure reason or None). `failed` outcomes of
# `timeout` and `verification` get their code from the library, the others from the vehicle.
FAIL_REASONS = ("precondition", "user", "connectivity", "power", "download", "install", "verification", "other")
SCRIPTS = {
    "accept": ("succeeded", None),              # received, accepted, downloading ... installed
    "defer-accept": ("succeeded", None),        # deferred; accepts the reminder
    "decline": ("declined", None),
    "fail-once:connectivity": ("succeeded", None),  # fails, is retried, then installs
    "silent": ("failed", "timeout"),            # never answers (answer timeout)
    "silent-after-accept": ("failed", "timeout"),   # accepts, then nothing (install timeout)
    "wrong-version": ("failed", "verification"),    # reports installed with another version
    "rolled-back": ("failed", "rolled-back"),
}
for _r in ("precondition", "power", "download", "install", "other"):
    SCRIPTS["fail:" + _r] = ("failed", _r)
FAIL_CODES = {r: 0x100 + i for i, r in enumerate(FAIL_REASONS)}


class CheckFailed(Exception):
    """A message a vehicle must not act on."""


def verify_sign1(item, public_key):
    """Verifies a tagged COSE_Sign1 (bytes or a decoded CBORTag) made with EdDSA; returns
    (payload bytes, kid bytes or None)."""
    obj = cbor2.loads(item) if isinstance(item, (bytes, bytearray)) else item
    if not isinstance(obj, cbor2.CBORTag) or obj.tag != 18 or not isinstance(obj.value, (list, tuple)) \
            or len(obj.value) != 4:
        raise CheckFailed("not a tagged COSE_Sign1")
    protected, unprotected, payload, signature = obj.value
    if not isinstance(protected, bytes) or not isinstance(payload, bytes) or not isinstance(signature, bytes):
        raise CheckFailed("COSE_Sign1 fields of the wrong type")
    header = cbor2.loads(protected) if protected else {}
    if header.get(1) != -8:
        raise CheckFailed(f"COSE algorithm {header.get(1)!r} is not EdDSA (-8)")
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, to_be_signed)
    except InvalidSignature:
        raise CheckFailed("signature does not verify") from None
    kid = unprotected.get(4) if isinstance(unprotected, dict) else None
    return payload, kid


def _approval_of(update):
    """The package approval COSE_Sign1 inside an update: the one value that is a tag-18 item
    (decoded, or as bytes)."""
    found = [v for v in update.values()
             if (isinstance(v, cbor2.CBORTag) and v.tag == 18)
             or (isinstance(v, (bytes, bytearray)) and v[:1] == b"\xd2")]
    if len(found) != 1:
        raise CheckFailed(f"update for {update.get('node')!r} carries {len(found)} approval signatures")
    return found[0]


class Vehicle:
    """One vehicle. Per campaign: the newest message seq it acted on, its own report seq,
    how many offers started its script, and the phase: idle -> busy (answering an offer) ->
    waiting (for a reminder or a retry's offer) or done."""

    def __init__(self, vin, script, rnd):
        self.vin, self.script, self.rnd = vin, script, rnd
        self.last_msg_seq = {}
        self.report_seq = {}
        self.offers = {}
        self.phase = {}


class Simulator:
    """The fleet. vins: {vin: script name}. store_key: the 32-byte public key offers must be
    signed with; package_keys: public keys an approval may be signed with (any of them)."""

    def __init__(self, host, port, vins, store_key, package_keys, connections=4, seed=1,
                 speed=1.0, client_prefix="sim"):
        unknown = sorted({s for s in vins.values() if s not in SCRIPTS})
        if unknown:
            raise ValueError(f"unknown scripts: {unknown}")
        self.host, self.port = host, port
        self.store_key = bytes(store_key)
        self.package_keys = [bytes(k) for k in package_keys]
        self.speed = speed
        rnd = random.Random(seed)
        self.vehicles = {v: Vehicle(v, s, random.Random(rnd.random())) for v, s in sorted(vins.items())}
        self.n_conn = max(1, connections)
        self.lock = threading.RLock()
        self.reports = []         # [topic, bytes, MQTTMessageInfo, vin, campaign, state]
        self.offers_verified = 0
        self.messages = 0
        self.check_failures = []  # (topic, reason)
        self.cleared = set()      # (vin, campaign) that got an empty retained message
        self.cancelled = set()
        self.offered = set()      # (vin, campaign) with a verified offer
        self.clients = []
        self._timers = []         # heap of (due, n, fn)
        self._counter = itertools.count()
        self._wake = threading.Condition(self.lock)
        self._stopping = False
        self._thread = None
        self._ready = [threading.Event() for _ in range(self.n_conn)]
        self._prefix = client_prefix

    # -- connections -------------------------------------------------------------------

    def _conn_of(self, vin):
        return zlib.crc32(vin.encode()) % self.n_conn

    def start(self, timeout=10):
        """Connects and subscribes every connection; returns once all are subscribed."""
        self._thread = threading.Thread(target=self._run_timers, name="sim-timers", daemon=True)
        self._thread.start()
        for i in range(self.n_conn):
            c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
                            client_id=f"{self._prefix}-{i}", protocol=mqtt.MQTTv5, userdata=i)
            c.max_inflight_messages_set(200)
            c.on_connect = self._on_connect
            c.on_subscribe = self._on_subscribe
            c.on_message = self._on_message
            c.connect(self.host, self.port, keepalive=30)
            c.loop_start()
            self.clients.append(c)
        deadline = time.monotonic() + timeout
        for e in self._ready:
            if not e.wait(max(0.0, deadline - time.monotonic())):
                raise TimeoutError("simulator connections did not subscribe in time")

    def stop(self):
        with self.lock:
            self._stopping = True
            self._wake.notify_all()
        for c in self.clients:
            try:
                c.disconnect()
                c.loop_stop()
            except Exception:  # noqa: BLE001 - stopping: nothing left to do about it
                pass
        if self._thread:
            self._thread.join(timeout=5)

    def _on_connect(self, client, idx, flags, reason, props):
        if reason.is_failure:
            return
        client.subscribe(OFFER_FILTER, qos=1)

    def _on_subscribe(self, client, idx, mid, reasons, props):
        self._ready[idx].set()

    # -- timers: the vehicles' delays, on one thread --------------------------------------

    def _later(self, delay, fn):
        with self.lock:
            heapq.heappush(self._timers, (time.monotonic() + delay / self.speed, next(self._counter), fn))
            self._wake.notify()

    def _run_timers(self):
        while True:
            with self.lock:
                while not self._stopping and (not self._timers or self._timers[0][0] > time.monotonic()):
                    wait = self._timers[0][0] - time.monotonic() if self._timers else 1.0
                    self._wake.wait(timeout=max(0.001, min(wait, 1.0)))
                if self._stopping:
                    return
                _, _, fn = heapq.heappop(self._timers)
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - a broken step is recorded, not fatal
                with self.lock:
                    self.check_failures.append(("timer", repr(e)))

    # -- messages from the backend ---------------------------------------------------------

    def _on_message(self, client, idx, msg):
        parts = msg.topic.split("/")
        if len(parts) != 6 or parts[:3] != ["ota", "v1", "vehicles"] or parts[4] != "campaigns":
            return
        vin, campaign_text = parts[3], parts[5]
        v = self.vehicles.get(vin)
        if v is None or self._conn_of(vin) != idx:
            return
        with self.lock:
            self.messages += 1
            if not msg.payload:
                self.cleared.add((vin, campaign_text))
                return
        try:
            message = self._check(msg.topic, vin, campaign_text, msg.payload)
        except CheckFailed as e:
            with self.lock:
                self.check_failures.append((msg.topic, str(e)))
            return
        except Exception as e:  # noqa: BLE001 - malformed: same as a failed check
            with self.lock:
                self.check_failures.append((msg.topic, f"malformed: {e!r}"))
            return
        self._act(v, message)

    def _check(self, topic, vin, campaign_text, payload):
        body, _kid = verify_sign1(payload, self.store_key)
        m = cbor2.loads(body)
        if not isinstance(m, dict):
            raise CheckFailed("message is not a map")
        if m.get("vin") != vin:
            raise CheckFailed(f"message vin {m.get('vin')!r} is not the topic's {vin}")
        if str(m.get("campaign")) != campaign_text:
            raise CheckFailed(f"message campaign {m.get('campaign')!r} is not the topic's {campaign_text}")
        if m.get("type") not in ("offer", "reminder", "cancel"):
            raise CheckFailed(f"unknown message type {m.get('type')!r}")
        if not isinstance(m.get("seq"), int):
            raise CheckFailed("message without seq")
        if m["type"] != "cancel":
            updates = m.get("updates")
            if not isinstance(updates, (list, tuple)) or not updates:
                raise CheckFailed("offer without updates")
            for u in updates:
                self._check_update(u)
        return m

    def _check_update(self, u):
        approval = _approval_of(u)
        errors = []
        for key in self.package_keys:
            try:
                body, _ = verify_sign1(approval, key)
                break
            except CheckFailed as e:
                errors.append(str(e))
        else:
            raise CheckFailed(f"package approval for {u.get('node')!r}: {'; '.join(errors)}")
        manifest = cbor2.loads(body)
        if manifest.get("ecu") != u.get("node"):
            raise CheckFailed(f"approved package is for {manifest.get('ecu')!r}, the update for {u.get('node')!r}")
        if manifest.get("to") != u.get("to"):
            raise CheckFailed(f"approved version {manifest.get('to')!r} is not the update's {u.get('to')!r}")
        if u.get("hw") not in manifest.get("hw", []):
            raise CheckFailed(f"hardware {u.get('hw')!r} is not approved for this package")
        if u.get("release-counter") != manifest.get("release-counter"):
            raise CheckFailed("release counter differs from the approved one")
        files = u.get("files", [])
        approved = {f["name"]: f.get("sha256") for f in manifest.get("files", [])}
        for f in files:
            if approved.get(f.get("name")) != f.get("sha256"):
                raise CheckFailed(f"file {f.get('name')!r} is not the approved one")

    # -- the scripted vehicle --------------------------------------------------------------

    def _act(self, v, m):
        c = m["campaign"]
        with self.lock:
            if m["seq"] <= v.last_msg_seq.get(c, 0):
                return  # a message seen before (retained, or published twice)
            v.last_msg_seq[c] = m["seq"]
            if m["type"] == "cancel":
                self.cancelled.add((v.vin, str(c)))
                v.done[c] = True
                return
            self.offers_verified += 1
            self.offered.add((v.vin, str(c)))
            if v.phase.get(c, "idle") in ("busy", "done"):
                return
            v.phase[c] = "busy"
            n = v.offers[c] = v.offers.get(c, 0) + 1
        updates = m["updates"]
        s, r = v.script, v.rnd
        first = n == 1
        after = "waiting" if first and s in ("defer-accept", "fail-once:connectivity") else "done"
        if s == "silent":
            self._finish(v, c, after)
            return
        seq = [("received", {})]
        if s == "decline":
            seq.append(("declined", {}))
        elif s == "defer-accept" and first:
            seq.append(("deferred", {}))
        elif s.startswith("fail:") or (s == "fail-once:connectivity" and first):
            reason = s.split(":", 1)[1]
            seq += [("accepted", {}), ("downloading", {"progress": 30}),
                    ("failed", {"reason": reason, "code": FAIL_CODES[reason]})]
        elif s == "silent-after-accept":
            seq.append(("accepted", {}))
        else:
            def ecus(version_of):
                return [{"node": u["node"], "slot": u["slot"], "hw": u["hw"], "sw": version_of(u)}
                        for u in updates]
            seq += [("accepted", {}), ("downloading", {"progress": 50}), ("downloaded", {}),
                    ("installing", {})]
            if s == "rolled-back":
                seq.append(("rolled-back", {"ecus": ecus(lambda u: u["from"])}))
            elif s == "wrong-version":
                seq.append(("installed", {"ecus": ecus(lambda u: u["to"] + "-x")}))
            else:
                seq.append(("installed", {"ecus": ecus(lambda u: u["to"])}))
        # Successes report within ~1 s, failures a second or two later, so that the first
        # final targets of a wave are not all failures (a tiny sample is the library's
        # business, not this test's).
        slow = SCRIPTS[s][0] != "succeeded" or seq[-1][0] == "failed"
        t = r.uniform(0.05, 0.3) + (r.uniform(1.0, 2.0) if slow else 0.0)
        for state, extra in seq:
            self._later(t, lambda st=state, ex=extra: self._report(v, c, st, ex))
            t += r.uniform(0.03, 0.15)
        self._later(t, lambda: self._finish(v, c, after))

    def _finish(self, v, c, phase):
        with self.lock:
            v.phase[c] = phase

    def _report(self, v, c, state, extra):
        with self.lock:
            seq = v.report_seq[c] = v.report_seq.get(c, 0) + 1
        report = {"vin": v.vin, "campaign": c, "seq": seq, "time": int(time.time()), "state": state}
        report.update(extra)
        data = cbor2.dumps(report)
        topic = f"ota/v1/vehicles/{v.vin}/status"
        info = self.clients[self._conn_of(v.vin)].publish(topic, data, qos=1)
        with self.lock:
            self.reports.append([topic, data, info, v.vin, c, state])

    # -- what happened ---------------------------------------------------------------------

    def expected(self):
        """{vin: (target state, failure reason or None)} the library should end with."""
        return {vin: SCRIPTS[v.script] for vin, v in self.vehicles.items()}

    def acknowledged_reports(self):
        """(topic, bytes) of every report the broker acknowledged (PUBACK)."""
        with self.lock:
            return [(t, d) for t, d, info, *_ in self.reports if info.is_published()]

    def unacknowledged(self):
        with self.lock:
            return sum(1 for r in self.reports if not r[2].is_published())

    def idle(self):
        """No timer pending and every report acknowledged by the broker."""
        with self.lock:
            return not self._timers and all(r[2].is_published() for r in self.reports)

    def summary(self):
        with self.lock:
            counts = {}
            for state, reason in self.expected().values():
                key = state if reason is None else f"{state}:{reason}"
                counts[key] = counts.get(key, 0) + 1
            return {"vehicles": len(self.vehicles), "expected": counts, "reports": len(self.reports),
                    "acknowledged": sum(1 for r in self.reports if r[2].is_published()),
                    "messages": self.messages, "offers-verified": self.offers_verified,
                    "check-failures": self.check_failures[:20], "cleared": len(self.cleared),
                    "cancelled": len(self.cancelled)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--broker", required=True, help="HOST:PORT")
    ap.add_argument("--vins", required=True, help="JSON file: {vin: script}")
    ap.add_argument("--store-key", required=True, help="hex Ed25519 public key of the offers")
    ap.add_argument("--package-key", required=True, action="append", help="hex key of package approvals")
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--duration", type=float, default=120, help="seconds to run")
    ap.add_argument("--record", help="write the summary and per-VIN outcomes here (JSON)")
    a = ap.parse_args(argv)
    host, _, port = a.broker.rpartition(":")
    with open(a.vins) as f:
        vins = json.load(f)
    sim = Simulator(host, int(port), vins, bytes.fromhex(a.store_key),
                    [bytes.fromhex(k) for k in a.package_key], connections=a.connections)
    sim.start()
    try:
        time.sleep(a.duration)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    out = sim.summary()
    out["outcomes"] = {vin: list(x) for vin, x in sim.expected().items()}
    text = json.dumps(out, indent=1, sort_keys=True)
    if a.record:
        with open(a.record, "w") as f:
            f.write(text)
    print(json.dumps(sim.summary(), sort_keys=True))
    return 1 if sim.check_failures else 0


if __name__ == "__main__":
    sys.exit(main())
