"""Update management through the C API: manifests built with cbor2, real files hashed by the
library, signatures verified independently (pycose and `cryptography`), every document
validated against docs/schemas/*.cddl with pycddl."""
import hashlib
import sqlite3
from pathlib import Path

import cbor2
import pycddl
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from libota import OTAError
from libota import _native as n
from libota import roles
from libota.packages import Packages
from libota.store import Store

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
T0 = 1_700_000_000
SEED = bytes(range(32))


def schema(rule, file="package.cddl"):
    # pycddl takes the first rule as the root: name the one to check first.
    return pycddl.Schema(f"root = {rule}\n" + (SCHEMAS / file).read_text())


INFO, LIST, FILTER, MANIFEST = (schema(r) for r in ("package-info", "package-list", "package-filter",
                                                    "package-manifest"))
GRANTS = schema("role-grants", "roles.cddl")


def manifest(files, /, **over):
    m = {
        "name": "BCM-app", "version": "2.4.0", "ecu": "BCM", "category": "bugfix",
        "release-type": "routine", "issue": "Door lock relay chatters at -30 C",
        "protocol": "CAN-FD", "powertrains": ["petrol", "electric"], "models": ["Aurora", "Borealis"],
        "hw": ["HW-BCM-01", "HW-BCM-02"], "from": ["2.3.0", "2.3.1"], "to": "2.4.0",
        "files": files, "release-notes": "Fixes relay debounce.", "requires": [["GW", ["5.1.0", "5.2.0"]]],
        "release-counter": 7,
    }
    m.update(over)
    return {k: v for k, v in m.items() if v is not None}


def write_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path, {"name": name, "size": len(content), "sha256": hashlib.sha256(content).digest(),
                  "uri": f"s3://ota-artifacts/bcm/{name}"}


@pytest.fixture
def store(db_path):
    with Store(db_path, bootstrap_admin="root", now=T0) as s:
        for who, role in [("eve", "engineer"), ("ann", "approver"), ("cam", "campaign-manager"),
                          ("gus", "gateway")]:
            roles.grant(s, "root", T0, who, role)
        yield s


@pytest.fixture
def pk(store):
    p = Packages(store)
    p.set_signing_key(SEED, "release-key-1")
    return p


@pytest.fixture
def artifacts(tmp_path):
    """Two real files on disk and their manifest entries."""
    app = write_file(tmp_path, "bcm_app.hex", b":10000000" + bytes(range(256)) * 300)
    cal = write_file(tmp_path, "bcm_cal.bin", b"\x01\x02calibration" * 1000)
    return [app, cal]


def get(pk, pid):
    raw = pk.get(pid)
    INFO.validate_cbor(raw)
    return cbor2.loads(raw)


def verified_package(pk, artifacts, **over):
    pid = pk.register("eve", T0, cbor2.dumps(manifest([a[1] for a in artifacts], **over)))
    for path, entry in artifacts:
        pk.verify_file("eve", T0 + 1, pid, entry["name"], path)
    return pid


def code_of(call):
    with pytest.raises(OTAError) as e:
        call()
    return e.value.code, e.value.message


# --- registration -------------------------------------------------------------------------

def test_register_and_get_round_trip(pk, artifacts):
    m = manifest([a[1] for a in artifacts])
    pid = pk.register("eve", T0, cbor2.dumps(m))
    info = get(pk, pid)
    assert info["id"] == pid and info["state"] == "draft"
    assert info["manifest"] == m
    assert [f["status"] for f in info["files"]] == ["unverified", "unverified"]
    assert info["files"][0]["found-size"] is None
    assert info["history"] == [{"state": "draft", "actor": "eve", "at": T0, "reason": None}]
    assert info["signature"] is None
    MANIFEST.validate_cbor(cbor2.dumps(m))


