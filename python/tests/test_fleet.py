"""The fleet inventory through the C API: snapshots built here with cbor2 (string table or
inline strings, definite or indefinite lengths), import, history, re-import, export, CDDL."""
import ctypes
import sqlite3
from pathlib import Path

import cbor2
import pycddl
import pytest

from libota import OTAError, Store
from libota import _native as n
from libota import fleet, resolve, roles

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
SNAPSHOT_CDDL = pycddl.Schema((SCHEMAS / "fleet-snapshot.cddl").read_text())
SUMMARY_CDDL = pycddl.Schema((SCHEMAS / "import-summary.cddl").read_text())
VEHICLE_CDDL = pycddl.Schema((SCHEMAS / "vehicle.cddl").read_text())

T0 = 1_780_000_000
NOW = 1_790_000_000

# ---- a fleet model, independent of the library ----------------------------------------

VIN_VALUE = dict(zip("0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
                     list(range(10)) + [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]))
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]


def with_check_digit(vin):
    r = sum(VIN_VALUE[c] * w for c, w in zip(vin, WEIGHTS)) % 11
    return vin[:8] + ("X" if r == 10 else str(r)) + vin[9:]


def make_vehicle(i, market=None):
    """Vehicle i as a dict; check digits are right, so any market is accepted."""
    markets = ["US", "DE", "CN", "FR", "CA", "JP"]
    nodes = [("GW", None), ("BCM", None), ("ECM", "CAL-ECM"), ("IVI", None), ("DCM", None)]
    ecus = []
    for k, (node, cal) in enumerate(nodes):
        ecus.append({"node": node, "hw": f"{node}-HW-{'AB'[(i + k) % 2]}", "sw": f"{1 + k}.{i % 3}.0",
                     "calibration": f"{cal}-{i % 2}" if cal and i % 4 else None,
                     "serial": f"S{i:05d}{k}" if (i + k) % 2 else None})
    if i % 3 == 0:  # a second door module: DCM slot 1
        ecus.append({"node": "DCM", "hw": "DCM-HW-R", "sw": "5.0.0", "calibration": None, "serial": None})
    attributes = {"trim": ["base", "sport"][i % 2]}
    if i % 5 == 0:
        attributes["battery-kwh"] = 77
    if i % 7 == 0:
        attributes["tow-hitch"] = i % 2 == 0
    return {"vin": with_check_digit(f"1LXAS0K00PA{i:06d}"), "model": ["Aster", "Borealis"][i % 2],
            "variant": "sedan", "powertrain": ["petrol", "electric"][i % 2], "market": market or markets[i % 6],
            "produced": 1_700_000_000 + i * 60, "ecus": ecus,
            "engine": None if i % 4 == 1 else f"EA{i:07d}", "chassis": f"AS{i:08d}", "attributes": attributes}


def make_fleet(count):
    return [make_vehicle(i) for i in range(count)]


# ---- encoding snapshots with cbor2 ----------------------------------------------------

class Indefinite:
    """Marks a list or dict to be written with an indefinite length."""

    def __init__(self, value):
        self.value = value


def encode(item):
    """cbor2 for everything definite; indefinite containers (and chunked text inside them)
    written by hand around cbor2-encoded items."""
    if isinstance(item, Indefinite):
        v = item.value
        if isinstance(v, list):
            return b"\x9f" + b"".join(encode(x) for x in v) + b"\xff"
        if isinstance(v, dict):
            return b"\xbf" + b"".join(encode(k) + encode(x) for k, x in v.items()) + b"\xff"
        if isinstance(v, str):  # a chunked text string
            half = len(v) // 2
            return b"\x7f" + cbor2.dumps(v[:half]) + cbor2.dumps(v[half:]) + b"\xff"
        raise TypeError(v)
    if isinstance(item, list):
        return _head(4, len(item)) + b"".join(encode(x) for x in item)
    if isinstance(item, dict):
        return _head(5, len(item)) + b"".join(encode(k) + encode(x) for k, x in item.items())
    return cbor2.dumps(item)


