"""Shared material of the product tests (Python API, CLI, dashboard): a small fleet, a package
with a real file, a campaign spec, and a store with its people."""
import hashlib
import json
from pathlib import Path

import cbor2
import pytest

import libota

T0 = 1_767_225_600            # 2026-01-01T00:00:00Z
SEED = bytes(range(1, 33))
KID = "release-key-1"
MARKETS = ["DE", "FR", "IT", "JP"]   # no check digit outside North America and China
MODELS = ["Aurora", "Boreal"]
PEOPLE = [("erin", "engineer"), ("abe", "approver"), ("cam", "campaign-manager"), ("gus", "gateway")]

needs_campaigns = pytest.mark.skipif(not libota.has("ota_campaign_create"),
                                     reason="this libota has no campaign API yet (design section 9)")


def vin(i):
    return f"WLT{i:014d}"[:17]


def fleet_snapshot(n=40, taken=T0, sw=lambda i: "2.4.0"):
    """n vehicles, each with a BCM (hw A on three of four) and an ABS."""
    vehicles = []
    for i in range(n):
        ecus = [["BCM", "BCM-HW-A" if i % 4 else "BCM-HW-Z", sw(i), "CAL-1", f"SN{i:06d}"],
                ["ABS", "ABS-9", "7.1"]]
        vehicles.append([vin(i), MODELS[i % 2], "comfort", "electric", MARKETS[i % 4], T0 - 86400 * 30, ecus,
                         None, None, {"tow-hitch": i % 3 == 0}])
    return cbor2.dumps({0: 1, 1: taken, 3: vehicles})


def targeted(n):
    """The VINs the package reaches in fleet_snapshot(n): hw A, on 2.4.0."""
    return [vin(i) for i in range(n) if i % 4]


def package_file(tmp_path, name="bcm-2.5.0.bin"):
    content = bytes(range(256)) * 64
    path = Path(tmp_path) / name
    path.write_bytes(content)
    return path, {"name": name, "size": len(content), "sha256": hashlib.sha256(content).digest(),
                  "uri": f"s3://oem-ota/bcm/2.5.0/{name}"}


def manifest(entry, **over):
    m = {"name": "bcm-comfort", "version": "2.5.0", "ecu": "BCM", "category": "bugfix",
         "release-type": "routine", "issue": "Interior lights stay on after locking", "protocol": "CAN-FD",
         "powertrains": ["electric"], "models": MODELS, "hw": ["BCM-HW-A"], "from": ["2.4.0"], "to": "2.5.0",
         "files": [entry], "release-notes": "Fixes the light timer.", "release-counter": 7}
    m.update(over)
    return m


def manifest_json(entry, **over):
    """The manifest as JSON text (sha256 as hex), as an operator would write it."""
    m = manifest(dict(entry, sha256=entry["sha256"].hex()), **over)
    return json.dumps(m, indent=2)


def campaign_spec(pid, **over):
    spec = {"name": "BCM comfort fix", "category": "bugfix", "packages": [pid], "urgency": "immediate",
            "end": T0 + 30 * 86400,
            "waves": [{"share": 20, "success-gate": 50, "failure-threshold": 50, "min-final": 1},
                      {"share": 80, "success-gate": 90, "failure-threshold": 50}],
            "timeouts": {"answer": 2 * 86400, "install": 86400}}
    spec.update(over)
    return spec


def people(store):
    for who, role in PEOPLE:
        store.grant(who, role, actor="root", now=T0)


def released_package(store, tmp_path, **over):
    """A package registered by erin, verified, validated, approved by abe, released."""
    path, entry = package_file(tmp_path)
    pkg = store.packages.register(manifest(entry, **over), actor="erin", now=T0 + 10)
    pkg.verify_file(entry["name"], path, actor="erin", now=T0 + 11)
    pkg.validate(actor="erin", now=T0 + 12)
    store.set_signing_key(SEED, KID)
    pkg.approve(actor="abe", now=T0 + 13)
    pkg.release(actor="abe", now=T0 + 14)
    return pkg


def installed_report(v, campaign, seq, sw="2.5.0", hw="BCM-HW-A"):
    return {"vin": v, "campaign": campaign, "seq": seq, "time": T0, "state": "installed",
            "ecus": [{"node": "BCM", "slot": 0, "hw": hw, "sw": sw}]}


def report(v, campaign, seq, state, **extra):
    r = {"vin": v, "campaign": campaign, "seq": seq, "time": T0, "state": state}
    r.update(extra)
    return r


def status_topic(v):
    return f"ota/v1/vehicles/{v}/status"