def test_any_encoding_is_stored_canonically(pk, artifacts):
    m = manifest([a[1] for a in artifacts])
    shuffled = dict(reversed(list(m.items())))
    pid = pk.register("eve", T0, cbor2.dumps(shuffled))
    # the stored manifest is deterministic CBOR, whatever the input order and encoding were
    info = cbor2.loads(pk.get(pid))
    assert info["manifest"] == m
    assert list(info["manifest"].keys()) == sorted(m.keys(), key=lambda k: (len(k.encode()), k.encode()))
    indefinite = (b"\xbf" + b"".join(cbor2.dumps(k) + cbor2.dumps(v) for k, v in
                                      manifest([a[1] for a in artifacts], version="9", to="9").items()) + b"\xff")
    other = cbor2.loads(pk.get(pk.register("eve", T0, indefinite)))
    assert other["manifest"]["version"] == "9"


def test_every_problem_is_reported_at_once(pk, artifacts):
    files = [a[1] for a in artifacts] + [{"name": "x.bin", "size": 3, "sha256": b"\0" * 16,
                                          "uri": "s3://b/x"}]
    bad = manifest(files, models=[], category="cosmetic", colour="red", version=None,
                   **{"release-counter": -1})
    bad["from"] = ["2.3.0", "2.4.0", "2.3.0"]
    code, msg = code_of(lambda: pk.register("eve", T0, cbor2.dumps(bad)))
    assert code == n.BADINPUT
    for part in ["files[2].sha256: expected 32 bytes, found 16", "models: empty list",
                 "category: 'cosmetic' is not one of", "colour: unknown key", "version: missing",
                 "release-counter: expected an unsigned integer, found a negative integer",
                 "from[2]: duplicate of from[0]"]:
        assert part in msg, (part, msg)
    assert msg.startswith("manifest has 7 problems: ")
    assert cbor2.loads(pk.list()) == []


@pytest.mark.parametrize("field,value,expected", [
    ("name", "", "name: empty text"),
    ("name", " BCM", "name: has leading or trailing spaces"),
    ("ecu", 12, "ecu: expected text, found integer"),
    ("release-type", "urgent", "release-type: 'urgent' is not one of 'critical' or 'routine'"),
    ("protocol", "CANFD", "protocol: 'CANFD' is not one of"),
    ("issue", "", "issue: empty text"),
    ("powertrains", "petrol", "powertrains: expected an array, found text"),
    ("hw", ["A", "A"], "hw[1]: duplicate of hw[0]"),
    ("from", ["2.4.0"], "from[0]: '2.4.0' is the version the package installs (to)"),
    ("to", ["2.4.0"], "to: expected text, found array"),
    ("files", [], "files: empty list"),
    ("release-notes", None, "release-notes: missing"),
    ("requires", [["BCM", ["1"]]], "requires[0].node: 'BCM' is the package's own ECU"),
    ("requires", [["GW"]], "requires[0]: expected [node, [versions]], found an array of 1"),
    ("requires", [["GW", []]], "requires[0].versions: empty list"),
    ("release-counter", 2**64 - 1, "release-counter: 18446744073709551615 is larger than"),
])
def test_each_field_is_checked(pk, artifacts, field, value, expected):
    code, msg = code_of(lambda: pk.register("eve", T0, cbor2.dumps(
        manifest([a[1] for a in artifacts], **{field: value}))))
    assert code == n.BADINPUT and expected in msg, msg


@pytest.mark.parametrize("entry,expected", [
    ({"size": 0}, "files[0].size: 0 is less than 1"),
    ({"sha256": "ab" * 32}, "files[0].sha256: expected a byte string of 32 bytes, found text (hex text"),
    ({"uri": "bucket/key"}, "files[0].uri: 'bucket/key' is not a URI with a scheme"),
    ({"uri": "s3://b/a key"}, "files[0].uri: contains a space"),
    ({"name": "bcm_cal.bin"}, "files[1].name: 'bcm_cal.bin' is a duplicate of files[0].name"),
    ({"md5": b"x"}, "files[0].md5: unknown key"),
])
def test_file_entries_are_checked(pk, artifacts, entry, expected):
    files = [dict(a[1]) for a in artifacts]
    if entry.get("name") == "bcm_cal.bin":
        files[0]["name"] = "bcm_cal.bin"
    else:
        files[0].update(entry)
    code, msg = code_of(lambda: pk.register("eve", T0, cbor2.dumps(manifest(files))))
    assert code == n.BADINPUT and expected in msg, msg


