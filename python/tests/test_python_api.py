"""The Pythonic layer of the binding: Store as a context manager with default actor and clock,
documents as dicts, Package and Campaign objects, the outbox, ingestion and statistics, and
the one exception type. The whole flow runs against a real store file."""
import ctypes
import os
import re
from pathlib import Path

import cbor2
import pytest

import libota
from libota import OTAError
from libota import _native as n
from libota.campaigns import message_document

from product_support import (KID, SEED, T0, campaign_spec, fleet_snapshot, installed_report, manifest,
                             needs_campaigns, package_file, people, released_package, report, status_topic,
                             targeted, vin)

HEADER = Path(__file__).resolve().parents[2] / "include" / "ota.h"


@pytest.fixture
def store(db_path):
    with libota.Store(db_path, bootstrap_admin="root", now=T0, actor="root", clock=lambda: T0 + 500) as s:
        people(s)
        yield s


# -- the binding --------------------------------------------------------------------------

def header_functions():
    text = re.sub(r"/\*.*?\*/", "", HEADER.read_text(), flags=re.S)
    return sorted(set(re.findall(r"\b(ota_[a-z0-9_]+)\s*\(", text)) - {"ota_progress_fn", "ota_sign_fn"})


def test_every_header_function_has_declared_types():
    names = header_functions()
    assert len(names) >= 34
    assert set(n.HEADER_FUNCTIONS) <= set(names)
    undeclared = set(names) - set(n.HEADER_FUNCTIONS) - set(n.CAMPAIGN_FUNCTIONS) - set(n.EXTRA_FUNCTIONS)
    assert not undeclared, f"declare these in libota/_native.py: {sorted(undeclared)}"
    for name in names:
        f = getattr(n.lib._load(), name)  # the ctypes function under the BADINPUT wrapper
        assert f.argtypes is not None, name
        # every int-returning call is declared as such; the rest return pointers or nothing
        assert f.restype in (ctypes.c_int, ctypes.c_char_p, None), name


def test_campaign_functions_are_declared_when_present():
    for name, (res, args) in n.CAMPAIGN_FUNCTIONS.items():
        if libota.has(name):
            f = getattr(n.lib._load(), name)
            assert f.restype is res and f.argtypes == args
    assert libota.has_campaigns() == (libota.has("ota_campaign_create") and libota.has("ota_status_ingest"))


def test_design_section_9_names_are_all_bound():
    design = Path("/work/shared/design/campaigns.md")
    if not design.exists():
        pytest.skip("design notes not on this machine")
    text = design.read_text().split("## 9.")[1]
    assert sorted(set(re.findall(r"\b(ota_[a-z0-9_]+)\(", text))) == sorted(n.CAMPAIGN_FUNCTIONS)


def test_one_exception_type_with_code_name_message(store):
    with pytest.raises(OTAError) as e:
        store.vehicle("WLT00000000000099")
    err = e.value
    assert (err.code, err.name) == (n.NOTFOUND, "OTA_NOTFOUND")
    assert "WLT00000000000099" in err.message
    assert str(err) == f"OTA_NOTFOUND: {err.message}"
    assert libota.CODE_NAMES[err.code] == err.name == libota.code_name(err.code)


def test_binding_side_problems_are_otaerrors_too(store):
    with pytest.raises(OTAError) as e:
        store.set_signing_key(b"short", "k")
    assert e.value.code == n.BADINPUT
    no_actor = libota.Store(":memory:")
    with pytest.raises(OTAError) as e:
        no_actor.grant("x", "engineer")
    assert e.value.code == n.MISUSE and "actor" in e.value.message
    no_actor.close()
    with pytest.raises(OTAError) as e:
        no_actor.schema_version()
    assert e.value.code == n.MISUSE and "closed" in e.value.message
    with pytest.raises(OTAError) as e:
        store.packages.register({"name": object()})
    assert e.value.code == n.BADINPUT


