"""Status ingestion and campaign statistics through the C API (ctypes): results, statistics
and per-vehicle rows validated against docs/schemas/*.cddl with pycddl; a vehicle's report
signed with pycose (an independent COSE implementation); the inventory read back."""
from pathlib import Path

import cbor2
import pycddl
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from libota import OTAError, fleet
from libota import _native as n
from libota.status import FAST_INGEST, Status, topic
from libota.store import Store
from status_setup import CAMPAIGN, NOTIFIED, T0, report, running_campaign, snapshot, vin

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def schema(rule, file):
    return pycddl.Schema(f"root = {rule}\n" + (SCHEMAS / file).read_text())


RESULT = schema("ingest-result", "status-report.cddl")
RESULTS = schema("[* ingest-result]", "status-report.cddl")
REPORT = schema("status-report", "status-report.cddl")
STATS = schema("campaign-stats", "campaign-stats.cddl")
VEHICLES = schema("campaign-vehicles", "campaign-vehicles.cddl")


@pytest.fixture
def st(db_path):
    s = running_campaign(db_path)
    yield Status(s)
    s.close()


def ingest(st, i, seq, state, now=NOTIFIED + 100, **extra):
    doc = st.ingest("gw", now, topic(vin(i)), report(i, seq, state, **extra))
    RESULT.validate_cbor(doc)
    return cbor2.loads(doc)