def test_malformed_cbor_and_limits(pk):
    code, msg = code_of(lambda: pk.register("eve", T0, b"\xa1\x61"))
    assert code == n.BADINPUT and msg.startswith("manifest: truncated CBOR")
    code, msg = code_of(lambda: pk.register("eve", T0, cbor2.dumps([1, 2])))
    assert code == n.BADINPUT and "expected a map, found array" in msg
    code, _ = code_of(lambda: pk.register("eve", T0, b""))
    assert code == n.BADINPUT


def test_name_and_version_are_never_reused(pk, artifacts):
    m = cbor2.dumps(manifest([a[1] for a in artifacts]))
    pid = pk.register("eve", T0, m)
    pk.withdraw("ann", T0 + 1, pid, "superseded")
    code, msg = code_of(lambda: pk.register("eve", T0 + 2, m))
    assert code == n.CONFLICT and f"already registered as package {pid} (withdrawn)" in msg


# --- files, lifecycle, signatures -----------------------------------------------------------

def test_real_files_are_verified_and_a_corrupted_one_is_recorded(pk, artifacts, tmp_path):
    pid = pk.register("eve", T0, cbor2.dumps(manifest([a[1] for a in artifacts])))
    (app_path, app), (cal_path, cal) = artifacts
    pk.verify_file("eve", T0 + 1, pid, app["name"], app_path)
    corrupted = tmp_path / "corrupted.bin"
    data = bytearray(cal_path.read_bytes())
    data[100] ^= 0x01
    corrupted.write_bytes(bytes(data))
    code, msg = code_of(lambda: pk.verify_file("eve", T0 + 2, pid, cal["name"], corrupted))
    assert code == n.CORRUPT
    assert "sha256 " + hashlib.sha256(bytes(data)).hexdigest() in msg
    assert "(expected " + cal["sha256"].hex() + ")" in msg
    assert msg.split("manifest: ")[1].startswith("sha256 ")   # the size matched
    files = get(pk, pid)["files"]
    assert files[0] == {"name": app["name"], "status": "match", "found-size": app["size"],
                             "found-sha256": app["sha256"], "checked-by": "eve", "checked-at": T0 + 1}
    assert files[1]["status"] == "mismatch" and files[1]["found-sha256"] == hashlib.sha256(bytes(data)).digest()
    code, msg = code_of(lambda: pk.validate("eve", T0 + 3, pid))
    assert code == n.CONFLICT and "'bcm_cal.bin' (mismatch)" in msg
    pk.verify_file("eve", T0 + 4, pid, cal["name"], cal_path)
    pk.validate("eve", T0 + 5, pid)
    actions = [e["action"] for e in cbor2.loads(pk.store.audit_list())]
    assert actions.count("package.verify-file") == 3 and actions[-1] == "package.validate"


def test_a_truncated_file_reports_its_size(pk, artifacts, tmp_path):
    pid = pk.register("eve", T0, cbor2.dumps(manifest([a[1] for a in artifacts])))
    path, entry = artifacts[0]
    short = tmp_path / "short.hex"
    short.write_bytes(path.read_bytes()[:-10])
    code, msg = code_of(lambda: pk.verify_file("eve", T0, pid, entry["name"], short))
    assert code == n.CORRUPT and f"size {entry['size'] - 10} (expected {entry['size']})" in msg


def test_file_errors(pk, artifacts, tmp_path):
    pid = pk.register("eve", T0, cbor2.dumps(manifest([a[1] for a in artifacts])))
    code, msg = code_of(lambda: pk.verify_file("eve", T0, pid, "bcm_app.hex", tmp_path / "missing"))
    assert code == n.IO and "No such file" in msg
    code, msg = code_of(lambda: pk.verify_file("eve", T0, pid, "other.bin", artifacts[0][0]))
    assert code == n.NOTFOUND and "'bcm_app.hex', 'bcm_cal.bin'" in msg
    code, _ = code_of(lambda: pk.verify_file("eve", T0, pid + 1, "bcm_app.hex", artifacts[0][0]))
    assert code == n.NOTFOUND
    code, msg = code_of(lambda: pk.verify_file("eve", T0, pid, "bcm_app.hex", tmp_path))
    assert code == n.IO and "cannot read" in msg
    assert get(pk, pid)["files"][0]["status"] == "unverified"