def test_what_c_would_read_otherwise_is_refused(store):
    """ctypes would cut a string at U+0000 and wrap an int outside int64_t: both would reach C
    as another value (another actor, another id). The binding refuses them as BADINPUT."""
    entries = store.audit_verify()[0]
    with pytest.raises(OTAError) as e:
        store.grant("carol", "engineer", actor="root\0mallory")
    assert e.value.code == n.BADINPUT and "ota_grant: argument 2" in e.value.message
    with pytest.raises(OTAError) as e:
        store.roles("erin\0x")
    assert e.value.code == n.BADINPUT and "U+0000" in e.value.message
    for now in (2**63, -2**63 - 1, 2**64 + T0):
        with pytest.raises(OTAError) as e:
            store.grant("carol", "engineer", now=now)
        assert e.value.code == n.BADINPUT and "outside int64_t" in e.value.message
    with pytest.raises(OTAError) as e:
        store.packages.get(2**64 + 1)
    assert e.value.code == n.BADINPUT
    with pytest.raises(OTAError) as e:
        store.audit_list(after=2**64)
    assert e.value.code == n.BADINPUT
    assert store.audit_verify()[0] == entries and store.roles("carol") == []
    store.grant("carol", "engineer", now=T0 + 1)
    assert [r["role"] for r in store.roles("carol")] == ["engineer"]


def test_a_signer_key_of_the_wrong_length_is_refused(store):
    with pytest.raises(OTAError) as e:
        store.set_signer(lambda msg: bytes(64), bytes(30), "hsm")   # C reads 32 bytes
    assert e.value.code == n.BADINPUT and "32 bytes" in e.value.message


def test_json_input_converts_only_file_hashes():
    from libota import documents
    doc = documents.from_json('{"rule": {"attributes": {"key": "abcd", "hash": "x"}},'
                              ' "files": [{"name": "a", "sha256": "00ff"}]}')
    assert doc["rule"]["attributes"] == {"key": "abcd", "hash": "x"}
    assert doc["files"][0]["sha256"] == b"\x00\xff"
    with pytest.raises(OTAError) as e:
        documents.from_json('{"files": [{"sha256": "zz"}]}')
    assert e.value.code == n.BADINPUT and "files[0].sha256" in e.value.message


def test_store_is_a_context_manager_and_close_is_idempotent(db_path):
    with libota.Store(db_path, bootstrap_admin="root", now=T0) as s:
        assert not s.closed and s.schema_version() >= 3
    assert s.closed
    s.close()


def test_missing_campaign_api_names_the_function(store):
    if libota.has("ota_campaign_create"):
        pytest.skip("this libota has the campaign API")
    with pytest.raises(OTAError) as e:
        store.campaigns.create({"name": "x"}, actor="cam")
    assert e.value.code == n.MISUSE and "ota_campaign_create" in e.value.message


# -- roles, audit, fleet, packages as dicts ------------------------------------------------

def test_roles_and_audit_as_dicts(store):
    assert store.roles("erin") == [{"role": "engineer", "granted-by": "root", "granted-at": T0}]
    store.revoke("gus", "gateway", now=T0 + 1)
    assert store.roles("gus") == []
    entries = store.audit()
    assert [e["action"] for e in entries][-2:] == ["role.grant", "role.revoke"]
    assert entries[-1]["at"] == T0 + 1 and entries[-1]["actor"] == "root"
    assert store.audit_verify()[0] == len(entries)
    seq, head = store.audit_head()
    assert seq == entries[-1]["seq"] and len(head) == 32


def test_default_clock_and_actor_are_used(store):
    store.grant("zoe", "engineer")  # actor root, now from the clock
    assert store.roles("zoe") == [{"role": "engineer", "granted-by": "root", "granted-at": T0 + 500}]


def test_fleet_import_with_progress_export_and_vehicle(store):
    calls = []
    summary = store.fleet.import_snapshot(fleet_snapshot(25), lambda d, t: calls.append((d, t)),
                                          actor="erin", now=T0 + 1)
    assert summary["vehicles"] == summary["added"] == 25
    assert calls[-1] == (25, 25)
    v = store.vehicle(vin(1))
    assert v["market"] == "FR" and [e["node"] for e in v["ecus"]] == ["BCM", "ABS"]
    assert v["ecus"][0]["history"][0]["source"] == "snapshot"
    exported = cbor2.loads(store.fleet.export(now=T0 + 2))
    assert exported[1] == T0 + 2 and len(exported[3]) == 25


