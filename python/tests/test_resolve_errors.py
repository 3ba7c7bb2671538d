"""Malformed rules and snapshots: always OTA_BADINPUT with a message that says what and
where, never a crash, whatever the bytes."""
import random
from pathlib import Path

import cbor2
import pycddl
import pytest
from cbor2 import CBORTag
from hypothesis import given, settings, strategies as st

from libota import OTAError
from libota import _native as n
from libota.resolve import resolve

ROOT = Path(__file__).resolve().parents[2]
RULE = pycddl.Schema((ROOT / "docs/schemas/target-rule.cddl").read_text())
VIN = "WLXEMFHX0TS598491"
T = 1780272000


def vehicle(vin=VIN, model="Aster", ecus=None, extra=()):
    return [vin, model, "sedan", "petrol", "DE", T, [["GW", "H1", "1.0"]] if ecus is None else ecus, *extra]


def snap(*vehicles, table=None):
    s = {0: 1, 1: T}
    if table is not None:
        s[2] = table
    s[3] = list(vehicles) or [vehicle()]
    return s


def fails(snapshot, rule, *fragments):
    data = snapshot if isinstance(snapshot, bytes) else cbor2.dumps(snapshot)
    with pytest.raises(OTAError) as e:
        resolve(data, rule)
    assert e.value.code == n.BADINPUT, e.value
    for f in fragments:
        assert f in e.value.message, (f, e.value.message)
    return e.value.message


# ---- rules ----

BAD_RULES = [  # (rule, message fragments, pycddl also rejects it)
    ([1], ["rule: expected a map, found array"], True),
    ({}, ['missing "ecu"'], True),
    ({"ecu": 1}, ['"ecu": expected text, found integer'], True),
    ({"ecu": ""}, ['"ecu": the ECU node is empty'], False),
    ({"ecu": "GW", "model": ["Aster"]}, ['unknown key "model"'], True),
    ({"ecu": "GW", 1: "x"}, ["keys must be text"], True),
    ({"ecu": "GW", "hw": "H1"}, ['"hw": expected a non-empty array of text, found text'], True),
    ({"ecu": "GW", "models": ["Aster", 2]}, ['"models"[1]: expected text, found integer'], True),
    ({"ecu": "GW", "markets": []}, ['"markets": the list is empty'], True),
    ({"ecu": "GW", "to": ["1.0"]}, ['"to": expected text, found array'], True),
    ({"ecu": "GW", "produced": [5]}, ['"produced": expected [from, until]'], True),
    ({"ecu": "GW", "produced": [-1, 5]}, ['"produced": expected [from, until]'], True),
    ({"ecu": "GW", "produced": [9, 5]}, ['"produced": from 9 is after until 5'], False),
    ({"ecu": "GW", "vins": ["ABC"]}, ['"vins"[0]: "ABC" is not a VIN'], False),
    ({"ecu": "GW", "exclude-vins": [VIN, VIN.lower()]}, ['"exclude-vins"[1]', "is not a VIN"], False),
    ({"ecu": "GW", "vins": ["WLXEMFHX0TS59849I"]}, ["not a VIN (17 characters from 0-9 and A-Z without I, O, Q)"], False),
    ({"ecu": "GW", "attributes": {}}, ['"attributes": the map is empty'], True),
    ({"ecu": "GW", "attributes": {"trim": 1.5}}, ['"attributes"["trim"]: expected text, an integer or a bool, found float'], True),
    ({"ecu": "GW", "attributes": {"kwh": 2**64 - 1}}, ['"attributes"["kwh"]: the integer is outside the 64-bit signed range'], False),
    ({"ecu": "GW", "attributes": {1: "x"}}, ['"attributes": keys must be text'], True),
    ({"ecu": "GW", "attributes": {f"k{i}": i for i in range(33)}}, ["33 attributes; a rule may require at most 32"], False),
    ({"ecu": "GW", "requires": ["GW"]}, ['"requires"[0]: expected [node, [versions]] with a non-empty node, found text'], False),
    ({"ecu": "GW", "requires": [[1, ["1"]]]}, ['"requires"[0]', "found an array starting with integer"], True),
    ({"ecu": "GW", "requires": [["GW"]]}, ['"requires"[0]: expected [node, [versions]]', "an array of 1 item"], True),
    ({"ecu": "GW", "requires": [["GW", []]]}, ['"requires"[0]: "versions": the list is empty'], True),
    ({"ecu": "GW", "requires": [["", ["1.0"]]]}, ['"requires"[0]', "found an empty node"], False),
    ({"ecu": "GW", "requires": [["GW", ["1"]]] * 33}, ["33 requirements; a rule may have at most 32"], False),
]


