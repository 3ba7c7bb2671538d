"""ota_resolve as a C function: argument checks, ownership of out, messages per thread,
deterministic output."""
import ctypes
import threading

import cbor2
import pytest

from libota import OTAError
from libota import _native as n
from libota.resolve import resolution, resolve, resolve_file

VIN = "WLXEMFHX0TS598491"
SNAP = cbor2.dumps({0: 1, 1: 1780272000, 3: [
    [VIN, "Aster", "sedan", "petrol", "DE", 1700000000, [["GW", "H1", "1.0", None, "S-1"], ["DCM", "D", "2.0"]]],
    ["1LXBRFHX0TS598492", "Borealis", "suv", "hybrid", "US", 1700000001, [["DCM", "D", "2.0"]]],
]})
RULE = cbor2.dumps({"ecu": "GW"})


def raw_call(snapshot, snapshot_len, rule, rule_len, out):
    return n.lib.ota_resolve(snapshot, snapshot_len, rule, rule_len, out)


def test_a_resolution():
    assert resolution(SNAP, {"ecu": "GW"}) == {"scanned": 2, "targets": [[VIN, "H1", "1.0", "S-1"]],
                                               "excluded": {"no-ecu": 1}}
    assert n.lib.ota_last_errmsg() == b"not an error"


def test_output_is_deterministically_encoded():
    out = resolve(SNAP, {"ecu": "DCM", "to": "3.0"})
    assert cbor2.dumps(cbor2.loads(out), canonical=True) == out
    excluded = resolve(SNAP, {"ecu": "GW", "models": ["Aster"], "markets": ["US"]})
    # keys sorted by their encoding: shorter first ("model" before "market")
    assert list(cbor2.loads(excluded)["excluded"]) == ["model", "market"]
    assert cbor2.dumps(cbor2.loads(excluded), canonical=True) == excluded


def test_null_out_is_misuse():
    buf = ctypes.create_string_buffer(SNAP)
    assert raw_call(buf, len(SNAP), RULE, len(RULE), None) == n.MISUSE
    assert n.lib.ota_last_errmsg() == b"out is NULL"


def test_null_input_with_a_length_is_misuse():
    out = n.Buf()
    assert raw_call(None, 10, RULE, len(RULE), ctypes.byref(out)) == n.MISUSE
    assert n.lib.ota_last_errmsg() == b"snapshot is NULL but its length is 10"
    assert raw_call(ctypes.create_string_buffer(SNAP), len(SNAP), None, 3, ctypes.byref(out)) == n.MISUSE
    assert b"rule is NULL" in n.lib.ota_last_errmsg()


def test_null_input_without_a_length_is_an_empty_document():
    out = n.Buf()
    assert raw_call(None, 0, RULE, len(RULE), ctypes.byref(out)) == n.BADINPUT
    assert n.lib.ota_last_errmsg() == b"empty document: expected one CBOR item"


def test_a_failed_call_leaves_out_empty():
    junk = (ctypes.c_uint8 * 4)()
    out = n.Buf(ctypes.cast(junk, ctypes.POINTER(ctypes.c_uint8)), 4)  # caller's stale value
    assert raw_call(None, 0, RULE, len(RULE), ctypes.byref(out)) == n.BADINPUT
    assert not out.data and out.len == 0
    n.lib.ota_buf_free(ctypes.byref(out))  # safe on the emptied buffer


def test_resolve_file_maps_the_snapshot(tmp_path):
    p = tmp_path / "s.cbor"
    p.write_bytes(SNAP)
    assert resolve_file(p, {"ecu": "GW"}) == resolve(SNAP, {"ecu": "GW"})
    empty = tmp_path / "empty.cbor"
    empty.write_bytes(b"")
    with pytest.raises(OTAError) as e:
        resolve_file(empty, {"ecu": "GW"})
    assert e.value.code == n.BADINPUT


def test_threads_resolve_at_once_with_their_own_messages():
    errors = []

    def work(k):
        try:
            for i in range(60):
                if i % 2:
                    assert resolution(SNAP, {"ecu": "DCM"})["targets"][1][0] == "1LXBRFHX0TS598492"
                    assert n.lib.ota_last_errmsg() == b"not an error"
                else:
                    with pytest.raises(OTAError) as e:
                        resolve(SNAP, {"ecu": "GW", f"thread-{k}": 1})
                    assert f'unknown key "thread-{k}"' in e.value.message
        except Exception as e:  # reported below, with the thread
            errors.append((k, e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
