"""End to end over a real broker: a mosquitto on 127.0.0.1, two mqtt-gateway processes on one
store, 2,000 simulated vehicles (python/sim/vehicle_sim.py), a three-wave campaign run to
completion while one gateway is killed (SIGKILL) midway and restarted by its "supervisor".

Checks: the campaign completes; its statistics (ota_campaign_stats) and every target's final
state equal what the simulator did; every report the broker acknowledged to a vehicle is in
the store's status_reports (none lost), none rejected; every vehicle verified its offers
(store key) and the package approvals in them (package signer's key), independently of
libota; every final target's retained offer was cleared; the outbox is empty; both gateways
stop cleanly on SIGTERM.

Smaller tests cover the gateway's failure paths (docs/gateway.md): no stale offer sent again
after a reconnect, each outbox message published once, a report the gateway could not hold
(out of memory) or could not store (role revoked) never acknowledged, a busy store retried.

Skipped (so the suite stays green) when build/mqtt-gateway, the campaign API in libota.so,
mosquitto or paho-mqtt is missing. Every loop is bounded in time; every process started is
stopped by a finalizer.
"""
import ctypes
import hashlib
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import cbor2
import pytest

from libota import _native as n
from libota import fleet, roles
from libota.packages import Packages
from libota.store import Store, c_db

ROOT = Path(__file__).resolve().parents[2]
GATEWAY = ROOT / "build" / "mqtt-gateway"
sys.path.insert(0, str(ROOT / "python"))

paho = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed")
if not GATEWAY.exists():
    pytest.skip("build/mqtt-gateway is not built (needs the campaign API: make embedded)", allow_module_level=True)
if not hasattr(n.lib, "ota_campaign_step"):
    pytest.skip("libota.so has no campaign API yet", allow_module_level=True)
if not shutil.which("mosquitto") and not Path("/usr/sbin/mosquitto").exists():
    pytest.skip("mosquitto is not installed", allow_module_level=True)

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from sim.vehicle_sim import FAIL_CODES, Simulator  # noqa: E402

i64, Buf = ctypes.c_int64, n.Buf

N_VEHICLES = 2000
PKG_SEED = bytes(range(32))                   # the package approver's key (set on the store)
GW_SEED = bytes(range(200, 232))              # the gateways' key: offers are signed with it
DEADLINE = 150                                # seconds for the campaign, from its start
SCRIPT_MIX = {                                # how many vehicles do what (adds up to 2,000)
    "accept": 1360, "defer-accept": 120, "fail-once:connectivity": 60, "decline": 100,
    "fail:precondition": 40, "fail:power": 40, "fail:download": 40, "fail:install": 40,
    "fail:other": 20, "silent": 60, "silent-after-accept": 40, "wrong-version": 40,
    "rolled-back": 40,
}