def _head(major, count):
    """The head of a definite array (4) or map (5) of count items, shortest form."""
    if count < 24:
        return bytes([major << 5 | count])
    if count < 256:
        return bytes([major << 5 | 24, count])
    if count < 65536:
        return bytes([major << 5 | 25]) + count.to_bytes(2, "big")
    return bytes([major << 5 | 26]) + count.to_bytes(4, "big")


def snapshot(vehicles, taken=T0, table=True, indefinite=False):
    """A format-1 snapshot of the model vehicles. table: repeated strings by index;
    indefinite: every container (and the VINs, as chunked strings) of indefinite length."""
    strings = []
    index = {}

    def s(value):
        if value is None or not table:
            return value
        if value not in index:
            index[value] = len(strings)
            strings.append(value)
        return index[value]

    def wrap(x):
        return Indefinite(x) if indefinite else x

    out = []
    for v in vehicles:
        ecus = []
        for e in v["ecus"]:
            fields = [s(e["node"]), s(e["hw"]), s(e["sw"])]
            if e["calibration"] is not None or e["serial"] is not None:
                fields.append(s(e["calibration"]))
            if e["serial"] is not None:
                fields.append(e["serial"])
            ecus.append(wrap(fields))
        attributes = {s(k): x for k, x in v["attributes"].items()}
        out.append(wrap([wrap(v["vin"]) if indefinite else v["vin"], s(v["model"]), s(v["variant"]),
                         s(v["powertrain"]), s(v["market"]), v["produced"], wrap(ecus), v["engine"],
                         v["chassis"], wrap(attributes)]))
    top = {0: 1, 1: taken}
    if table:
        top[2] = wrap(list(strings))
    top[3] = wrap(out)
    return encode(wrap(top))


def decode_snapshot(data):
    """A snapshot back as model vehicles (table indices resolved, absent fields None)."""
    doc = cbor2.loads(data)
    table = doc.get(2, [])

    def s(x):
        return table[x] if isinstance(x, int) else x

    vehicles = []
    for f in doc[3]:
        f = f + [None] * (10 - len(f))
        ecus = []
        for e in f[6]:
            e = e + [None] * (5 - len(e))
            ecus.append({"node": s(e[0]), "hw": s(e[1]), "sw": s(e[2]), "calibration": s(e[3]), "serial": s(e[4])})
        vehicles.append({"vin": f[0], "model": s(f[1]), "variant": s(f[2]), "powertrain": s(f[3]),
                         "market": s(f[4]), "produced": f[5], "ecus": ecus, "engine": s(f[7]),
                         "chassis": s(f[8]), "attributes": {s(k): x for k, x in (f[9] or {}).items()}})
    return doc[1], vehicles


# ---- helpers ---------------------------------------------------------------------------

@pytest.fixture
def store(db_path):
    with Store(db_path, bootstrap_admin="alice", now=1) as s:
        yield s


def load(store, data, actor="alice", now=NOW, progress=None):
    raw = fleet.import_snapshot(store, actor, now, data, progress)
    SUMMARY_CDDL.validate_cbor(raw)
    assert cbor2.dumps(cbor2.loads(raw), canonical=True) == raw
    return cbor2.loads(raw)


def vehicle_doc(store, vin):
    raw = fleet.vehicle(store, vin)
    VEHICLE_CDDL.validate_cbor(raw)
    assert cbor2.dumps(cbor2.loads(raw), canonical=True) == raw
    return cbor2.loads(raw)


def counts(db_path):
    con = sqlite3.connect(db_path)
    try:
        return [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("vehicles", "ecus", "ecu_history", "audit")]
    finally:
        con.close()


ENCODINGS = [(True, False), (True, True), (False, False), (False, True)]


# ---- tests -----------------------------------------------------------------------------