def test_package_objects_through_the_lifecycle(store, tmp_path):
    path, entry = package_file(tmp_path)
    pkg = store.packages.register(manifest(entry), actor="erin", now=T0 + 10)
    assert isinstance(pkg, libota.Package) and pkg.state == "draft"
    assert pkg.manifest["to"] == "2.5.0"
    pkg.verify_file(entry["name"], path, actor="erin", now=T0 + 11)
    assert pkg.info()["files"][0]["status"] == "match"
    pkg.validate(actor="erin", now=T0 + 12)
    store.set_signing_key(SEED, KID)
    with pytest.raises(OTAError) as e:
        pkg.approve(actor="erin", now=T0 + 13)   # the registrant: two-person rule
    assert e.value.name == "OTA_DENIED"
    pkg.approve(actor="abe", now=T0 + 13).release(actor="abe", now=T0 + 14)
    assert pkg.state == "released"
    info = pkg.info()
    assert info["signature"]["kid"] == KID and info["signature"]["public-key"] == store.signing_public_key()
    assert cbor2.loads(pkg.signature()).tag == 18
    assert [p["id"] for p in store.packages.list(state="released")] == [pkg.id]
    assert store.packages.list(ecu="ABS") == []
    assert list(store.packages) == [pkg] and store.packages[pkg.id] == pkg
    with pytest.raises(OTAError) as e:
        store.packages.get(pkg.id + 1)
    assert e.value.code == n.NOTFOUND
    pkg.withdraw("superseded", actor="abe", now=T0 + 20)
    assert pkg.info()["history"][-1] == {"state": "withdrawn", "actor": "abe", "at": T0 + 20, "reason": "superseded"}


def test_a_file_path_that_is_not_utf8_is_read(store, tmp_path):
    path, entry = package_file(tmp_path)
    odd = path.rename(tmp_path / os.fsdecode(b"\xff-image.bin"))   # a Linux file name, not UTF-8
    pkg = store.packages.register(manifest(entry), actor="erin", now=T0 + 10)
    pkg.verify_file(entry["name"], odd, actor="erin", now=T0 + 11)
    assert pkg.info()["files"][0]["status"] == "match"