def test_reports_move_targets_and_results_follow_the_schema(st):
    REPORT.validate_cbor(report(0, 1, "installed", ecus=[{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": "2.0"}]))
    assert ingest(st, 0, 1, "accepted") == {"result": "applied", "state": "accepted"}
    assert ingest(st, 0, 1, "accepted") == {"result": "duplicate", "state": "accepted"}
    assert ingest(st, 0, 0, "declined")["result"] == "stale"
    bad = ingest(st, 0, 2, "received")
    assert bad["result"] == "rejected" and bad["reason"] == "transition"
    assert "accepted -> notified" in bad["detail"]
    assert ingest(st, 1, 1, "failed")["reason"] == "malformed"       # a failure needs a reason
    assert ingest(st, 1, 1, "failed", reason="install", code=12)["state"] == "failed"
    unverified = ingest(st, 2, 1, "installed")
    assert unverified["reason"] == "unverified"


def test_verified_install_reaches_the_inventory_and_survives_an_older_snapshot(st):
    at = NOTIFIED + 5000
    r = ingest(st, 3, 1, "installed", now=at, ecus=[{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": "2.0"}])
    assert r == {"result": "applied", "state": "succeeded"}
    fleet.import_snapshot(st.store, "eve", at - 10, snapshot(6, bcm="1.0", taken=at - 10))
    v = cbor2.loads(fleet.vehicle(st.store, vin(3)))
    assert "2.0" in repr(v) and "campaign:1" in repr(v)
    wrong = ingest(st, 4, 1, "installed", ecus=[{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": "1.9"}])
    assert wrong["state"] == "failed"


def test_batch_results_in_order_and_one_audit_entry(st):
    entries = st.store.audit_verify()[0]
    batch = cbor2.dumps([[topic(vin(i)), report(i, 1, "downloading")] for i in range(6)]
                        + [[topic(vin(0)), report(1, 1, "downloading")], "junk"])
    out = st.ingest_batch("gw", NOTIFIED + 200, batch)
    RESULTS.validate_cbor(out)
    res = cbor2.loads(out)
    assert [r["result"] for r in res] == ["applied"] * 6 + ["rejected", "rejected"]
    assert [r.get("reason") for r in res[6:]] == ["topic", "malformed"]
    assert st.store.audit_verify()[0] == entries + 1
    with pytest.raises(OTAError) as e:
        st.ingest_batch("gw", NOTIFIED, b"\xa0")
    assert e.value.code == n.BADINPUT
    with pytest.raises(OTAError) as e:
        st.ingest("eve", NOTIFIED, topic(vin(0)), report(0, 9, "downloading"))
    assert e.value.code == n.DENIED


def test_a_signed_vehicle_needs_a_cose_sign1_by_its_key(st):
    private = Ed25519PrivateKey.generate()
    pub = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    with pytest.raises(OTAError) as e:
        st.set_key("gw", 5, vin(0), pub)
    assert e.value.code == n.DENIED
    st.set_key("eve", 5, vin(0), pub)
    assert ingest(st, 0, 1, "accepted")["reason"] == "signature"
    msg = Sign1Message(phdr={Algorithm: EdDSA}, uhdr={KID: b"veh-0"}, payload=report(0, 1, "accepted"))
    msg.key = OKPKey(crv=Ed25519, d=raw, x=pub)
    signed = msg.encode(tag=True)
    assert cbor2.loads(st.ingest("gw", NOTIFIED + 10, topic(vin(0)), signed)) == {"result": "applied", "state": "accepted"}
    with pytest.raises(OTAError) as e:
        st.set_key("eve", 5, "WVWZZZ1KZAW999999", pub)
    assert e.value.code == n.NOTFOUND


def test_stats_and_vehicles_follow_their_schemas_and_add_up(st):
    ingest(st, 0, 1, "installed", ecus=[{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": "2.0"}])
    ingest(st, 1, 1, "failed", reason="install", code=3)
    ingest(st, 2, 1, "declined")
    doc = st.stats(CAMPAIGN, NOTIFIED + 999)
    STATS.validate_cbor(doc)
    s = cbor2.loads(doc)
    for key in ("by-market", "by-region", "by-model", "failures"):   # what cddl-rs cannot check
        assert all(isinstance(k, str) and all(isinstance(c, str) and isinstance(v, int) for c, v in m.items())
                   for k, m in s[key].items())
    assert s["targets"] == 6 and sum(s["by-state"].values()) == 6
    assert s["by-state"]["succeeded"] == 1 and s["failures"] == {"install": {"3": 1}}
    assert s["success"] == 10000 // 6 and s["progress"] == 2 * 10000 // 6
    assert len(s["time-to-success"]["counts"]) == len(s["time-to-success"]["bounds"]) + 1
    assert s["timeline"][0][0] == (NOTIFIED // 3600) * 3600
    page = st.vehicles(CAMPAIGN, cbor2.dumps({"limit": 4}))
    VEHICLES.validate_cbor(page)
    p = cbor2.loads(page)
    assert [r["vin"] for r in p["rows"]] == [vin(i) for i in range(4)] and p["next"] == 3
    rest = cbor2.loads(st.vehicles(CAMPAIGN, cbor2.dumps({"after": p["next"]})))
    assert [r["vin"] for r in rest["rows"]] == [vin(4), vin(5)] and rest["next"] is None
    failed = cbor2.loads(st.vehicles(CAMPAIGN, cbor2.dumps({"state": "failed"})))["rows"]
    assert [(r["vin"], r["reason"], r["code"]) for r in failed] == [(vin(1), "install", 3)]
    assert len(cbor2.loads(st.vehicles(CAMPAIGN))["rows"]) == 6
    with pytest.raises(OTAError) as e:
        st.vehicles(CAMPAIGN, cbor2.dumps({"limit": 0, "colour": 1}))
    assert e.value.code == n.BADINPUT and "limit" in e.value.message and "colour" in e.value.message
    with pytest.raises(OTAError) as e:
        st.stats(42, 0)
    assert e.value.code == n.NOTFOUND


def test_fast_ingest_is_an_open_option(tmp_path):
    s = running_campaign(str(tmp_path / "fast.db"), flags=FAST_INGEST)
    assert cbor2.loads(Status(s).ingest("gw", NOTIFIED, topic(vin(0)), report(0, 1, "accepted")))["result"] == "applied"
    s.close()
    with pytest.raises(OTAError) as e:
        Store(str(tmp_path / "x.db"), flags=0x80)
    assert e.value.code == n.MISUSE
