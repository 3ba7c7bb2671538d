#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets to fuzz/corpus/<target>/: small valid documents
(and a few near-misses) in several encodings, matching the fixed documents of fuzz_common.h
(VINs, ECU nodes, package ids 1 and 2, campaign 1). Deterministic: rerunning it rewrites the
same files. Usage: python3 fuzz/gen_corpus.py [outdir]   (needs cbor2)"""
import hashlib
import os
import struct
import sys

import cbor2

VIN1, VIN2, VIN3 = "WVWZZZ1KZAW000001", "WVWZZZ1KZAW000002", "1M8GDM9AXKP042788"
NOW = 1780000000
CONTENT = b"BCM image\n"


def indefinite(obj):
    """The same item with every array, map and string in indefinite-length encoding."""
    if isinstance(obj, list):
        return b"\x9f" + b"".join(indefinite(x) for x in obj) + b"\xff"
    if isinstance(obj, dict):
        return b"\xbf" + b"".join(indefinite(k) + indefinite(v) for k, v in obj.items()) + b"\xff"
    if isinstance(obj, str) and len(obj) > 1:
        half = len(obj.encode()) // 2
        raw = obj.encode()
        return b"\x7f" + cbor2.dumps(raw[:half].decode("utf-8", "ignore")) + cbor2.dumps(raw[half:].decode("utf-8", "ignore")) + b"\xff"
    return cbor2.dumps(obj)


def wide(obj):
    """Integers in their widest (8-byte) head: another valid encoding of the same item."""
    if isinstance(obj, bool) or obj is None:
        return cbor2.dumps(obj)
    if isinstance(obj, int) and obj >= 0:
        return b"\x1b" + struct.pack(">Q", obj)
    if isinstance(obj, list):
        return bytes([0x98, len(obj)]) + b"".join(wide(x) for x in obj) if len(obj) < 256 else cbor2.dumps(obj)
    if isinstance(obj, dict):
        return bytes([0xb8, len(obj)]) + b"".join(wide(k) + wide(v) for k, v in obj.items())
    return cbor2.dumps(obj)


def vehicle(vin, market="DE", sw="1.0", extra=False):
    v = [vin, "Aster", "sedan", "petrol", market, 1700000000,
         [["BCM", "BCM-A", sw], ["GW", "GW-1", "3.1", None, "SN-7"]]]
    if extra:
        v += ["ENG-1", None, {"trim": "sport", "seats": 5, "tow": False}, 99]
    return v


def snapshots():
    plain = {0: 1, 1: NOW, 3: [vehicle(VIN1), vehicle(VIN2, "FR", "1.1"), vehicle(VIN3, "US", "2.0")]}
    table = {0: 1, 1: NOW, 2: ["BCM", "GW", "Aster"],
             3: [[VIN1, 2, "sedan", "petrol", "DE", 1700000000, [[0, "BCM-A", "1.0"], [1, "GW-1", "3.1"]],
                  "E", "C", {"trim": "sport", "seats": 5}]]}
    ext = {0: 1, 1: NOW, 3: [vehicle(VIN1, extra=True)], 9: "later key"}
    empty = {0: 1, 1: NOW, 3: []}
    yield "plain", cbor2.dumps(plain)
    yield "table", cbor2.dumps(table)
    yield "ext", cbor2.dumps(ext)
    yield "empty", cbor2.dumps(empty)
    yield "indefinite", indefinite(plain)
    yield "wide", wide(table)
    yield "bad-vin", cbor2.dumps({0: 1, 1: NOW, 3: [vehicle("WVWZZZ1KZAW00000I")]})
    yield "bad-index", cbor2.dumps({0: 1, 1: NOW, 2: ["BCM"], 3: [[VIN1, 7, "s", "p", "DE", 1, [[0, "H", "1"]]]]})
    yield "version-2", cbor2.dumps({0: 2, 1: NOW, 3: []})


RULE = {"ecu": "BCM", "hw": ["BCM-A"], "from": ["1.0", "1.1"], "to": "2.0"}


def rules():
    yield "minimal", cbor2.dumps({"ecu": "BCM"})
    yield "basic", cbor2.dumps(RULE)
    yield "every-key", cbor2.dumps({
        "ecu": "BCM", "hw": ["BCM-A", "BCM-B"], "from": ["1.0"], "to": "2.0", "models": ["Aster"],
        "variants": ["sedan"], "powertrains": ["petrol"], "markets": ["DE", "US"],
        "produced": [0, 2000000000], "vins": [VIN1, VIN3], "exclude-vins": [VIN2],
        "attributes": {"trim": "sport", "seats": 5, "tow": False},
        "requires": [["GW", ["3.1", "3.0"]]]})
    yield "indefinite", indefinite({"ecu": "GW", "from": ["3.0"], "requires": [["BCM", ["1.0"]]]})
    yield "bad-produced", cbor2.dumps({"ecu": "BCM", "produced": [5, 1]})
    yield "unknown-key", cbor2.dumps({"ecu": "BCM", "colour": ["red"]})


def manifest(name="BCM", version="2.0", counter=1, **over):
    m = {"name": name, "version": version, "ecu": name, "category": "bugfix", "release-type": "routine",
         "issue": "door unlock", "protocol": "CAN", "powertrains": ["petrol"], "models": ["Aster"],
         "hw": ["BCM-A"], "from": ["1.0"], "to": version,
         "files": [{"name": "bcm.bin", "size": len(CONTENT), "sha256": hashlib.sha256(CONTENT).digest(),
                    "uri": "s3://ota/bcm.bin"}],
         "release-notes": "Fixed.", "release-counter": counter}
    m.update(over)
    return m


def manifests():
    yield "basic", cbor2.dumps(manifest())
    yield "requires", cbor2.dumps(manifest("ABS", "0.9.1", 7, requires=[["GW", ["3.1"]]], category="recall",
                                           **{"release-type": "critical", "protocol": "CAN-FD"}))
    yield "two-files", cbor2.dumps(manifest(files=[
        {"name": "a.bin", "size": 1, "sha256": bytes(32), "uri": "s3://b/a"},
        {"name": "b.bin", "size": 2**40, "sha256": bytes(range(32)), "uri": "https://x/b"}]))
    yield "indefinite", indefinite(manifest("TCU", "5.0", 3))
    yield "short-sha", cbor2.dumps(manifest(files=[{"name": "a", "size": 1, "sha256": b"x" * 16, "uri": "s3://b/a"}]))
    yield "canonical", cbor2.dumps(manifest("IVI", "1.2", 2), canonical=True)


def spec(**over):
    s = {"name": "BCM fix", "category": "bugfix", "packages": [1], "test": True, "urgency": "immediate",
         "end": NOW + 90 * 86400, "waves": [{"share": 100, "success-gate": 50, "failure-threshold": 50}],
         "timeouts": {"answer": 86400, "install": 86400}}
    s.update(over)
    return s


def specs():
    yield "basic", cbor2.dumps(spec())
    yield "half-float", cbor2.dumps(spec(waves=[{"success-gate": 100, "failure-threshold": 0.25}]))
    yield "full", cbor2.dumps(spec(
        packages=[2, 1], priority=900, test=False, **{"after-test": 1}, urgency="scheduled",
        start=NOW + 3600, rule={"models": ["Aster"], "markets": ["DE", "FR"], "produced": [0, 2000000000],
                                "attributes": {"trim": "sport"}, "exclude-vins": [VIN3]},
        regions={"EU": ["DE", "FR"], "NA": ["US"]},
        waves=[{"count": 1, "success-gate": 90, "failure-threshold": 5, "min-final": 1, "soak": 3600,
                "advance": "manual"},
               {"share": 50.5, "success-gate": 95.25, "failure-threshold": 2}, {"success-gate": 0, "failure-threshold": 100}],
        rate={"per-minute": 100, "ramp": {"factor": 1.5, "every": 10}},
        windows=[{"regions": ["EU"], "days": [0, 1, 2, 3, 4], "start": 120, "minutes": 240, "utc-offset": 60}],
        notify={"reminder": 3600, "max-deferrals": 2, "feedback-on-decline": True, "mandatory-after-deferrals": False},
        retry={"max": 3, "backoff": 600, "factor": 2, "reasons": ["download", "timeout"]},
        seed=42, contacts={"on-failure": ["ops@example.com"], "on-pause": ["lead@example.com"]}))
    yield "tag1-time", cbor2.dumps(spec(end=cbor2.CBORTag(1, NOW + 86400)))
    yield "indefinite", indefinite(spec())
    yield "bad-share", cbor2.dumps(spec(waves=[{"share": 101, "success-gate": 50, "failure-threshold": 50}]))
    yield "unknown-package", cbor2.dumps(spec(packages=[99]))


def report(vin=VIN1, seq=1, state="received", **over):
    r = {"vin": vin, "campaign": 1, "seq": seq, "state": state}
    r.update(over)
    return r


def ecus(sw="2.0"):
    return [{"node": "BCM", "slot": 0, "hw": "BCM-A", "sw": sw}]


def reports():
    """(topic selector byte, report) pairs: status_report's input is the byte, then the report."""
    yield "received", 0, cbor2.dumps(report())
    yield "accepted", 0, cbor2.dumps(report(seq=2, state="accepted", time=NOW))
    yield "downloading", 1, cbor2.dumps(report(VIN2, 3, "downloading", progress=40))
    yield "installed", 0, cbor2.dumps(report(seq=9, state="installed", ecus=ecus()))
    yield "failed", 1, cbor2.dumps(report(VIN2, 4, "failed", reason="download", code=-17))
    yield "rolled-back", 0, cbor2.dumps(report(seq=5, state="rolled-back", reason="install", ecus=ecus("1.0")))
    yield "declined", 0, cbor2.dumps(report(seq=6, state="declined", feedback="not now"))
    yield "topic-mismatch", 2, cbor2.dumps(report())
    yield "indefinite", 0, indefinite(report(seq=7, state="deferred"))
    # a COSE_Sign1 around a report (the signature is not checked: the vehicle has no key)
    payload = cbor2.dumps(report(seq=8, state="downloaded"))
    yield "cose", 0, cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -8}), {4: b"car"}, payload, bytes(64)]))


