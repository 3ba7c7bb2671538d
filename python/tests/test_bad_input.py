"""The bad-input suite's twin through ctypes (Tests/c/test_bad_input.c is the full one): NULL
arguments, huge lengths, truncated and garbage CBOR, wrong types, invalid UTF-8, extreme
integers, deep nesting, a map of 100,000 keys and calls in the wrong state, each refused with a
code other than OTA_OK and OTA_ERROR and a message, every ota_buf out cleared, and an ota_buf
freed twice. The last test checks and prints the count."""
import ctypes
import hashlib
import random

import cbor2
import pytest

from libota import _native as n
from libota.store import OpenOptions

# A handle of our own on the library, so these prototypes (NULL-able pointers everywhere) do
# not change the binding's.
lib = ctypes.CDLL(n.lib._name)
db_t, buf_p, i64, size = ctypes.c_void_p, ctypes.POINTER(n.Buf), ctypes.c_int64, ctypes.c_size_t
data_t, text_t = ctypes.c_char_p, ctypes.c_char_p


def proto(name, *args):
    f = getattr(lib, name)
    f.restype, f.argtypes = ctypes.c_int, list(args)
    return f


ota_open = proto("ota_open", text_t, ctypes.POINTER(db_t))
ota_open_ex = proto("ota_open_ex", text_t, ctypes.POINTER(OpenOptions), ctypes.POINTER(db_t))
ota_close = proto("ota_close", db_t)
ota_grant = proto("ota_grant", db_t, text_t, i64, text_t, text_t)
ota_resolve = proto("ota_resolve", data_t, size, data_t, size, buf_p)
ota_register = proto("ota_package_register", db_t, text_t, i64, data_t, size, ctypes.POINTER(i64))
ota_package_get = proto("ota_package_get", db_t, i64, buf_p)
ota_package_list = proto("ota_package_list", db_t, data_t, size, buf_p)
ota_approve = proto("ota_package_approve", db_t, text_t, i64, i64)
ota_vehicle_get = proto("ota_vehicle_get", db_t, text_t, buf_p)
ota_fleet_export = proto("ota_fleet_export", db_t, i64, buf_p)
ota_roles = proto("ota_roles", db_t, text_t, buf_p)
lib.ota_errmsg.restype, lib.ota_errmsg.argtypes = ctypes.c_char_p, [db_t]
lib.ota_last_errmsg.restype, lib.ota_last_errmsg.argtypes = ctypes.c_char_p, []
lib.ota_buf_free.restype, lib.ota_buf_free.argtypes = None, [buf_p]

NOW = 1780000000
VIN = "WVWZZZ1KZAW000001"
CONTENT = b"bad input image\n"
SNAPSHOT = cbor2.dumps({0: 1, 1: NOW, 3: [[VIN, "Aster", "sedan", "petrol", "DE", 1700000000,
                                           [["BCM", "BCM-A", "1.0"]]]]})
RULE = cbor2.dumps({"ecu": "BCM", "hw": ["BCM-A"], "from": ["1.0"], "to": "2.0"})
_sentinel = (ctypes.c_uint8 * 8)()
count = {"cases": 0, "frees": 0}


def manifest(**over):
    m = {"name": "BCM-fw", "version": "2.0", "ecu": "BCM", "category": "bugfix", "release-type": "routine",
         "issue": "door unlock", "protocol": "CAN", "powertrains": ["petrol"], "models": ["Aster"],
         "hw": ["BCM-A"], "from": ["1.0"], "to": "2.0",
         "files": [{"name": "bcm.bin", "size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).digest(),
                    "uri": "s3://ota/bcm.bin"}],
         "release-notes": "Fixed.", "release-counter": 1}
    m.update(over)
    return m


def dirty():
    """An ota_buf as a caller might leave it, pointing at something: the call must clear it."""
    return n.Buf(ctypes.cast(_sentinel, ctypes.POINTER(ctypes.c_uint8)), 99)