def test_full_lifecycle_signature_verifies_independently(pk, artifacts):
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0 + 2, pid)
    pk.approve("ann", T0 + 3, pid)
    pk.release("cam", T0 + 4, pid)
    info = get(pk, pid)
    assert info["state"] == "released"
    assert [(h["state"], h["actor"]) for h in info["history"]] == [
        ("draft", "eve"), ("validated", "eve"), ("approved", "ann"), ("released", "cam")]
    cose = pk.signature(pid)
    sig = info["signature"]
    pub = Ed25519PrivateKey.from_private_bytes(SEED).public_key().public_bytes_raw()
    assert sig["cose"] == cose and sig["kid"] == "release-key-1" and sig["public-key"] == pub
    assert sig["signed-by"] == "ann" and pk.signing_public_key() == pub
    # pycose: a standard COSE_Sign1 verifier
    msg = pycose_sign1(cose)
    msg.key = OKPKey(crv=Ed25519, x=pub)
    assert msg.verify_signature()
    assert msg.phdr == {pycose_alg(): pycose_eddsa()} and msg.uhdr[pycose_kid()] == b"release-key-1"
    # by hand: Sig_structure with `cryptography`
    tag = cbor2.loads(cose)
    assert tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    assert cbor2.loads(protected) == {1: -8} and unprotected == {4: b"release-key-1"}
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    Ed25519PublicKey.from_public_bytes(pub).verify(signature, to_be_signed)
    # ... and both verifiers refuse a tampered payload
    tampered = payload.replace(b"2.4.0", b"2.4.9")
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(pub).verify(signature, cbor2.dumps(["Signature1", protected, b"", tampered]))
    forged = Sign1Message.from_cose_obj([protected, dict(unprotected), tampered, signature], True)
    forged.key = OKPKey(crv=Ed25519, x=pub)
    assert not forged.verify_signature()
    # the payload is the canonical manifest, byte for byte
    assert payload == cbor2.dumps(info["manifest"], canonical=True)
    assert cbor2.loads(payload) == manifest([a[1] for a in artifacts])
    assert pk.store.audit_verify()[1] == 0


def pycose_sign1(cose):
    """pycose 1.1 decodes through cbor2, whose 6.x returns a tagged array as a tuple that
    pycose refuses; hand it the decoded array instead (the bytes are checked above)."""
    tag = cbor2.loads(cose)
    assert tag.tag == 18
    protected, unprotected, payload, signature = tag.value
    return Sign1Message.from_cose_obj([protected, dict(unprotected), payload, signature], True)


def pycose_alg():
    from pycose.headers import Algorithm
    return Algorithm


def pycose_eddsa():
    from pycose.algorithms import EdDSA
    return EdDSA


def pycose_kid():
    from pycose.headers import KID
    return KID


def test_hsm_signer_callback(store, artifacts):
    key = Ed25519PrivateKey.generate()
    pub = key.public_key().public_bytes_raw()
    calls = []

    def hsm(message):
        calls.append(message)
        return key.sign(message)

    pk = Packages(store)
    pk.set_signer(hsm, pub, "hsm-slot-3")
    assert pk.signing_public_key() == pub
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0, pid)
    pk.approve("ann", T0, pid)
    cose = pk.signature(pid)
    msg = pycose_sign1(cose)
    msg.key = OKPKey(crv=Ed25519, x=pub)
    assert msg.verify_signature() and len(calls) == 1
    assert calls[0] == cbor2.dumps(["Signature1", cbor2.loads(cose).value[0], b"", msg.payload])