@pytest.mark.parametrize("table,indefinite", ENCODINGS)
def test_import_of_every_encoding(tmp_path, table, indefinite):
    model = make_fleet(12)
    data = snapshot(model, table=table, indefinite=indefinite)
    SNAPSHOT_CDDL.validate_cbor(data)
    path = str(tmp_path / "s.db")
    with Store(path, bootstrap_admin="alice", now=1) as s:
        summary = load(s, data)
        assert summary["vehicles"] == summary["added"] == 12
        assert summary["changed"] == summary["unchanged"] == summary["stale"] == 0
        assert summary["ecus-added"] == sum(len(v["ecus"]) for v in model)
        assert summary["snapshot-time"] == T0
        doc = vehicle_doc(s, model[3]["vin"])
        assert [e["node"] for e in doc["ecus"]] == [e["node"] for e in model[3]["ecus"]]
        assert [e["slot"] for e in doc["ecus"]] == [0, 0, 0, 0, 0, 1]
        assert doc["attributes"] == model[3]["attributes"]
        assert doc["engine-no"] == model[3]["engine"] and doc["chassis-no"] == model[3]["chassis"]
        for e, m in zip(doc["ecus"], model[3]["ecus"]):
            assert (e["hw"], e["sw"], e["calibration"], e["serial"]) == (m["hw"], m["sw"], m["calibration"], m["serial"])
            assert [(h["at"], h["sw"], h["source"]) for h in e["history"]] == [(T0, m["sw"], "snapshot")]
        # Every encoding of the same fleet gives the same inventory, hence the same export.
        exported = fleet.export(s, NOW)
    reference = tmp_path / "reference.db"
    with Store(str(reference), bootstrap_admin="alice", now=1) as r:
        load(r, snapshot(model))
        assert fleet.export(r, NOW) == exported


def test_history_across_imports(store, db_path):
    model = make_fleet(6)
    load(store, snapshot(model))
    again = load(store, snapshot(model, table=False), now=NOW + 1)
    assert again["unchanged"] == 6 and again["ecus-changed"] == 0
    assert counts(db_path)[2] == sum(len(v["ecus"]) for v in model)

    t1 = T0 + 86400
    changed = make_fleet(7)
    changed[0]["ecus"][1]["sw"] = "9.9.9"                    # BCM software
    changed[2]["ecus"][2]["calibration"] = "CAL-ECM-NEW"     # ECM calibration
    changed[3]["ecus"].pop()                                 # second DCM removed
    changed[4]["market"] = "MX"                              # a vehicle field
    summary = load(store, snapshot(changed, taken=t1, indefinite=True), now=NOW + 2)
    assert (summary["added"], summary["changed"], summary["unchanged"]) == (1, 4, 2)
    assert (summary["ecus-changed"], summary["ecus-removed"]) == (2, 1)
    assert summary["ecu-changes"] == {"hw": 0, "sw": 1, "serial": 0, "calibration": 1}

    doc = vehicle_doc(store, changed[0]["vin"])
    bcm = doc["ecus"][1]
    assert bcm["sw"] == "9.9.9"
    assert [(h["at"], h["sw"]) for h in bcm["history"]] == [(T0, model[0]["ecus"][1]["sw"]), (t1, "9.9.9")]
    assert doc["updated"] == doc["seen"] == t1
    gone = vehicle_doc(store, changed[3]["vin"])["ecus"][-1]
    assert gone["node"] == "DCM" and gone["slot"] == 1 and gone["removed"] == t1
    assert vehicle_doc(store, changed[4]["vin"])["market"] == "MX"

    # An older snapshot does not overwrite newer data.
    # Every vehicle of it was described (changed or not) by the later snapshot at t1.
    stale = load(store, snapshot(model, taken=T0 + 1), now=NOW + 3)
    assert stale["stale"] == 6 and stale["changed"] == stale["unchanged"] == 0
    assert vehicle_doc(store, changed[0]["vin"])["ecus"][1]["sw"] == "9.9.9"