@pytest.mark.parametrize("rule,fragments,schema_rejects", BAD_RULES, ids=[str(i) for i in range(len(BAD_RULES))])
def test_malformed_rules_are_errors(rule, fragments, schema_rejects):
    fails(snap(), rule, *fragments)
    if schema_rejects:
        with pytest.raises(pycddl.ValidationError):
            RULE.validate_cbor(cbor2.dumps(rule))


@pytest.mark.parametrize("rule_bytes,fragment", [
    (b"", "rule: empty document"),
    (cbor2.dumps({"ecu": "GW"}) + b"\x00", "rule: trailing bytes after the CBOR item at byte 8"),
    (b"\xa2\x63ecu\x62GW\x63ecu\x62GW", "rule: duplicate map key"),
    (b"\xa1\x63ecu\x62G", "rule: truncated CBOR"),
])
def test_malformed_rule_documents_are_errors(rule_bytes, fragment):
    fails(snap(), rule_bytes, fragment)


def test_the_rule_is_checked_before_the_snapshot():
    fails(b"\xff\xff", {"ecu": "GW", "nope": 1}, 'rule: unknown key "nope"')


# ---- snapshots ----

RULE_GW = {"ecu": "GW"}


@pytest.mark.parametrize("snapshot,fragments", [
    (b"", ["empty document"]),
    ([1], ["snapshot: expected map, found array at byte 0"]),
    ({0: 2, 1: T, 3: []}, ["format version 2 at byte 2 is not supported; this libota reads version 1"]),
    ({0: 1, 1: T}, ["the top-level map has no vehicles (key 3)"]),
    ({1: T, 3: []}, ["the top-level map has no format version (key 0)"]),
    ({0: 1, 3: []}, ["the top-level map has no time (key 1)"]),
    ({0: 1, 1: "now", 3: []}, ["time (key 1): expected an unsigned integer (Unix seconds), found text"]),
    ({0: 1, 1: T, 3: [], 2: []}, ["key 2 at byte", "follows key 3", "ascending order"]),
    ({0: 1, 1: T, 3: [], "x": 1}, ["expected an unsigned integer key, found text"]),
    (cbor2.dumps(snap()) + b"\x00", ["trailing bytes after the top-level map at byte"]),
    ({0: 1, 1: T, 2: ["Aster", 3], 3: []}, ["string table (key 2) entry 1: expected text, found integer"]),
    (snap(vehicle(model=5), table=["Aster", "x"]),
     ["vehicle 0 (byte", "model: string-table index 5 at byte", "is past the end of the string table (2 entries)"]),
    (snap(vehicle(model=0)), ["model: string-table index 0", "but the snapshot has no string table (key 2)"]),
    (snap(vehicle(), vehicle(vin="ABC")), ["vehicle 1", 'vin: "ABC" is not a VIN']),
    (snap(vehicle(vin=0), table=[VIN]), ["vin: expected text, found integer"]),
    (snap(vehicle()[:6]), ["the vehicle ends after 6 fields", "at least 7: vin, model"]),
    (snap(vehicle(ecus=[["GW", "H1", "1.0"], ["GW", "H1"]])), ["ecus[1]: the ECU ends after 2 fields", "node, hw, sw"]),
    (snap(vehicle(ecus=[["GW", "H1", None]])), ["ecus[0]: sw: expected text or a string-table index, found null"]),
    (snap(vehicle(ecus={})), ["ecus: expected array, found map"]),
    (snap(vehicle(model=CBORTag(1, "x"))), ["model: expected text or a string-table index, found tag"]),
    (snap(vehicle(extra=[None, None, {"trim": 1.5}])), ["attributes: value: expected text, an integer or a bool, found float"]),
    (snap(vehicle(extra=[None, None, ["trim"]])), ["attributes: expected map, found array"]),
    (snap(vehicle(extra=[None, None, {"trim": "a", 0: "b"}]), table=["trim"]), ['the key "trim" appears twice']),
    (snap(vehicle(extra=[1])), ["engine-no: string-table index 1"]),
    (snap(vehicle(extra=[[]])), ["engine-no: expected text or a string-table index, found array"]),
])
def test_malformed_snapshots_are_errors(snapshot, fragments):
    fails(snapshot, RULE_GW, *fragments)