def public_key(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(cond, timeout, what, step=0.2):
    """Polls cond until it holds; what (text, or a function giving it) says what failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what() if callable(what) else what}")


# --- processes --------------------------------------------------------------------------------

class Processes:
    """Every process the test starts; the finalizer stops what is still running."""

    def __init__(self):
        self.procs = []

    def start(self, args, log, env=None):
        p = subprocess.Popen(args, stdout=open(log, "ab"), stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


@pytest.fixture
def procs():
    ps = Processes()
    yield ps
    ps.stop_all()


@pytest.fixture
def broker(tmp_path, procs):
    """A mosquitto on a free port of 127.0.0.1, no persistence; stopped by `procs`."""
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 100000\nmax_inflight_messages 100\n")
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    p = procs.start([exe, "-c", str(conf)], tmp_path / "mosquitto.log")

    def listening():
        assert p.poll() is None, (tmp_path / "mosquitto.log").read_text()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return False
    wait_for(listening, 10, "mosquitto to listen")
    return port


# --- the store --------------------------------------------------------------------------------

def vin(i):
    return f"WVWZZZ1KZ{i:08d}"  # European VINs: no check digit


def snapshot(now, n_vehicles=N_VEHICLES):
    rnd = random.Random(7)
    vehicles = []
    for i in range(n_vehicles):
        vehicles.append([vin(i), rnd.choice(["Aurora", "Borealis"]), rnd.choice(["sedan", "suv"]),
                         rnd.choice(["petrol", "electric"]), rnd.choice(["DE", "FR", "IT", "ES", "SE"]),
                         now - 86400 * rnd.randint(30, 900),
                         [["BCM", rnd.choice(["HW-BCM-01", "HW-BCM-02"]), "2.3.0"], ["GW", "HW-GW-1", "5.1.0"]]])
    return cbor2.dumps({0: 1, 1: now, 3: vehicles})


def campaign_spec(package_id, now, shares=(10, 30, 60)):
    wave = {"success-gate": 50, "failure-threshold": 60, "min-final": 50, "soak": 2}
    return {
        "name": "BCM door-unlock fix EU", "category": "bugfix", "packages": [package_id],
        "urgency": "immediate", "end": now + 900,
        "waves": [dict(wave, share=share) for share in shares],
        "rate": {"per-minute": 100000},
        "notify": {"reminder": 3, "max-deferrals": 2, "feedback-on-decline": False,
                   "mandatory-after-deferrals": False},
        "timeouts": {"answer": 15, "install": 15},
        "retry": {"max": 1, "backoff": 2, "factor": 1, "reasons": ["connectivity"]},
    }


def call_buf(store, fn_, *args):
    return cbor2.loads(store.call_buf(fn_, *args))


def build_store(path, tmp_path, n_vehicles=N_VEHICLES, shares=(10, 30, 60), start=True):
    """n_vehicles vehicles, a released BCM package (approval signed with PKG_SEED), a campaign
    in waves of `shares` percent approved (by an admin: no test campaign first) and started (or
    not: then start_campaign starts it). Returns its id."""
    now = int(time.time())
    with Store(str(path), bootstrap_admin="root", now=now) as s:
        for who, role in [("eve", "engineer"), ("ann", "approver"), ("cam", "campaign-manager"),
                          ("gw", "gateway"), ("gw", "campaign-manager")]:
            roles.grant(s, "root", now, who, role)
        fleet.import_snapshot(s, "eve", now, snapshot(now, n_vehicles))
        pk = Packages(s)
        pk.set_signing_key(PKG_SEED, "release-key-1")
        content = b":10000000" + bytes(range(256)) * 40
        (tmp_path / "bcm_app.hex").write_bytes(content)
        files = [{"name": "bcm_app.hex", "size": len(content), "sha256": hashlib.sha256(content).digest(),
                  "uri": "s3://ota-artifacts/bcm/bcm_app.hex"}]
        manifest = {"name": "BCM-app", "version": "2.4.0", "ecu": "BCM", "category": "bugfix",
                    "release-type": "routine", "issue": "Door unlock relay chatters at -30 C",
                    "protocol": "CAN-FD", "powertrains": ["petrol", "electric"], "models": ["Aurora", "Borealis"],
                    "hw": ["HW-BCM-01", "HW-BCM-02"], "from": ["2.3.0"], "to": "2.4.0", "files": files,
                    "release-notes": "Fixes relay debounce.", "requires": [["GW", ["5.1.0"]]],
                    "release-counter": 7}
        pid = pk.register("eve", now, cbor2.dumps(manifest))
        pk.verify_file("eve", now, pid, "bcm_app.hex", tmp_path / "bcm_app.hex")
        pk.validate("eve", now, pid)
        pk.approve("ann", now, pid)
        pk.release("cam", now, pid)

        spec = cbor2.dumps(campaign_spec(pid, now, shares))
        cid = i64()
        s.check(n.lib.ota_campaign_create(s.handle, b"cam", now, spec, len(spec), ctypes.byref(cid)))
        report = call_buf(s, n.lib.ota_campaign_validate, cid)
        # the only problem allowed: no test campaign first, which an admin may approve
        assert report["problems"] == [] or report.get("approvable-by-admin-only") is True, report
        assert report["targets"] == n_vehicles, report
        s.check(n.lib.ota_campaign_approve(s.handle, b"root", now, cid))
        if start:
            s.check(n.lib.ota_campaign_start(s.handle, b"cam", now, cid))
        return cid.value


def start_campaign(path, cid):
    with Store(str(path), flags=0x2) as s:
        s.set_signing_key(GW_SEED, "gateway-1")  # the start's event is signed, as the gateway signs
        s.check(n.lib.ota_campaign_start(s.handle, b"cam", int(time.time()), i64(cid)))


def scripts():
    names = [name for name, count in SCRIPT_MIX.items() for _ in range(count)]
    assert len(names) == N_VEHICLES
    random.Random(11).shuffle(names)
    return {vin(i): names[i] for i in range(N_VEHICLES)}


# --- the test ---------------------------------------------------------------------------------

def test_campaign_over_mqtt_with_a_gateway_killed_midway(tmp_path, broker, procs):
    db = tmp_path / "store.db"
    cid = build_store(db, tmp_path)
    seed_file = tmp_path / "gateway.seed"
    seed_file.write_bytes(GW_SEED)

    sim = Simulator("127.0.0.1", broker, scripts(), public_key(GW_SEED), [public_key(PKG_SEED)],
                    connections=4, seed=5)
    stopped = threading.Event()

    def stop_sim():
        if not stopped.is_set():
            stopped.set()
            sim.stop()
    try:
        sim.start()
        _run(tmp_path, db, cid, seed_file, broker, sim, procs)
    finally:
        stop_sim()


def _run(tmp_path, db, cid, seed_file, port, sim, procs):
    gateways, logs = {}, {}

    def start(name):
        logs[name] = tmp_path / f"{name}.log"
        gateways[name] = procs.start(
            [str(GATEWAY), "--broker", f"127.0.0.1:{port}", "--db", str(db), "--actor", "gw",
             "--signing-seed", str(seed_file), "--kid", "gateway-1", "--client-id", name,
             "--batch", "50", "--batch-ms", "50", "--step-interval", "1"], logs[name])

    def log_tail(k=30):
        return "\n".join(f"--- {name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-k:])
                         for name, p in logs.items())

    start("gw-a")
    start("gw-b")
    t0 = time.monotonic()

    # Midway (a quarter of the vehicles have reported: the second wave is out), kill the
    # gateway holding the outbox lease, and restart it after a pause as a supervisor would:
    # its broker session kept its share of the reports meanwhile.
    def reporting():
        with sim.lock:
            return len({r[3] for r in sim.reports})
    wait_for(lambda: reporting() >= N_VEHICLES // 4, 60, lambda: "a quarter of the vehicles to report\n" + log_tail())
    def holds_lease(name):
        text = logs[name].read_text()
        return text.rfind("took the lease") > text.rfind("released the lease")
    wait_for(lambda: any(holds_lease(g) for g in logs), 10, lambda: "a gateway to hold the lease\n" + log_tail())
    leader = next(g for g in sorted(logs) if holds_lease(g))
    gateways[leader].send_signal(signal.SIGKILL)
    gateways[leader].wait(timeout=10)
    other = "gw-b" if leader == "gw-a" else "gw-a"
    wait_for(lambda: "took the lease" in logs[other].read_text(), 15,
             lambda: f"{other} to take the lease after {leader} died\n" + log_tail())
    time.sleep(1.5)
    start(leader)

    # Until the campaign completes and the vehicles have nothing left to say.
    probe = Store(str(db), flags=0x2)  # the test's own handle, for progress and statistics
    try:
        def state():
            return call_buf(probe, n.lib.ota_campaign_get, i64(cid))["state"]
        remaining = max(1.0, DEADLINE - (time.monotonic() - t0))
        wait_for(lambda: state() == "completed", remaining,
                 lambda: f"campaign {cid} to complete (it is {state()})\n" + log_tail())
        wait_for(sim.idle, 20, "the simulator's reports to be acknowledged")
        wait_for(lambda: len(sim.cleared) == N_VEHICLES, 20,
                 lambda: f"every retained offer to be cleared ({len(sim.cleared)} of {N_VEHICLES})")
        # the last clears and the completion event may still wait for their PUBACKs
        wait_for(lambda: call_buf(probe, n.lib.ota_outbox_fetch, i64(10)) == [], 10,
                 lambda: "the outbox to be drained\n" + log_tail())
        stats = call_buf(probe, n.lib.ota_campaign_stats, i64(cid), i64(int(time.time())))
    finally:
        probe.close()

    # Both gateways stop cleanly.
    for name, p in gateways.items():
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for name, p in gateways.items():
        assert p.wait(timeout=20) == 0, f"{name} did not stop cleanly\n" + log_tail()

    # The vehicles verified everything they were sent, independently of libota.
    summary = sim.summary()
    assert sim.check_failures == [], summary
    assert len({v for v, _ in sim.offered}) == N_VEHICLES, summary

    # Statistics equal what the simulator did.
    expected = sim.expected()
    by_state = {}
    failures = {}
    for state_, reason in expected.values():
        by_state[state_] = by_state.get(state_, 0) + 1
        if reason:
            failures[reason] = failures.get(reason, 0) + 1
    assert stats["state"] == "completed"
    assert stats["targets"] == N_VEHICLES
    assert {k: v for k, v in stats["by-state"].items() if v} == by_state, stats["by-state"]
    got_failures = {r: sum(codes.values()) for r, codes in stats["failures"].items() if sum(codes.values())}
    assert got_failures == failures, stats["failures"]
    for reason, code in FAIL_CODES.items():  # the codes the vehicles sent come back as sent
        if reason in failures and reason not in ("timeout", "verification", "rolled-back"):
            assert {str(k): v for k, v in stats["failures"][reason].items()} == {str(code): failures[reason]}

    # Every target ended where its vehicle's script leads, and no report was lost.
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        rows = c.execute("SELECT vin, state, reason FROM targets WHERE campaign_id = ?", (cid,)).fetchall()
        stored = [r for (r,) in c.execute("SELECT report FROM status_reports")]
        results = dict(c.execute("SELECT result, count(*) FROM status_reports GROUP BY result").fetchall())
        rejected = c.execute("SELECT reason, count(*) FROM status_reports WHERE result = 'rejected' "
                             "GROUP BY reason").fetchall()
    got = {v: (s, r if s == "failed" else None) for v, s, r in rows}
    wrong = {v: (got.get(v), want) for v, want in expected.items() if got.get(v) != want}
    assert not wrong, f"{len(wrong)} targets differ from the simulator, e.g. {sorted(wrong.items())[:5]}"
    acknowledged = sim.acknowledged_reports()
    assert len(acknowledged) == len(sim.reports), "the broker did not acknowledge every report"
    have = set(stored)
    lost = [d for _, d in acknowledged if d not in have]
    assert not lost, f"{len(lost)} of {len(acknowledged)} acknowledged reports are not in the store, " \
                     f"e.g. {cbor2.loads(lost[0])}"
    assert not rejected, f"reports rejected: {rejected}"
    assert sum(results.values()) >= len(acknowledged)

    # The broker holds no offer for a finished vehicle.
    assert retained_offers(port) == [], "offers still retained after completion"


def retained_offers(port, wait=1.5):
    """Topics of retained messages on the vehicles' campaign topics (a fresh subscriber)."""
    import paho.mqtt.client as mqtt
    seen = []
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="retained-probe",
                    protocol=mqtt.MQTTv5)
    c.on_message = lambda _c, _u, m: seen.append(m.topic) if m.retain and m.payload else None
    c.on_connect = lambda cl, *_: cl.subscribe("ota/v1/vehicles/+/campaigns/+", qos=1)
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        time.sleep(wait)
    finally:
        c.disconnect()
        c.loop_stop()
    return seen