def test_export_round_trip(store, tmp_path):
    model = make_fleet(20)
    model[5]["ecus"].append({"node": "TCU", "hw": "T", "sw": "1", "calibration": None, "serial": None})
    load(store, snapshot(model, indefinite=True))
    exported = fleet.export(store, NOW)
    SNAPSHOT_CDDL.validate_cbor(exported)
    assert cbor2.dumps(cbor2.loads(exported), canonical=True) == exported
    taken, back = decode_snapshot(exported)
    assert taken == NOW
    assert back == model
    doc = cbor2.loads(exported)
    assert 2 in doc and len(doc[2]) == len(set(doc[2]))
    assert fleet.export(store, NOW) == exported

    # Importing the export elsewhere gives the same inventory again.
    with Store(str(tmp_path / "copy.db"), bootstrap_admin="alice", now=1) as copy:
        load(copy, exported)
        assert fleet.export(copy, NOW) == exported
        assert vehicle_doc(copy, model[5]["vin"])["ecus"][-1]["node"] == "TCU"


def test_export_of_an_empty_store(store):
    assert cbor2.loads(fleet.export(store, 5)) == {0: 1, 1: 5, 2: [], 3: []}
    with pytest.raises(OTAError) as e:
        fleet.export(store, -1)
    assert e.value.code == n.BADINPUT


def test_bad_vins_name_the_vehicle(store, db_path):
    model = make_fleet(5)
    before = counts(db_path)
    wrong = dict(model[2], vin=model[2]["vin"][:8] + ("1" if model[2]["vin"][8] != "1" else "2") + model[2]["vin"][9:],
                 market="US")
    with pytest.raises(OTAError) as e:
        load(store, snapshot(model[:2] + [wrong] + model[3:]))
    assert e.value.code == n.BADINPUT
    assert e.value.message.startswith("snapshot: vehicle 2: ") and "check digit" in e.value.message
    for bad in ["1LXAS0K0IPA000001", "1LXAS0K0PA00001"]:
        with pytest.raises(OTAError) as e:
            load(store, snapshot(model[:1] + [dict(model[1], vin=bad)]))
        assert e.value.code == n.BADINPUT and "vehicle 1" in e.value.message
    with pytest.raises(OTAError) as e:
        load(store, snapshot(model + [model[1]]))
    assert e.value.message.startswith(f"snapshot: vehicle 1 and vehicle 5 have the same VIN '{model[1]['vin']}'")
    assert counts(db_path) == before
    # Without the check-digit rule (Germany), the wrong digit is accepted.
    assert load(store, snapshot([dict(wrong, market="DE")]))["added"] == 1


def test_malformed_snapshots(store, db_path):
    good = snapshot(make_fleet(3))
    before = counts(db_path)
    for data in [b"", b"\xa0", good[:-3], good + b"\x00", cbor2.dumps([1, 2]), cbor2.dumps({0: 2, 1: 0, 3: []})]:
        with pytest.raises(OTAError) as e:
            fleet.import_snapshot(store, "alice", NOW, data)
        assert e.value.code == n.BADINPUT, data
    with pytest.raises(OTAError) as e:
        fleet.import_snapshot(store, "alice", NOW, good[:-3])
    assert "byte" in e.value.message
    assert counts(db_path) == before


def test_roles_and_audit(store, db_path):
    data = snapshot(make_fleet(2))
    with pytest.raises(OTAError) as e:
        fleet.import_snapshot(store, "mallory", NOW, data)
    assert e.value.code == n.DENIED and "engineer" in e.value.message
    roles.grant(store, "alice", 2, "abe", "approver")
    with pytest.raises(OTAError) as e:
        fleet.import_snapshot(store, "abe", NOW, data)
    assert e.value.code == n.DENIED
    roles.grant(store, "alice", 3, "erin", "engineer")
    summary = load(store, data, actor="erin")
    entries = cbor2.loads(store.audit_list())
    assert [x["action"] for x in entries] == ["role.bootstrap", "role.grant", "role.grant", "fleet.import"]
    entry = entries[-1]
    assert entry["actor"] == "erin" and entry["at"] == NOW and entry["subject"] == f"snapshot:{T0}"
    assert cbor2.loads(entry["detail"]) == summary
    assert store.audit_verify()[0] == 4