def refused(what, rc, msg, buf=None):
    count["cases"] += 1
    assert rc not in (n.OK, n.ERROR) and 0 < rc <= n.CANCELLED, (what, rc, msg)
    assert msg and msg not in (b"", b"not an error"), (what, msg)
    if buf is not None:
        assert not buf.data and buf.len == 0, (what, "out not cleared")


@pytest.fixture(scope="module")
def db():
    h = db_t()
    o = OpenOptions(1, 0, 0, b"root", NOW)
    assert ota_open_ex(b":memory:", ctypes.byref(o), ctypes.byref(h)) == n.OK
    assert ota_grant(h, b"root", NOW, b"eve", b"engineer") == n.OK
    yield h
    ota_close(h)


def resolve_refused(what, snapshot, snapshot_len, rule, rule_len, with_out=True):
    buf = dirty()
    rc = ota_resolve(snapshot, snapshot_len, rule, rule_len, ctypes.byref(buf) if with_out else None)
    refused(what, rc, lib.ota_last_errmsg(), buf if with_out else None)


def register_refused(db, what, doc, length=None, actor=b"eve"):
    pid = i64(-7)
    rc = ota_register(db, actor, NOW, doc, len(doc or b"") if length is None else length, ctypes.byref(pid))
    refused(what, rc, lib.ota_errmsg(db))
    assert pid.value == -7, what


def test_null_arguments(db):
    h = db_t(12345)
    refused("ota_open(NULL path)", ota_open(None, ctypes.byref(h)), lib.ota_last_errmsg())
    assert not h.value
    refused("ota_open(NULL out)", ota_open(b":memory:", None), lib.ota_last_errmsg())
    resolve_refused("ota_resolve(NULL snapshot)", None, 9, RULE, len(RULE))
    resolve_refused("ota_resolve(NULL rule)", SNAPSHOT, len(SNAPSHOT), None, 9)
    resolve_refused("ota_resolve(NULL out)", SNAPSHOT, len(SNAPSHOT), RULE, len(RULE), with_out=False)
    register_refused(db, "register(NULL actor)", cbor2.dumps(manifest()), actor=None)
    register_refused(db, "register(NULL manifest)", None, 9)
    rc = ota_register(db, b"eve", NOW, RULE, len(RULE), None)
    refused("register(NULL id)", rc, lib.ota_errmsg(db))
    buf = dirty()
    refused("vehicle_get(NULL vin)", ota_vehicle_get(db, None, ctypes.byref(buf)), lib.ota_errmsg(db), buf)
    buf = dirty()
    refused("package_list(NULL filter, 3)", ota_package_list(db, None, 3, ctypes.byref(buf)), lib.ota_errmsg(db), buf)
    buf = dirty()
    refused("vehicle_get(NULL db)", ota_vehicle_get(None, VIN.encode(), ctypes.byref(buf)), lib.ota_errmsg(None), buf)


@pytest.mark.parametrize("length", [2**64 - 1, 2**63, 2**31, 2**30 + 1])
def test_huge_lengths(db, length):
    resolve_refused("snapshot length", SNAPSHOT, length, RULE, len(RULE))
    resolve_refused("rule length", SNAPSHOT, len(SNAPSHOT), RULE, length)
    register_refused(db, "manifest length", RULE, length)


def test_truncated_and_garbage(db):
    doc = cbor2.dumps(manifest(version="2.1"))
    for k in range(0, len(doc), 7):
        register_refused(db, f"manifest cut at {k}", doc[:k])
    for k in range(0, len(RULE), 5):
        resolve_refused(f"rule cut at {k}", SNAPSHOT, len(SNAPSHOT), RULE[:k], k)
    r = random.Random(12)
    for i in range(10):
        g = bytes([0xff]) + bytes(r.randrange(256) for _ in range(r.randrange(1, 40)))
        resolve_refused(f"garbage snapshot {i}", g, len(g), RULE, len(RULE))
        register_refused(db, f"garbage manifest {i}", g)


