"""ota_resolve against the reference resolver: random small fleets in random encodings, and
realistic fleets from bench/gen_fleet (with and without a string table, whole and sharded)."""
import random
import subprocess
from pathlib import Path

import cbor2
import pycddl
import pytest
from hypothesis import given, settings, strategies as st

import cbor_encodings
import reference_resolver
import small_fleets
from libota.resolve import resolve, resolve_file

ROOT = Path(__file__).resolve().parents[2]
RESOLUTION = pycddl.Schema((ROOT / "docs/schemas/resolution.cddl").read_text())
RULE = pycddl.Schema((ROOT / "docs/schemas/target-rule.cddl").read_text())
SNAPSHOT = pycddl.Schema((ROOT / "docs/schemas/fleet-snapshot.cddl").read_text())


def check(snapshot_bytes, rule, snapshot):
    """The library's result equals the reference's, keeps the schema and the invariant
    scanned = vehicles with a target + sum(excluded). Returns the bytes."""
    expected, targeted = reference_resolver.resolve_counting(snapshot, rule)
    out = resolve(snapshot_bytes, rule)
    RESOLUTION.validate_cbor(out)
    got = cbor2.loads(out)
    assert got == expected
    assert cbor2.dumps(got, canonical=True) == out  # deterministic encoding
    assert got["scanned"] == targeted + sum(got["excluded"].values())
    assert all(n > 0 for n in got["excluded"].values())
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_every_encoding_gives_the_reference_result(seed):
    rnd = random.Random(seed)
    snap = small_fleets.fleet(rnd)
    rule = small_fleets.rule(rnd, [v[0] for v in snap[3]])
    RULE.validate_cbor(cbor2.dumps(rule))
    plain = check(cbor2.dumps(snap), rule, snap)
    tabled = small_fleets.with_table(snap, rnd)
    assert reference_resolver.resolve(tabled, rule) == reference_resolver.resolve(snap, rule)
    for encoded in (cbor2.dumps(tabled), cbor_encodings.encode(tabled, rnd),
                    cbor_encodings.encode(snap, rnd, indefinite=0.9)):
        # same bytes out, whatever the encoding in
        assert resolve(encoded, rule) == plain


def test_the_generated_snapshots_are_valid():
    """The test fleets themselves follow the snapshot schema."""
    rnd = random.Random(7)
    for _ in range(100):
        snap = small_fleets.fleet(rnd)
        SNAPSHOT.validate_cbor(cbor2.dumps(snap))
        SNAPSHOT.validate_cbor(cbor2.dumps(small_fleets.with_table(snap, rnd)))


# ---- realistic fleets from bench/gen_fleet.c ----

N = 3000


@pytest.fixture(scope="session")
def fleets(tmp_path_factory):
    d = tmp_path_factory.mktemp("fleets")
    gen = d / "gen_fleet"
    subprocess.run(["cc", "-O2", "-o", str(gen), str(ROOT / "bench/gen_fleet.c")], check=True)
    for args in ([], ["--inline"], ["--shards", "3"], ["--inline", "--shards", "3"]):
        name = "fleet" + ("-inline" if "--inline" in args else "") + ".cbor"
        subprocess.run([str(gen), str(N), str(d / name), "--seed", "42"] + args, check=True)
    return d


CATALOGUE_RULES = [
    {"ecu": "GW"},
    {"ecu": "DCM"},  # 0, 1 or 2 door modules per vehicle
    {"ecu": "IVI", "hw": ["3G0 035 864 C", "3G0 035 864 D"], "from": ["4.8.8", "4.10.1"], "to": "4.12.4",
     "models": ["Aster", "Borealis", "Ember"], "markets": ["DE", "FR", "IT", "ES", "GB", "NL"]},
    {"ecu": "BMS", "powertrains": ["electric", "hybrid"], "attributes": {"battery-kwh": 77},
     "requires": [["GW", ["1.8.2", "1.10.5"]]]},
    {"ecu": "ECM", "attributes": {"tow-hitch": True, "trim": "sport"}, "produced": [1609459200, 1672531199]},
    {"ecu": "ABS", "variants": ["suv", "suv-lwb"], "to": "3.6.8", "requires": [["ESP", ["4.7.3", "4.5.0"]],
                                                                                ["OBC", ["1.3.1"]]]},
    {"ecu": "TCU", "exclude-vins": ["WLXEMFHX0TS598491"], "markets": ["US", "CA", "MX"]},
    {"ecu": "NOPE"},
]


@pytest.mark.parametrize("rule", CATALOGUE_RULES, ids=[r["ecu"] + str(i) for i, r in enumerate(CATALOGUE_RULES)])
def test_generated_fleet_matches_the_reference(fleets, rule):
    data = (fleets / "fleet.cbor").read_bytes()
    SNAPSHOT.validate_cbor(data)
    out = check(data, rule, cbor2.loads(data))
    # the same fleet with every string inline gives the same bytes
    assert resolve((fleets / "fleet-inline.cbor").read_bytes(), rule) == out
    assert resolve_file(fleets / "fleet.cbor", rule) == out


@pytest.mark.parametrize("inline", [False, True])
@pytest.mark.parametrize("rule", CATALOGUE_RULES[:5])
def test_shards_add_up_to_the_whole(fleets, rule, inline):
    suffix = "-inline" if inline else ""
    whole = cbor2.loads(resolve_file(fleets / f"fleet{suffix}.cbor", rule))
    parts = [cbor2.loads(resolve_file(fleets / f"fleet{suffix}.{k}.cbor", rule)) for k in range(3)]
    assert sum(p["scanned"] for p in parts) == whole["scanned"] == N
    assert [t for p in parts for t in p["targets"]] == whole["targets"]
    excluded = {}
    for p in parts:
        for reason, n in p["excluded"].items():
            excluded[reason] = excluded.get(reason, 0) + n
    assert excluded == whole["excluded"]


def test_a_vin_recall_list(fleets):
    snap = cbor2.loads((fleets / "fleet.cbor").read_bytes())
    vins = [v[0] for v in snap[3]][::7]  # 429 VINs: the hashed lookup path
    rule = {"ecu": "ABS", "vins": vins + ["1LXAAAAA0AA000000"]}
    res = cbor2.loads(resolve_file(fleets / "fleet.cbor", rule))
    assert res == reference_resolver.resolve(snap, rule)
    assert {t[0] for t in res["targets"]} <= set(vins)
    assert res["excluded"]["vins"] == N - len(vins)