def test_signer_failures_leave_the_package_validated(store, artifacts):
    pk = Packages(store)
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0, pid)
    code, msg = code_of(lambda: pk.approve("ann", T0, pid))
    assert code == n.MISUSE and "no signing key" in msg
    code, _ = code_of(lambda: pk.signing_public_key())
    assert code == n.MISUSE
    other = Ed25519PrivateKey.generate()
    pub = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    pk.set_signer(other.sign, pub, "wrong-pair")
    code, msg = code_of(lambda: pk.approve("ann", T0, pid))
    assert code == n.MISUSE and "does not verify with its public key" in msg

    def broken(_):
        raise RuntimeError("HSM offline")
    pk.set_signer(broken, pub, "offline")
    code, msg = code_of(lambda: pk.approve("ann", T0, pid))
    assert code == n.IO and "signer callback for key 'offline' failed with 1" in msg
    pk.set_signer(None, None, None)
    code, _ = code_of(lambda: pk.approve("ann", T0, pid))
    assert code == n.MISUSE
    info = get(pk, pid)
    assert info["state"] == "validated" and info["signature"] is None
    code, msg = code_of(lambda: pk.signature(pid))
    assert code == n.NOTFOUND and "it is validated" in msg


def test_two_person_rule(pk, artifacts):
    roles.grant(pk.store, "root", T0, "eve", "approver")
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0, pid)
    code, msg = code_of(lambda: pk.approve("eve", T0, pid))
    assert code == n.DENIED and "two-person rule" in msg and "'eve'" in msg
    # an admin who registered is bound by it too
    pid2 = verified_package(pk, artifacts, version="2.4.1", to="2.4.1", **{"release-counter": 8})
    pk.validate("root", T0, pid2)
    pk.approve("root", T0, pid2)   # root did not register it
    pid3 = pk.register("root", T0, cbor2.dumps(manifest([a[1] for a in artifacts], version="3",
                                                        to="3", **{"release-counter": 9})))
    for path, entry in artifacts:
        pk.verify_file("root", T0, pid3, entry["name"], path)
    pk.validate("root", T0, pid3)
    code, _ = code_of(lambda: pk.approve("root", T0, pid3))
    assert code == n.DENIED


@pytest.mark.parametrize("state", ["draft", "validated", "approved", "released", "withdrawn"])
def test_illegal_transitions_name_the_state(pk, artifacts, state):
    pid = verified_package(pk, artifacts)
    steps = [lambda: pk.validate("eve", T0, pid), lambda: pk.approve("ann", T0, pid),
             lambda: pk.release("cam", T0, pid)]
    order = ["draft", "validated", "approved", "released"]
    if state == "withdrawn":
        pk.withdraw("cam", T0, pid, "found a bug")
    else:
        for step in steps[:order.index(state)]:
            step()
    legal = {"draft": {"validate", "withdraw"}, "validated": {"approve", "withdraw"},
             "approved": {"release", "withdraw"}, "released": {"withdraw"}, "withdrawn": set()}[state]
    actions = {"validate": lambda: pk.validate("eve", T0, pid), "approve": lambda: pk.approve("ann", T0, pid),
               "release": lambda: pk.release("cam", T0, pid),
               "withdraw": lambda: pk.withdraw("cam", T0, pid, "x")}
    for name, call in actions.items():
        if name in legal:
            continue
        code, msg = code_of(call)
        assert code == n.CONFLICT and f"it is {state}" in msg, (name, msg)
    assert get(pk, pid)["state"] == state


def test_released_package_is_immutable(pk, artifacts, db_path):
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0, pid)
    pk.approve("ann", T0, pid)
    pk.release("ann", T0, pid)
    code, msg = code_of(lambda: pk.verify_file("eve", T0, pid, "bcm_app.hex", artifacts[0][0]))
    assert code == n.CONFLICT and "released and immutable" in msg
    con = sqlite3.connect(db_path)
    for sql in ["UPDATE packages SET manifest = x'a0' WHERE id = ?",
                "UPDATE packages SET state = 'draft' WHERE id = ?",
                "UPDATE package_files SET status = 'unverified' WHERE package_id = ?",
                "DELETE FROM packages WHERE id = ?",
                "UPDATE package_signatures SET kid = 'x' WHERE package_id = ?",
                "INSERT INTO package_hw(package_id, hw) VALUES(?, 'HW-NEW')"]:
        with pytest.raises(sqlite3.DatabaseError):
            con.execute(sql, (pid,))
    con.close()
    pk.withdraw("cam", T0 + 9, pid, "recall R-2024-17")
    info = get(pk, pid)
    assert info["state"] == "withdrawn" and info["history"][-1]["reason"] == "recall R-2024-17"


