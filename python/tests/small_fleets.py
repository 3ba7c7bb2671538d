"""Small random fleets and rules over shared value pools (so that rules match something),
with every optional part of the snapshot format exercised: trailing nulls, extension
fields, unknown top-level keys, a string table holding any subset of the strings."""
from cbor2 import CBORTag

MODELS = ["Aster", "Borealis", "Cirrus"]
VARIANTS = ["sedan", "suv", "Kombi \u00e9l\u00e9gance"]  # non-ASCII text too
POWERTRAINS = ["petrol", "electric", "hybrid"]
MARKETS = ["US", "DE", "CN"]
NODES = ["GW", "BCM", "DCM"]
HW = ["5Q0 937 084 A", "5Q0 937 084 B", "H3"]
SW = ["1.0.0", "1.2.3", "2.0.0", "2.1.0"]
ATTR_KEYS = ["trim", "tow-hitch", "battery-kwh"]
ATTR_VALUES = ["base", "sport", "", 0, 1, 77, -5, True, False, 1 << 40]
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"


def vin(rnd):
    return "".join(rnd.choice(VIN_CHARS) for _ in range(17))


def ecu(rnd):
    e = [rnd.choice(NODES), rnd.choice(HW), rnd.choice(SW)]
    n = rnd.randint(3, 6)
    if n > 3:
        e.append(rnd.choice([None, "CAL-1", "CAL-2"]))
    if n > 4:
        e.append(rnd.choice([None, "SN" + vin(rnd)[:8]]))
    if n > 5:
        e.append(rnd.choice([[1, {"x": CBORTag(55, "y")}], 2.5, b"\x00\x01"]))
    return e


def vehicle(rnd, v):
    ecus = [ecu(rnd) for _ in range(rnd.randint(0, 5))]
    out = [v, rnd.choice(MODELS), rnd.choice(VARIANTS), rnd.choice(POWERTRAINS), rnd.choice(MARKETS),
           rnd.randint(0, 2000), ecus]
    n = rnd.randint(7, 11)
    if n > 7:
        out.append(rnd.choice([None, "EA1234567"]))
    if n > 8:
        out.append(rnd.choice([None, "AS12345678"]))
    if n > 9:
        keys = rnd.sample(ATTR_KEYS, rnd.randint(0, 3))
        out.append({k: rnd.choice(ATTR_VALUES) for k in keys})
    if n > 10:
        out.append({"future": [1, None]})
    return out


def fleet(rnd, n=None):
    """A snapshot as Python data: {0: 1, 1: time, 3: vehicles, ...}, strings inline."""
    vins = [vin(rnd) for _ in range(rnd.randint(0, 12) if n is None else n)]
    if vins and rnd.random() < 0.2:
        vins.append(vins[0])  # a VIN listed twice is not the resolver's business
    snap = {0: 1, 1: 1780272000, 3: [vehicle(rnd, v) for v in vins]}
    if rnd.random() < 0.3:
        snap[7] = {"later": CBORTag(1, 0)}  # a key a later format version adds
    return snap


def with_table(snap, rnd):
    """The same snapshot with a random subset of its `str` fields moved into a string table
    (in random order, with some unused entries). VINs and attribute values stay inline."""
    strings = set()
    table = []
    index = {}

    def ref(s):
        if s is None or rnd.random() < 0.3:
            return s
        if s not in index:
            index[s] = None
            strings.add(s)
        return ("ref", s)

    vehicles = []
    for v in snap[3]:
        w = [v[0]] + [ref(x) for x in v[1:5]] + [v[5]]
        w.append([[ref(x) for x in e[:5]] + e[5:] for e in v[6]])
        w += [ref(x) for x in v[7:9]]
        if len(v) > 9:
            w.append({ref(k): val for k, val in v[9].items()})
        w += v[10:]
        vehicles.append(w)
    table = sorted(strings) + ["unused-" + str(i) for i in range(rnd.randint(0, 3))]
    rnd.shuffle(table)
    pos = {s: i for i, s in enumerate(table)}

    def resolve_refs(x):
        if isinstance(x, tuple) and x[0] == "ref":
            return pos[x[1]]
        if isinstance(x, list):
            return [resolve_refs(y) for y in x]
        if isinstance(x, dict):
            return {resolve_refs(k): resolve_refs(val) for k, val in x.items()}
        return x

    out = {0: 1, 1: snap[1], 2: table, 3: resolve_refs(vehicles)}
    for k in sorted(snap):
        if k > 3:
            out[k] = snap[k]
    return out


def rule(rnd, vins):
    r = {"ecu": rnd.choice(NODES)}
    for key, pool in (("hw", HW), ("from", SW), ("models", MODELS), ("variants", VARIANTS),
                      ("powertrains", POWERTRAINS), ("markets", MARKETS)):
        if rnd.random() < 0.3:
            r[key] = rnd.sample(pool + ["none-such"], rnd.randint(1, 3))
    if rnd.random() < 0.3:
        r["to"] = rnd.choice(SW)
    if rnd.random() < 0.2:
        start = rnd.randint(0, 2000)
        r["produced"] = [start, start + rnd.randint(0, 1500)]
    if vins and rnd.random() < 0.2:
        r["vins"] = rnd.sample(vins, rnd.randint(1, len(vins))) + [vin(rnd)]
    if vins and rnd.random() < 0.2:
        r["exclude-vins"] = rnd.sample(vins, rnd.randint(1, len(vins)))
    if rnd.random() < 0.3:
        r["attributes"] = {k: rnd.choice(ATTR_VALUES) for k in rnd.sample(ATTR_KEYS, rnd.randint(1, 2))}
    if rnd.random() < 0.3:
        r["requires"] = [[rnd.choice(NODES), rnd.sample(SW, rnd.randint(1, 3))] for _ in range(rnd.randint(1, 2))]
    return r