def test_signer_callback_signs_approvals(store, tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.from_private_bytes(SEED)
    from cryptography.hazmat.primitives import serialization
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    seen = []

    def sign(msg):
        seen.append(msg)
        return key.sign(msg)

    store.set_signer(sign, pub, "hsm-1")
    path, entry = package_file(tmp_path)
    pkg = store.packages.register(manifest(entry), actor="erin", now=T0 + 10)
    pkg.verify_file(entry["name"], path, actor="erin", now=T0 + 11)
    pkg.validate(actor="erin", now=T0 + 12).approve(actor="abe", now=T0 + 13)
    assert len(seen) == 1 and pkg.info()["signature"]["kid"] == "hsm-1"


# -- campaigns, outbox, ingestion, statistics (design sections 8-9) -------------------------

N = 40


@pytest.fixture
def campaign_store(store, tmp_path):
    store.fleet.import_snapshot(fleet_snapshot(N), actor="erin", now=T0 + 1)
    pkg = released_package(store, tmp_path)
    return store, pkg


@needs_campaigns
def test_campaign_flow_through_the_objects(campaign_store):
    store, pkg = campaign_store
    c = store.campaigns.create(campaign_spec(pkg.id), actor="cam", now=T0 + 100)
    assert isinstance(c, libota.Campaign) and c.state == "draft"
    v = c.validate()
    assert v["targets"] == len(targeted(N))
    # a fleet campaign without a test campaign first: the one problem an admin may approve over
    assert [p.split(":")[0] for p in v["problems"]] == ["after-test"] and v.get("approvable-by-admin-only")
    with pytest.raises(OTAError) as e:
        c.approve(actor="cam", now=T0 + 101)          # the author: two-person rule
    assert e.value.code == n.DENIED
    c.approve(actor="root", now=T0 + 102)             # an admin may leave out after-test
    info = c.info()
    assert info["state"] == "approved" and info["author"] == "cam" and info["approved-by"] == "root"
    assert info["targets"] == len(targeted(N))
    c.start(actor="cam", now=T0 + 103)
    assert c.state == "running"
    step = c.step(actor="cam", now=T0 + 104)
    assert step["notified"] > 0 and step["state"] == "running"
    assert {"events", "timed-out", "retried", "reminded", "expired", "next-due"} <= set(step)

    msgs = store.outbox.fetch(1000)
    offers = [m for m in msgs if "/vehicles/" in m.topic]
    assert len(offers) == step["notified"]
    assert all(m.retain for m in offers)                 # an offer waits on the broker for its vehicle
    assert not any(m.retain for m in msgs if m.topic.endswith("/events"))
    again = store.outbox.fetch(1000)
    assert [m[0] for m in again] == [m[0] for m in msgs]   # at least once until acked
    store.outbox.ack([m[0] for m in msgs])
    assert store.outbox.fetch(1000) == []
    doc = message_document(offers[0][2])
    assert doc["type"] == "offer" and doc["campaign"] == c.id
    assert offers[0][1] == f"ota/v1/vehicles/{doc['vin']}/campaigns/{c.id}"

    notified = [message_document(m.payload)["vin"] for m in offers]
    first = notified[0]
    assert store.ingest(status_topic(first), report(first, c.id, 1, "accepted"), actor="gus",
                        now=T0 + 200)["result"] == "applied"
    assert store.ingest(status_topic(first), report(first, c.id, 1, "accepted"), actor="gus",
                        now=T0 + 201)["result"] == "duplicate"
    results = store.ingest_batch([(status_topic(x), installed_report(x, c.id, 2)) for x in notified],
                                 actor="gus", now=T0 + 300)
    assert [r["result"] for r in results] == ["applied"] * len(notified)
    wrong = store.ingest(status_topic(vin(0)), report(first, c.id, 3, "accepted"), actor="gus", now=T0 + 301)
    assert wrong["result"] == "rejected"

    st = store.stats(c.id, now=T0 + 400)
    assert st["campaign"] == c.id and st["targets"] == len(targeted(N))
    assert st["by-state"]["succeeded"] == len(notified)
    assert sum(st["by-state"].values()) == st["targets"]
    assert sum(w["targets"] for w in st["waves"]) == st["targets"]
    assert sum(sum(m.values()) for m in st["by-market"].values()) == st["targets"]
    assert sum(row[2] for row in st["timeline"]) == len(notified)
    rows = list(c.rows(page=7))
    assert len(rows) == st["targets"] and len({r["vin"] for r in rows}) == len(rows)
    assert {r["vin"] for r in rows if r["state"] == "succeeded"} == set(notified)
    page = store.vehicles(c.id, state="succeeded", limit=3)
    assert len(page["rows"]) == min(3, len(notified)) and all(r["state"] == "succeeded" for r in page["rows"])
    listed = store.campaigns.list()
    assert [x["id"] for x in listed] == [c.id] and listed[0]["succeeded"] == len(notified)
    assert store.campaigns.list(state="draft") == []

    c.pause(actor="cam", now=T0 + 500)
    assert c.state == "paused"
    c.resume(actor="cam", now=T0 + 501)
    c.abort("test over", actor="cam", now=T0 + 502)
    assert c.state == "aborted" and c.info()["history"][-1]["reason"] == "test over"
    with pytest.raises(OTAError) as e:
        c.start(actor="cam", now=T0 + 503)
    assert e.value.code == n.CONFLICT and "aborted" in e.value.message
    assert store.audit_verify()[1] == 0


@needs_campaigns
def test_outbox_drain_acks_only_what_was_published(campaign_store):
    store, pkg = campaign_store
    c = store.campaigns.create(campaign_spec(pkg.id), actor="cam", now=T0 + 100)
    c.approve(actor="root", now=T0 + 101)
    c.start(actor="cam", now=T0 + 102)
    c.step(actor="cam", now=T0 + 103)
    pending = len(store.outbox.fetch(10_000))
    published = []

    def flaky(topic, payload, retain):
        if len(published) == 3:
            raise ConnectionError("broker went away")
        published.append((topic, retain))

    with pytest.raises(ConnectionError):
        store.outbox.drain(flaky, limit=2)
    assert len(store.outbox.fetch(10_000)) == pending - 3
    first = store.outbox.fetch(1)[0]
    with pytest.raises(OTAError) as e:
        store.outbox.ack([2**64 + first.id])    # wrapped, it would acknowledge `first`
    assert e.value.code == n.BADINPUT and store.outbox.fetch(1)[0] == first
    assert store.outbox.drain(lambda t, p, r: published.append((t, r))) == pending - 3
    assert all(r == ("/vehicles/" in t) for t, r in published)  # offers retained, events not


@needs_campaigns
def test_test_fleet_and_vehicle_keys(campaign_store):
    store, pkg = campaign_store
    store.test_fleet.add([vin(1), vin(2)], actor="erin", now=T0 + 50)
    c = store.campaigns.create(campaign_spec(pkg.id, test=True), actor="cam", now=T0 + 100)
    assert c.validate()["targets"] == 2
    store.test_fleet.remove([vin(2)], actor="erin", now=T0 + 51)
    assert c.validate()["targets"] == 1
    with pytest.raises(OTAError) as e:
        store.set_vehicle_key(vin(1), b"\x01" * 31, actor="erin")
    assert e.value.code == n.BADINPUT
    store.set_vehicle_key(vin(1), b"\x01" * 32, actor="erin", now=T0 + 52)