# --- rollback protection --------------------------------------------------------------------

def release_new(pk, artifacts, version, counter, hw, ecu="BCM"):
    pid = verified_package(pk, artifacts, version=version, to=version, hw=hw, ecu=ecu,
                           **{"release-counter": counter})
    pk.validate("eve", T0, pid)
    pk.approve("ann", T0, pid)
    pk.release("cam", T0, pid)
    return pid


def test_release_counters_never_go_back(pk, artifacts):
    first = release_new(pk, artifacts, "10", 10, ["HW-A"])
    for counter, hw in [(10, ["HW-B", "HW-A"]), (9, ["HW-A"])]:
        code, msg = code_of(lambda: pk.register("eve", T0, cbor2.dumps(manifest(
            [a[1] for a in artifacts], version=f"r{counter}", to=f"r{counter}", hw=hw,
            **{"release-counter": counter}))))
        assert code == n.CONFLICT and f"package {first}" in msg and "'HW-A'" in msg, msg
    release_new(pk, artifacts, "10-other-hw", 10, ["HW-C"])       # no overlap
    release_new(pk, artifacts, "10-other-ecu", 10, ["HW-A"], ecu="ABS")
    # two drafts that both pass registration: the second release is refused
    late = verified_package(pk, artifacts, version="11", to="11", hw=["HW-A"], **{"release-counter": 11})
    early = release_new(pk, artifacts, "12", 12, ["HW-A"])
    pk.validate("eve", T0, late)
    pk.approve("ann", T0, late)
    code, msg = code_of(lambda: pk.release("cam", T0, late))
    assert code == n.CONFLICT and f"counter 12 of package {early}" in msg
    assert get(pk, late)["state"] == "approved"
    # a withdrawn release still counts
    pk.withdraw("ann", T0, early, "bad batch")
    code, _ = code_of(lambda: pk.release("cam", T0, late))
    assert code == n.CONFLICT


# --- roles ----------------------------------------------------------------------------------

def test_roles_are_enforced_with_the_missing_role_named(pk, artifacts):
    m = cbor2.dumps(manifest([a[1] for a in artifacts]))
    code, msg = code_of(lambda: pk.register("ann", T0, m))
    assert code == n.DENIED and "needs the role engineer" in msg and "'ann'" in msg
    pid = pk.register("eve", T0, m)
    for call, need in [(lambda: pk.verify_file("cam", T0, pid, "bcm_app.hex", artifacts[0][0]), "engineer"),
                       (lambda: pk.validate("gus", T0, pid), "engineer"),
                       (lambda: pk.approve("cam", T0, pid), "approver"),
                       (lambda: pk.release("eve", T0, pid), "approver or campaign-manager"),
                       (lambda: pk.withdraw("gus", T0, pid, "x"), "approver or campaign-manager"),
                       (lambda: pk.approve("nobody", T0, pid), "approver")]:
        code, msg = code_of(call)
        assert code == n.DENIED and f"needs the role {need}" in msg, msg


