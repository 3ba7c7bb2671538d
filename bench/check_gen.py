#!/usr/bin/env python3
"""Checks bench/gen_fleet.c: builds it afresh into bench/data/, generates a small fleet in every mode,
and asserts the structure with cbor2 and the schema with pycddl.
Usage: python3 bench/check_gen.py [N]   (writes only under bench/data/)"""
import os, subprocess, sys
import cbor2, pycddl

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
GEN = os.path.join(DATA, "gen_fleet")
SCHEMA = pycddl.Schema(open(os.path.join(HERE, "..", "docs", "schemas", "fleet-snapshot.cddl")).read())
N = int(sys.argv[1]) if len(sys.argv) > 1 else 200
VIN_VALUE = dict(zip("0123456789ABCDEFGHJKLMNPRSTUVWXYZ",
                     list(range(10)) + [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9]))
WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
MARKETS = set("US CN DE GB FR IT ES CA MX JP KR AU NL BE SE NO PL AT CH DK PT IE BR AR ZA AE SA IN TR NZ".split())

def gen(name, *args):
    path = os.path.join(DATA, name)
    subprocess.run([GEN, str(N), path, *args], check=True)
    return path

def load(path):
    """Validates one file and returns its vehicles with every table index resolved."""
    raw = open(path, "rb").read()
    SCHEMA.validate_cbor(raw)
    doc = cbor2.loads(raw)
    assert cbor2.dumps(doc, canonical=True) == raw, "not deterministic encoding"
    assert list(doc) == sorted(doc) and doc[0] == 1 and set(doc) <= {0, 1, 2, 3}
    table = doc.get(2)
    s = lambda x: table[x] if isinstance(x, int) else x  # IndexError/TypeError if no table
    if table is not None:
        assert len(set(table)) == len(table), "duplicate table strings"
    return [[v[0], *map(s, v[1:5]), v[5], [[*map(s, e[:3]), *[None if x is None else s(x) for x in e[3:]]]
             for e in v[6]], v[7], v[8], {s(k): x for k, x in v[9].items()}] for v in doc[3]]

def check(vehicles):
    assert len(vehicles) == N and len({v[0] for v in vehicles}) == N, "VINs not unique"
    ecus = 0
    for vin, model, variant, pt, market, produced, ecu, engine, chassis, attrs in vehicles:
        assert len(vin) == 17 and set(vin) <= set(VIN_VALUE), vin
        digit = sum(VIN_VALUE[c] * w for c, w in zip(vin, WEIGHTS)) % 11
        assert vin[8] == "0123456789X"[digit], f"check digit {vin}"
        assert pt in ("petrol", "diesel", "electric", "hybrid") and market in MARKETS
        assert 1546300800 <= produced < 1780272000  # 2019-01-01 .. 2026-06-01
        nodes = [e[0] for e in ecu]
        assert len(nodes) - nodes.count("DCM") == len(set(nodes) - {"DCM"}) and nodes.count("DCM") <= 2
        assert ({"ECM", "TCM"} & set(nodes)) == (set() if pt == "electric" else {"ECM", "TCM"})
        assert pt != "electric" or {"BMS", "OBC"} <= set(nodes)
        assert all(3 <= len(e) <= 5 and all(isinstance(x, str) for x in e[:3]) for e in ecu)
        assert isinstance(chassis, str) and (engine is None or isinstance(engine, str))
        assert 1 <= len(attrs) <= 2 and all(type(attrs[k]) is t for k, t in
                                            (("trim", str), ("tow-hitch", bool), ("battery-kwh", int)) if k in attrs)
        ecus += len(ecu)
    serials = sum(1 for v in vehicles for e in v[6] if len(e) == 5 and e[4] is not None)
    assert 12 <= ecus / N <= 15 and 0.35 <= serials / ecus <= 0.65, (ecus / N, serials / ecus)

os.makedirs(DATA, exist_ok=True)
subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-Werror", "-o", GEN, os.path.join(HERE, "gen_fleet.c")], check=True)
table = load(gen("check.cbor"))
check(table)
assert open(gen("check2.cbor"), "rb").read() == open(os.path.join(DATA, "check.cbor"), "rb").read(), "not repeatable"
assert load(gen("check-seed.cbor", "--seed", "7")) != table, "seed ignored"
inline = gen("check-inline.cbor", "--inline")
assert 2 not in cbor2.loads(open(inline, "rb").read()) and load(inline) == table, "inline differs"
gen("check-shards.cbor", "--shards", "3")
assert sum((load(os.path.join(DATA, f"check-shards.{k}.cbor")) for k in range(3)), []) == table, "shards differ"
print(f"check_gen: ok ({N} vehicles; table, inline, seed, shards)")