@pytest.mark.parametrize("field,value", [
    ("name", 7), ("version", b"\x00"), ("category", "x"), ("powertrains", []), ("models", [1]),
    ("files", {}), ("release-counter", -1), ("release-counter", 2**64 - 1), ("release-counter", 1.5),
    ("requires", "GW"), ("to", None), ("hw", True)])
def test_wrong_types_and_extreme_integers(db, field, value):
    register_refused(db, f"manifest {field} = {value!r}", cbor2.dumps(manifest(**{"version": "2.2", field: value})))


@pytest.mark.parametrize("raw", [b"\xff", b"a\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf"])
def test_invalid_utf8(db, raw):
    doc = cbor2.dumps(manifest(version="2.3", name="NAME")).replace(b"\x64NAME", bytes([0x60 + len(raw)]) + raw)
    register_refused(db, "manifest name not UTF-8", doc)
    register_refused(db, "actor not UTF-8", cbor2.dumps(manifest(version="2.3")), actor=raw)
    buf = dirty()
    refused("roles(who not UTF-8)", ota_roles(db, raw, ctypes.byref(buf)), lib.ota_errmsg(db), buf)


def test_nesting_and_wide_maps(db):
    deep = b"\x81" * 10000 + b"\x00"
    resolve_refused("10,000 nested arrays as snapshot", deep, len(deep), RULE, len(RULE))
    resolve_refused("10,000 nested arrays as rule", SNAPSHOT, len(SNAPSHOT), deep, len(deep))
    register_refused(db, "10,000 nested arrays as manifest", deep)
    wide = cbor2.dumps({f"k{i:06d}": 0 for i in range(100000)})
    register_refused(db, "manifest of 100,000 keys", wide)
    resolve_refused("rule of 100,000 keys", SNAPSHOT, len(SNAPSHOT), wide, len(wide))


def test_wrong_state_and_bad_ids(db):
    for pid in (-(2**63), -1, 0, 2**63 - 1):
        buf = dirty()
        refused(f"package_get({pid})", ota_package_get(db, pid, ctypes.byref(buf)), lib.ota_errmsg(db), buf)
        refused(f"approve({pid})", ota_approve(db, b"root", NOW, pid), lib.ota_errmsg(db))
    for now in (-(2**63), -1, 253402300800, 2**63 - 1):   # outside 1970 ... 9999
        buf = dirty()
        refused(f"export at now {now}", ota_fleet_export(db, now, ctypes.byref(buf)), lib.ota_errmsg(db), buf)
        assert b"now" in lib.ota_errmsg(db)
        refused(f"grant at now {now}", ota_grant(db, b"root", now, b"zed", b"engineer"), lib.ota_errmsg(db))
        refused(f"approve at now {now}", ota_approve(db, b"root", now, 1), lib.ota_errmsg(db))
    refused("grant a role held", ota_grant(db, b"root", NOW, b"eve", b"engineer"), lib.ota_errmsg(db))
    refused("grant as a non-admin", ota_grant(db, b"eve", NOW, b"x", b"engineer"), lib.ota_errmsg(db))


def test_buf_freed_twice():
    buf = n.Buf()
    assert ota_resolve(SNAPSHOT, len(SNAPSHOT), RULE, len(RULE), ctypes.byref(buf)) == n.OK
    for _ in range(3):
        lib.ota_buf_free(ctypes.byref(buf))
        assert not buf.data and buf.len == 0
    lib.ota_buf_free(None)
    count["frees"] += 4


def test_count():
    if count["cases"] == 0:
        pytest.skip("counts the cases of the tests above: run the whole file")
    print(f"bad-input (ctypes): {count['cases']} cases, all refused with a code and a message "
          f"({count['frees']} ota_buf_free calls on freed buffers survived)")
    assert count["cases"] >= 100