def batches():
    topic = lambda vin: f"ota/v1/vehicles/{vin}/status"
    yield "one", cbor2.dumps([[topic(VIN1), cbor2.dumps(report())]])
    yield "sequence", cbor2.dumps([[topic(VIN1), cbor2.dumps(report(seq=i, state=s))]
                                   for i, s in enumerate(["received", "accepted", "downloading", "downloaded"], 1)])
    yield "mixed", cbor2.dumps([[topic(VIN2), cbor2.dumps(report(VIN2, 1, "declined"))],
                                [topic(VIN1), cbor2.dumps(report(seq=2, state="installed", ecus=ecus()))],
                                ["bad", b"\xff"], 7, [topic(VIN3), cbor2.dumps(report(VIN3))]])
    yield "empty", cbor2.dumps([])
    yield "indefinite", indefinite([[topic(VIN1), cbor2.dumps(report(seq=3, state="accepted"))]])


def write(outdir, target, name, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    snaps = list(snapshots())
    rls = list(rules())
    for name, data in snaps:
        write(out, "resolve_snapshot", name, data)
    for name, data in rls:
        write(out, "target_rule", name, data)
    for (sn, sd) in snaps[:6]:
        for (rn, rd) in rls[:4]:
            write(out, "resolve_split", f"{rn}+{sn}", struct.pack(">H", len(rd)) + rd + sd)
    for name, data in manifests():
        write(out, "package_manifest", name, data)
    for name, data in specs():
        write(out, "campaign_spec", name, data)
    for name, sel, data in reports():
        write(out, "status_report", name, bytes([sel]) + data)
    for name, data in batches():
        write(out, "status_batch", name, data)


if __name__ == "__main__":
    main()