def test_a_large_attribute_map_with_a_duplicate_key():
    # 40 distinct keys then a repeat: the sorted check for large maps
    attrs = b"".join(cbor2.dumps(f"k{i}") + cbor2.dumps(i) for i in range(40)) + cbor2.dumps("k7") + b"\x01"
    v = cbor2.dumps(vehicle(extra=[None, None]))
    v = bytes([v[0] + 1]) + v[1:] + bytes([0xb8, 41]) + attrs
    data = cbor2.dumps(snap())
    data = data[:data.index(b"\x03\x81") + 2] + v
    fails(data, RULE_GW, 'attributes: the key "k7" appears twice')


@pytest.mark.parametrize("raw,fragment", [
    (b"\x7f\x61a\x41b\xff", "is not a definite text string"),    # a byte-string chunk in text
    (b"\x1c", "reserved or invalid initial byte 0x1c"),
    (b"\xf8\x10", "two-byte simple value below 32"),
    (b"\x62\xc3\x28", "is not valid UTF-8"),
])
def test_malformed_cbor_in_a_field_is_an_error_with_its_offset(raw, fragment):
    # the raw item replaces the engine number (a `str / null` field)
    data = cbor2.dumps(snap(vehicle(extra=["MARK"])))
    at = data.index(b"\x64MARK")
    fails(data[:at] + raw + data[at + 5:], RULE_GW, fragment, "byte")


@pytest.mark.parametrize("raw,fragment", [
    (b"\x9f" * 5000 + b"\xff" * 5000, "nested deeper than 4096 levels"),
    (b"\x9a\xff\xff\xff\xff", "the array announces 4294967295 entries"),
    (b"\xbb" + b"\x7f" + b"\xff" * 7, "the map announces"),
    (b"\x62\xc3\x28", "is not valid UTF-8"),
    (b"\x7f\x62\xc3\xa9\x41x\xff", "a chunk of an indefinite-length string has the wrong type"),
    (b"\xc1\xff", "break after a tag"),
    (b"\x82\x01\xff", "unexpected break"),
])
def test_extension_fields_are_checked_too(raw, fragment):
    data = cbor2.dumps(snap(vehicle(extra=[None, None, {}, "MARK"])))
    at = data.index(b"\x64MARK")
    fails(data[:at] + raw + data[at + 5:], RULE_GW, fragment)


def test_deep_but_bounded_extension_fields_are_fine():
    data = cbor2.dumps(snap(vehicle(extra=[None, None, {}, "MARK"])))
    at = data.index(b"\x64MARK")
    deep = b"\x9f" * 4000 + b"\xff" * 4000
    assert cbor2.loads(resolve(data[:at] + deep + data[at + 5:], RULE_GW))["scanned"] == 1


def test_every_truncation_is_an_error_with_an_offset():
    data = cbor2.dumps(snap(vehicle(extra=[None, "CH", {"trim": "x"}, [1, {"a": 2.5}]]),
                            vehicle(ecus=[["DCM", "H", "2", None, "S1"]])))
    for cut in range(len(data)):
        msg = fails(data[:cut], RULE_GW)
        assert "byte" in msg or "empty document" in msg, msg


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_corrupted_snapshots_never_crash(seed):
    rnd = random.Random(seed)
    data = bytearray(cbor2.dumps(snap(vehicle(extra=[None, "CH", {"trim": "x", "kwh": 77}]),
                                      vehicle(ecus=[["DCM", "H", "2", None, "S1"], ["GW", "H1", "1.0"]]),
                                      table=["GW", "H1", "trim"])))
    for _ in range(rnd.randint(1, 4)):
        i = rnd.randrange(len(data))
        data[i] = rnd.choice([rnd.randrange(256), 0xff, 0x9f, 0x1b, 0x7f, data[i] ^ (1 << rnd.randrange(8))])
    try:
        cbor2.loads(resolve(bytes(data), {"ecu": "GW", "attributes": {"trim": "x"}}))
    except OTAError as e:
        assert e.code == n.BADINPUT and e.message
