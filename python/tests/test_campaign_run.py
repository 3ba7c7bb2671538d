"""A campaign driven through the C API (ctypes): start, step, the outbox. Every message's
COSE_Sign1, and the package approval inside each offer, is verified with pycose (an
independent COSE/Ed25519 implementation); the step results, the outbox and the messages are
validated against docs/schemas/message.cddl with pycddl."""
import ctypes
import hashlib
from pathlib import Path

import cbor2
import pycddl
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from libota import fleet, roles
from libota import _native as n
from libota.campaign_run import CampaignRun
from libota.packages import Packages
from libota.store import Store
from status_setup import T0, snapshot

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


def schema(rule):
    return pycddl.Schema(f"root = {rule}\n" + (SCHEMAS / "message.cddl").read_text())


STEP = schema("step-result")
FETCH = schema("outbox-fetch")
VEHICLE = schema("vehicle-message")
EVENT = schema("campaign-event-message")
NOW = T0 + 86400
IMAGE = b"BCM image 2.0\n"


def setup(path, tmp_path):
    s = Store(path, bootstrap_admin="root", now=1)
    for who, role in [("eve", "engineer"), ("ann", "approver"), ("cam", "campaign-manager")]:
        roles.grant(s, "root", 1, who, role)
    fleet.import_snapshot(s, "eve", T0, snapshot(6))
    s.check(n.lib.ota_set_signing_key(s.handle, bytes(range(32)), b"backend-1"))
    p = Packages(s)
    image = tmp_path / "bcm.bin"
    image.write_bytes(IMAGE)
    manifest = cbor2.dumps({
        "name": "BCM-fw", "version": "2.0", "ecu": "BCM", "category": "bugfix", "release-type": "routine",
        "issue": "door unlock", "protocol": "CAN", "powertrains": ["petrol"], "models": ["Aster"],
        "hw": ["BCM-A"], "from": ["1.0"], "to": "2.0",
        "files": [{"name": "bcm.bin", "size": len(IMAGE), "sha256": hashlib.sha256(IMAGE).digest(),
                   "uri": "s3://ota/bcm.bin"}],
        "release-notes": "Fixed.", "release-counter": 3})
    pid = p.register("eve", T0, manifest)
    p.verify_file("eve", T0, pid, "bcm.bin", image)
    p.validate("eve", T0, pid)
    p.approve("ann", T0, pid)
    spec = cbor2.dumps({
        "name": "BCM fix", "category": "bugfix", "packages": [pid], "urgency": "immediate",
        "end": NOW + 30 * 86400,
        "waves": [{"count": 2, "success-gate": 50, "failure-threshold": 50}, {"success-gate": 100, "failure-threshold": 50}],
        "rate": {"per-minute": 3}, "timeouts": {"answer": 3600, "install": 7200},
        "contacts": {"on-success": ["ops@oem.example"]}})
    cid = ctypes.c_int64()
    s.check(n.lib.ota_campaign_create(s.handle, b"cam", T0, spec, len(spec), ctypes.byref(cid)))
    s.check(n.lib.ota_campaign_approve(s.handle, b"root", T0, cid.value))
    return s, cid.value


def public_key(s):
    out = (ctypes.c_uint8 * 32)()
    s.check(n.lib.ota_signing_public_key(s.handle, ctypes.byref(out)))
    return OKPKey(crv=Ed25519, x=bytes(out))


def opened(payload, key):
    """The payload of a COSE_Sign1, verified by pycose. (pycose 1.1 decodes through cbor2,
    whose 6.x returns a tagged array as a tuple that pycose refuses: hand it the array.)"""
    tag = cbor2.loads(payload)
    assert tag.tag == 18
    protected, unprotected, body, signature = tag.value
    assert cbor2.loads(protected) == {1: -8}
    msg = Sign1Message.from_cose_obj([protected, dict(unprotected), body, signature], True)
    msg.key = key
    assert msg.verify_signature()
    return body


def test_campaign_through_ctypes(db_path, tmp_path):
    s, cid = setup(db_path, tmp_path)
    run = CampaignRun(s)
    key = public_key(s)
    run.start("cam", NOW, cid)
    result = run.step("cam", NOW, cid)
    STEP.validate_cbor(result)
    doc = cbor2.loads(result)
    assert doc["state"] == "running" and doc["notified"] == 2
    assert doc["next-due"] == NOW + 3600

    fetched = run.fetch()
    FETCH.validate_cbor(fetched)
    items = cbor2.loads(fetched)
    offers = [i for i in items if "/vehicles/" in i[1]]
    events = [i for i in items if i[1] == f"ota/v1/campaigns/{cid}/events"]
    assert len(offers) == 2 and len(events) == 2
    for _id, topic, payload, retain in offers:
        assert retain
        body = opened(payload, key)
        VEHICLE.validate_cbor(body)
        m = cbor2.loads(body)
        assert topic == f"ota/v1/vehicles/{m['vin']}/campaigns/{cid}"
        assert m["type"] == "offer" and m["seq"] == 1 and m["issued"] == NOW
        (u,) = m["updates"]
        assert (u["node"], u["hw"], u["from"], u["to"], u["release-counter"]) == ("BCM", "BCM-A", "1.0", "2.0", 3)
        assert u["files"][0]["sha256"] == hashlib.sha256(IMAGE).digest()
        manifest = cbor2.loads(opened(u["approval"], key))
        assert manifest["version"] == "2.0"
    for _id, _topic, payload, retain in events:
        assert not retain
        body = opened(payload, key)
        EVENT.validate_cbor(body)
    assert [cbor2.loads(opened(e[2], key))["event"]["type"] for e in events] == ["started", "wave-opened"]

    # at least once: the same messages until acknowledged
    assert run.fetch() == fetched
    run.ack([i[0] for i in items])
    assert cbor2.loads(run.fetch()) == []

    # an hour later both time out; id 0 steps the campaign
    later = run.step("cam", NOW + 3600)
    STEP.validate_cbor(later)
    doc = cbor2.loads(later)
    assert doc["timed-out"] == 2 and [c["campaign"] for c in doc["campaigns"]] == [cid]
    for _id, _topic, payload, _retain in cbor2.loads(run.fetch()):
        if payload:
            body = opened(payload, key)
            (EVENT if cbor2.loads(body)["type"] == "event" else VEHICLE).validate_cbor(body)

    run.abort("cam", NOW + 7200, cid, "superseded by 2.1")
    kinds = []
    for _id, _topic, payload, _retain in cbor2.loads(run.fetch()):
        if payload:
            m = cbor2.loads(opened(payload, key))
            kinds.append(m["event"]["type"] if m["type"] == "event" else m["type"])
    assert kinds[-1] == "aborted"
    s.close()