# --- the gateway's failure paths (small stores, one or two gateways) ----------------------------

def start_gateway(procs, tmp_path, port, db, name, *extra, env=None):
    """A gateway named `name` (its client id) on 127.0.0.1:port; returns (process, log path)."""
    seed_file = tmp_path / "gateway.seed"
    seed_file.write_bytes(GW_SEED)
    log = tmp_path / f"{name}.log"
    p = procs.start([str(GATEWAY), "--broker", f"127.0.0.1:{port}", "--db", str(db), "--actor", "gw",
                     "--signing-seed", str(seed_file), "--kid", "gateway-1", "--client-id", name,
                     "--batch", "50", "--batch-ms", "50", "--step-interval", "1", *extra], log, env=env)
    return p, log


def stop_gateway(p, log):
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0, log.read_text()[-3000:]


def outbox_empty(db):
    with Store(str(db), flags=0x2) as s:
        return call_buf(s, n.lib.ota_outbox_fetch, i64(10)) == []


def stored_reports(db):
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        return [bytes(r) for (r,) in c.execute("SELECT report FROM status_reports")]


def publish_report(port, topic, payload):
    """Publishes one report with QoS 1 and returns once the broker acknowledged it."""
    import paho.mqtt.client as mqtt
    c = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="test-vehicle",
                    protocol=mqtt.MQTTv5)
    c.connect("127.0.0.1", port)
    c.loop_start()
    try:
        c.publish(topic, payload, qos=1).wait_for_publish(timeout=10)
    finally:
        c.disconnect()
        c.loop_stop()