def test_grant_revoke_and_the_last_admin(store):
    GRANTS.validate_cbor(roles.roles(store, "root"))
    assert cbor2.loads(roles.roles(store, "eve")) == [{"role": "engineer", "granted-by": "root", "granted-at": T0}]
    assert cbor2.loads(roles.roles(store, "root"))[0]["granted-by"] == ""
    assert cbor2.loads(roles.roles(store, "stranger")) == []
    code, msg = code_of(lambda: roles.grant(store, "eve", T0, "eve", "approver"))
    assert code == n.DENIED and "needs the role admin" in msg
    code, msg = code_of(lambda: roles.grant(store, "root", T0, "eve", "engineer"))
    assert code == n.CONFLICT and "already holds" in msg
    code, msg = code_of(lambda: roles.grant(store, "root", T0, "eve", "superuser"))
    assert code == n.BADINPUT and "'campaign-manager'" in msg
    code, _ = code_of(lambda: roles.revoke(store, "root", T0, "eve", "approver"))
    assert code == n.NOTFOUND
    code, msg = code_of(lambda: roles.revoke(store, "root", T0, "root", "admin"))
    assert code == n.CONFLICT and "last admin" in msg
    roles.grant(store, "root", T0 + 1, "ada", "admin")
    roles.grant(store, "ada", T0 + 1, "eve", "approver")
    roles.revoke(store, "root", T0 + 2, "root", "admin")
    code, _ = code_of(lambda: roles.grant(store, "root", T0, "x", "engineer"))
    assert code == n.DENIED
    code, msg = code_of(lambda: roles.revoke(store, "ada", T0, "ada", "admin"))
    assert code == n.CONFLICT
    got = cbor2.loads(roles.roles(store, "eve"))
    GRANTS.validate_cbor(roles.roles(store, "eve"))
    assert [g["role"] for g in got] == ["approver", "engineer"]
    audit = [(e["action"], e["actor"], e["subject"]) for e in cbor2.loads(store.audit_list())]
    assert ("role.revoke", "root", "actor:root") in audit and ("role.grant", "ada", "actor:eve") in audit


# --- list -----------------------------------------------------------------------------------

def test_list_filters_and_order(pk, artifacts):
    files = [a[1] for a in artifacts]
    a = pk.register("eve", T0, cbor2.dumps(manifest(files, version="1", to="1")))
    b = pk.register("eve", T0, cbor2.dumps(manifest(files, version="2", to="2", ecu="ABS", models=["Comet"])))
    c = pk.register("eve", T0, cbor2.dumps(manifest(files, version="3", to="3", models=["Comet", "Aurora"])))
    pk.withdraw("ann", T0, c, "dup")

    def ids(flt=None):
        raw = pk.list(cbor2.dumps(flt) if flt is not None else None)
        LIST.validate_cbor(raw)
        if flt is not None:
            FILTER.validate_cbor(cbor2.dumps(flt))
        return [p["id"] for p in cbor2.loads(raw)]

    assert ids() == [a, b, c] and ids({}) == [a, b, c]
    assert ids({"ecu": "BCM"}) == [a, c]
    assert ids({"model": "Comet"}) == [b, c]
    assert ids({"state": "withdrawn"}) == [c]
    assert ids({"ecu": "BCM", "model": "Comet", "state": "draft"}) == []
    summary = cbor2.loads(pk.list(cbor2.dumps({"ecu": "ABS"})))[0]
    assert summary == {"id": b, "name": "BCM-app", "version": "2", "ecu": "ABS", "to": "2",
                       "category": "bugfix", "release-type": "routine", "release-counter": 7,
                       "state": "draft"}
    for bad, part in [({"state": "gone"}, "state: 'gone' is not one of"), ({"vin": "x"}, "vin: unknown key"),
                      ([1], "expected a map")]:
        code, msg = code_of(lambda: pk.list(cbor2.dumps(bad)))
        assert code == n.BADINPUT and part in msg


def test_state_survives_reopening(db_path, artifacts):
    with Store(db_path, bootstrap_admin="root", now=T0) as s:
        roles.grant(s, "root", T0, "eve", "engineer")
        pid = Packages(s).register("eve", T0, cbor2.dumps(manifest([a[1] for a in artifacts])))
    with Store(db_path) as s:
        assert cbor2.loads(Packages(s).get(pid))["manifest"]["name"] == "BCM-app"
        assert s.audit_verify()[1] == 0


def test_signature_documents_match_their_schemas(pk, artifacts):
    pid = verified_package(pk, artifacts)
    pk.validate("eve", T0, pid)
    pk.approve("ann", T0, pid)
    protected, _, payload, _ = cbor2.loads(pk.signature(pid)).value
    schema("cose-protected").validate_cbor(protected)
    MANIFEST.validate_cbor(payload)
    schema("cose-sign1").validate_cbor(pk.signature(pid))