def test_progress_and_cancel(store, db_path):
    model = [make_vehicle(i) for i in range(10_500)]
    data = snapshot(model)
    calls = []
    load(store, data, progress=lambda done, total: calls.append((done, total)) or True)
    assert calls == [(10_000, 0), (0, 10_500), (10_000, 10_500), (10_500, 10_500)]

    with Store(db_path + "-2", bootstrap_admin="alice", now=1) as fresh:
        before = counts(db_path + "-2")
        for stop in range(4):
            seen = []

            def progress(done, total):
                seen.append(done)
                return len(seen) <= stop

            with pytest.raises(OTAError) as e:
                fleet.import_snapshot(fresh, "alice", NOW, data, progress)
            assert e.value.code == n.CANCELLED and "nothing was changed" in e.value.message
            assert counts(db_path + "-2") == before

        def boom(done, total):
            raise KeyboardInterrupt("stop")

        with pytest.raises(KeyboardInterrupt):
            fleet.import_snapshot(fresh, "alice", NOW, data, boom)
        assert counts(db_path + "-2") == before


def test_vehicle_get_errors(store):
    with pytest.raises(OTAError) as e:
        fleet.vehicle(store, "1M8GDM9AXKP042788")
    assert e.value.code == n.NOTFOUND and "1M8GDM9AXKP042788" in e.value.message
    buf = n.Buf()
    assert n.lib.ota_vehicle_get(store.handle, None, ctypes.byref(buf)) == n.MISUSE
    assert n.lib.ota_vehicle_get(store.handle, b"\xff\xfe", ctypes.byref(buf)) == n.BADINPUT
    assert n.lib.ota_fleet_export(None, 0, ctypes.byref(buf)) == n.MISUSE
    assert n.lib.ota_fleet_import(store.handle, b"alice", 0, None, 5, fleet.PROGRESS_FN(), None, None) == n.MISUSE


RULES = [
    {"ecu": "BCM"},
    {"ecu": "DCM", "hw": ["DCM-HW-A", "DCM-HW-R"]},
    {"ecu": "ECM", "from": ["3.0.0", "3.1.0"], "to": "3.2.0", "markets": ["US", "CN", "CA"]},
    {"ecu": "IVI", "attributes": {"trim": "sport"}, "powertrains": ["electric"]},
    {"ecu": "GW", "requires": [["BCM", ["2.0.0", "9.9.9"]]], "models": ["Aster"]},
    {"ecu": "DCM", "produced": [1_700_000_000, 1_700_000_600], "exclude-vins": [make_vehicle(2)["vin"]]},
    {"ecu": "TCU"},
]


def resolutions(data):
    return [resolve.resolution(data, rule) for rule in RULES]


def test_resolving_the_export_equals_resolving_the_snapshot(store):
    model = make_fleet(40)
    original = snapshot(model, indefinite=True)
    load(store, original)
    exported = fleet.export(store, NOW)
    expected = resolutions(original)
    assert any(r["targets"] for r in expected)
    assert resolutions(exported) == expected

    # After a re-import with changes, the export resolves like the newest snapshot.
    later = make_fleet(41)
    later[0]["ecus"][1]["sw"] = "9.9.9"
    later[3]["ecus"].pop()
    later[7]["market"] = "CA"
    later[9]["attributes"]["trim"] = "sport"
    newest = snapshot(later, taken=T0 + 10, table=False)
    load(store, newest)
    assert resolutions(fleet.export(store, NOW)) == resolutions(newest)