def report_bytes(v, cid, pad=0):
    return cbor2.dumps({"vin": v, "campaign": cid, "seq": 1, "time": int(time.time()), "state": "received",
                        **({"pad": "x" * pad} if pad else {})})


class Proxy:
    """A TCP proxy from a local port to the broker. With `holding` set, the client's bytes are
    swallowed (its publishes never reach the broker, so they are never acknowledged); cut()
    closes every connection, and new ones hang (connected to nothing) until allow() closes
    them, so the client's next attempt comes soon."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.holding = self.refusing = False
        self.conns, self.limbo = [], []
        self.lock = threading.Lock()
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            if self.refusing:
                with self.lock:
                    self.limbo.append(c)
                continue
            try:
                b = socket.create_connection(("127.0.0.1", self.broker_port))
            except OSError:
                c.close()
                continue
            with self.lock:
                self.conns += [c, b]
            threading.Thread(target=self._pump, args=(c, b, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(b, c, False), daemon=True).start()

    def _pump(self, src, dst, upstream):
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data:
                break
            if upstream and self.holding:
                continue
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        self.refusing = True
        with self.lock:
            conns, self.conns = self.conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def allow(self):
        self.holding = self.refusing = False
        with self.lock:
            limbo, self.limbo = self.limbo, []
        for s in limbo:
            s.close()

    def close(self):
        self.srv.close()
        self.cut()
        self.allow()


def test_no_stale_offer_is_resent_after_a_reconnect(tmp_path, broker, procs):
    """Gateway 1 publishes the offers; they never reach the broker (held by a proxy) and its
    connection drops. Gateway 2 takes the lease, publishes them, the vehicles install and the
    offers are cleared. When gateway 1 reconnects, nothing of its old connection may be sent
    again: a stale offer would be retained over the clear."""
    db = tmp_path / "store.db"
    vins = {vin(i): "accept" for i in range(4)}
    cid = build_store(db, tmp_path, n_vehicles=len(vins), shares=(100,), start=False)
    proxy = Proxy(broker)
    sim = Simulator("127.0.0.1", broker, vins, public_key(GW_SEED), [public_key(PKG_SEED)], connections=1, seed=3)
    sim.start()
    try:
        # gw-1 in a share group of its own: the reports its session keeps while it is away are
        # copies, gw-2 gets them all
        g1, log1 = start_gateway(procs, tmp_path, proxy.port, db, "gw-1", "--verbose", "--share-group", "one")
        wait_for(lambda: "took the lease" in log1.read_text(), 15, "gw-1 to take the lease")
        g2, log2 = start_gateway(procs, tmp_path, broker, db, "gw-2")
        wait_for(lambda: "connected to" in log2.read_text(), 15, "gw-2 to connect")
        proxy.holding = True
        start_campaign(db, cid)

        def offers_published():
            text = log1.read_text()
            return "notified 4" in text and "outbox: published" in text[text.find("notified 4"):]
        wait_for(offers_published, 15, lambda: "gw-1 to publish the offers\n" + log1.read_text())
        time.sleep(0.3)
        proxy.cut()
        wait_for(lambda: "took the lease" in log2.read_text(), 15, lambda: "gw-2 to take the lease\n" + log2.read_text())
        wait_for(lambda: len(sim.cleared) == len(vins), 20,
                 lambda: f"the offers to be cleared ({len(sim.cleared)})\n" + log2.read_text()[-2000:])
        wait_for(lambda: outbox_empty(db), 10, "the outbox to be drained")
        assert retained_offers(broker, wait=0.5) == []
        proxy.allow()
        wait_for(lambda: log1.read_text().count("connected to") >= 2, 20,
                 lambda: "gw-1 to reconnect\n" + log1.read_text())
        time.sleep(1.0)
        assert retained_offers(broker) == [], "a stale offer was published again\n" + log1.read_text()[-2000:]
        stop_gateway(g1, log1)
        stop_gateway(g2, log2)
    finally:
        sim.stop()
        proxy.close()


def test_each_outbox_message_is_published_once(tmp_path, broker, procs):
    """With nothing disconnecting, every outbox message reaches a subscriber exactly once
    (a message the broker acknowledged must not be fetched and published again)."""
    import paho.mqtt.client as mqtt
    db = tmp_path / "store.db"
    cid = build_store(db, tmp_path, n_vehicles=600, shares=(100,), start=False)
    counts, lock = {}, threading.Lock()

    def on_message(_c, _u, m):
        with lock:
            counts[(m.topic, m.payload)] = counts.get((m.topic, m.payload), 0) + 1
    sub = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="counter",
                      protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    subscribed = threading.Event()
    sub.on_subscribe = lambda *_: subscribed.set()
    sub.on_connect = lambda cl, *_: cl.subscribe("ota/v1/#", qos=1)
    sub.connect("127.0.0.1", broker)
    sub.loop_start()
    try:
        assert subscribed.wait(10)
        g, log = start_gateway(procs, tmp_path, broker, db, "gw-once", "--outbox-ms", "10", "--inflight", "1000")
        wait_for(lambda: "took the lease" in log.read_text(), 15, "the gateway to take the lease")
        start_campaign(db, cid)
        offers = lambda: sum(1 for t, _ in counts if "/campaigns/" in t and t.startswith("ota/v1/vehicles/"))
        wait_for(lambda: offers() >= 600 and outbox_empty(db), 30, lambda: f"600 offers ({offers()})")
        time.sleep(1.0)
        stop_gateway(g, log)
    finally:
        sub.disconnect()
        sub.loop_stop()
    twice = {t: c for (t, _), c in counts.items() if c > 1}
    assert not twice, f"{len(twice)} of {len(counts)} messages published more than once, e.g. {sorted(twice.items())[:3]}"


def test_a_report_that_cannot_be_held_is_not_acknowledged(tmp_path, broker, procs):
    """The gateway runs out of memory holding a report (LD_PRELOAD failmalloc.so fails that one
    malloc): the report's PUBACK must not reach the broker, which then delivers it again."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler for the malloc fault injector")
    so = tmp_path / "failmalloc.so"
    subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", str(so), str(Path(__file__).with_name("failmalloc.c"))],
                   check=True)
    db = tmp_path / "store.db"
    cid = build_store(db, tmp_path, n_vehicles=2, shares=(100,), start=False)
    payload = report_bytes(vin(0), cid, pad=54000)
    env = dict(os.environ, LD_PRELOAD=str(so), FAILMALLOC_SIZE=str(len(payload)))
    g, log = start_gateway(procs, tmp_path, broker, db, "gw-oom", env=env)
    wait_for(lambda: "took the lease" in log.read_text(), 15, "the gateway to take the lease")
    publish_report(broker, f"ota/v1/vehicles/{vin(0)}/status", payload)
    wait_for(lambda: "out of memory holding a report" in log.read_text(), 10, lambda: "the injected failure\n" + log.read_text())
    wait_for(lambda: payload in stored_reports(db), 20, lambda: "the report to be delivered again and stored\n" + log.read_text())
    stop_gateway(g, log)


def test_a_revoked_gateway_role_stops_the_gateway(tmp_path, broker, procs):
    """Ingestion denied (the gateway role revoked while it runs) is not retried forever: the
    gateway exits non-zero saying why, without acknowledging the report, so the broker keeps it
    for the gateway's session and delivers it once the role is back."""
    db = tmp_path / "store.db"
    cid = build_store(db, tmp_path, n_vehicles=2, shares=(100,), start=False)
    g, log = start_gateway(procs, tmp_path, broker, db, "gw-denied")
    wait_for(lambda: "took the lease" in log.read_text(), 15, "the gateway to take the lease")
    with Store(str(db), flags=0x2) as s:
        roles.revoke(s, "root", int(time.time()), "gw", "gateway")
    payload = report_bytes(vin(1), cid)
    publish_report(broker, f"ota/v1/vehicles/{vin(1)}/status", payload)
    try:
        rc = g.wait(timeout=20)
    except subprocess.TimeoutExpired:
        raise AssertionError("the gateway kept running after ingestion was denied\n" + log.read_text()[-2000:])
    text = log.read_text()
    assert rc != 0 and "OTA_DENIED" in text, text[-2000:]
    assert payload not in stored_reports(db)
    with Store(str(db), flags=0x2) as s:
        roles.grant(s, "root", int(time.time()), "gw", "gateway")
    g, log = start_gateway(procs, tmp_path, broker, db, "gw-denied")
    wait_for(lambda: payload in stored_reports(db), 20, lambda: "the report to be delivered again\n" + log.read_text())
    stop_gateway(g, log)


def test_a_busy_store_is_retried(tmp_path, broker, procs):
    """A store locked by another writer past the busy timeout (10 s) is a passing error: the
    gateway keeps the report, retries, and stores it once the lock is gone."""
    db = tmp_path / "store.db"
    cid = build_store(db, tmp_path, n_vehicles=2, shares=(100,), start=False)
    g, log = start_gateway(procs, tmp_path, broker, db, "gw-busy")
    wait_for(lambda: "took the lease" in log.read_text(), 15, "the gateway to take the lease")
    lock = sqlite3.connect(str(db), isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")
    try:
        payload = report_bytes(vin(0), cid)
        publish_report(broker, f"ota/v1/vehicles/{vin(0)}/status", payload)
        wait_for(lambda: "retrying" in log.read_text(), 25, lambda: "a failed, retried ingestion\n" + log.read_text())
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_for(lambda: payload in stored_reports(db), 25, lambda: "the report to be stored\n" + log.read_text())
    assert g.poll() is None, log.read_text()
    stop_gateway(g, log)
