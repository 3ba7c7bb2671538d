"""The `libota` command, driven as operators and scripts drive it: a subprocess
(python -m libota.cli) on a real store file, checking output, one-line errors and exit codes."""
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import cbor2
import pytest

import libota

from product_support import (KID, SEED, T0, campaign_spec, fleet_snapshot, installed_report, manifest_json,
                             needs_campaigns, package_file, report, status_topic, targeted, vin)

PYDIR = Path(__file__).resolve().parents[1]


def run(*args, check=None, db=None, actor=None, now=None, input=None):
    """Runs `libota [--db] [--actor] [--now] args...`; check=0/1/2 asserts the exit code."""
    cmd = [sys.executable, "-m", "libota.cli"]
    if db:
        cmd += ["--db", str(db)]
    if actor:
        cmd += ["--actor", actor]
    if now is not None:
        cmd += ["--now", str(now)]
    env = dict(os.environ, PYTHONPATH=str(PYDIR) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("LIBOTA_DB", None)
    env.pop("LIBOTA_ACTOR", None)
    p = subprocess.run(cmd + [str(a) for a in args], capture_output=True, text=True, env=env, input=input,
                       timeout=120)
    if check is not None:
        assert p.returncode == check, f"exit {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}"
    return p


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "ota.db"
    run("init", "root", db=path, now=T0, check=0)
    for who, role in [("erin", "engineer"), ("abe", "approver"), ("cam", "campaign-manager"), ("gus", "gateway")]:
        run("grant", who, role, db=path, actor="root", now=T0, check=0)
    return path


@pytest.fixture
def seed_file(tmp_path):
    p = tmp_path / "release.seed"
    p.write_bytes(SEED)
    return p


@pytest.fixture
def fleet_file(tmp_path):
    p = tmp_path / "fleet.cbor"
    p.write_bytes(fleet_snapshot(40))
    return p


def register_released(db, tmp_path, seed_file):
    path, entry = package_file(tmp_path)
    mf = tmp_path / "bcm.json"
    mf.write_text(manifest_json(entry))
    out = run("package", "register", mf, db=db, actor="erin", now=T0 + 10, check=0).stdout
    pid = int(out.split("package ")[1].split(":")[0])
    run("package", "verify", pid, entry["name"], path, db=db, actor="erin", now=T0 + 11, check=0)
    run("package", "validate", pid, db=db, actor="erin", now=T0 + 12, check=0)
    run("package", "approve", pid, "--signing-seed", seed_file, "--kid", KID, db=db, actor="abe", now=T0 + 13, check=0)
    run("package", "release", pid, db=db, actor="abe", now=T0 + 14, check=0)
    return pid


# -- help and usage -----------------------------------------------------------------------

COMMANDS = [[], ["init"], ["grant"], ["revoke"], ["roles"], ["audit"], ["audit", "verify"], ["audit", "list"],
            ["fleet"], ["fleet", "import"], ["fleet", "export"], ["vehicle"], ["vehicle", "show"],
            ["vehicle", "set-key"], ["package"]]
COMMANDS += [["package", a] for a in ("register", "verify", "validate", "approve", "release", "withdraw", "show", "list")]
COMMANDS += [["campaign"]] + [["campaign", a] for a in ("create", "validate", "approve", "start", "pause", "resume",
                                                         "abort", "step", "show", "list", "stats", "vehicles")]
COMMANDS += [["test-fleet", "add"], ["test-fleet", "remove"], ["report"]]


@pytest.mark.parametrize("words", COMMANDS, ids=lambda w: " ".join(w) or "libota")
def test_every_command_has_help(words):
    p = run(*words, "--help", check=0)
    assert p.stdout.startswith("usage: " + " ".join(["libota"] + words) + " ")
    assert p.stderr == ""


def test_usage_errors_exit_2_with_one_message(tmp_path):
    p = run(check=2)
    assert "libota: error:" in p.stderr
    p = run("package", "show", "seven", db=tmp_path / "x.db", check=2)
    assert "expected an id" in p.stderr
    p = run("bogus", db=tmp_path / "x.db", check=2)
    assert "invalid choice" in p.stderr
    p = run("campaign", "stats", "1", check=2)   # no --db
    assert "--db FILE is required" in p.stderr


def test_changing_commands_need_an_actor(db):
    p = run("grant", "zoe", "engineer", db=db, check=2)
    assert "--actor" in p.stderr and "grant" in p.stderr


def test_a_missing_store_is_not_created(tmp_path):
    p = run("package", "list", db=tmp_path / "typo.db", check=1)
    assert p.stderr.startswith("libota: OTA_NOTFOUND: ") and len(p.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "typo.db").exists()


def test_libota_errors_are_one_line_with_the_code_name(db):
    p = run("grant", "root", "admin", db=db, actor="root", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_CONFLICT: ") and p.stderr.count("\n") == 1
    p = run("grant", "zoe", "engineer", db=db, actor="erin", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_DENIED: ")
    p = run("vehicle", "show", "WLT00000000000099", db=db, check=1)
    assert p.stderr.startswith("libota: OTA_NOTFOUND: ")


# -- store, roles, audit, fleet -------------------------------------------------------------

def test_init_on_a_store_with_an_admin_names_no_other(db):
    assert run("init", "root", db=db, now=T0 + 1, check=0).stdout.startswith(f"store {db}: schema ")
    p = run("init", "mallory", db=db, now=T0 + 1, check=1)
    assert p.stderr.startswith("libota: OTA_CONFLICT: ") and "mallory is not one" in p.stderr
    assert json.loads(run("--json", "roles", "mallory", db=db, check=0).stdout) == []


def test_ids_and_times_beyond_int64_are_refused_not_wrapped(db):
    p = run("package", "show", 2**64 + 1, db=db, check=1)         # would name package 1
    assert p.stderr.startswith("libota: OTA_BADINPUT: ") and "outside int64_t" in p.stderr
    p = run("grant", "bob", "approver", db=db, actor="root", now=2**64 + T0, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: ")
    assert json.loads(run("--json", "roles", "bob", db=db, check=0).stdout) == []
    p = run("audit", "list", "--after", 2**64, db=db, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: ")


def test_init_roles_and_audit(db):
    out = run("roles", "erin", db=db, check=0).stdout
    assert "engineer" in out and "root" in out
    data = json.loads(run("--json", "roles", "erin", db=db, check=0).stdout)
    assert data == [{"role": "engineer", "granted-by": "root", "granted-at": T0}]
    out = run("audit", "verify", db=db, check=0).stdout
    assert out.startswith("audit trail intact: 5 entries")
    listed = run("audit", "list", db=db, check=0).stdout
    assert "role.bootstrap" in listed and listed.count("role.grant") == 4
    run("revoke", "gus", "gateway", db=db, actor="root", now=T0 + 1, check=0)
    assert json.loads(run("--json", "roles", "gus", db=db, check=0).stdout) == []


def test_audit_verify_names_a_tampered_entry(db):
    import sqlite3
    con = sqlite3.connect(db)
    try:
        con.execute("DROP TRIGGER IF EXISTS audit_no_update")
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit'").fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 3")
        con.commit()
    except sqlite3.Error as e:
        pytest.skip(f"cannot tamper with this schema: {e}")
    finally:
        con.close()
    p = run("audit", "verify", db=db, check=1)
    assert p.stderr.startswith("libota: OTA_CORRUPT: ") and "3" in p.stderr


def test_fleet_import_with_progress_bar_export_and_vehicle(db, fleet_file, tmp_path):
    p = run("fleet", "import", fleet_file, db=db, actor="erin", now=T0 + 1, check=0)
    assert "imported 40 vehicles" in p.stdout and "40 added" in p.stdout
    assert "writing  [###" in p.stderr and "100.0%  40/40 vehicles" in p.stderr
    p = run("fleet", "import", fleet_file, "--no-progress", db=db, actor="erin", now=T0 + 2, check=0)
    assert p.stderr == "" and "40 unchanged" in p.stdout
    summary = json.loads(run("--json", "fleet", "import", fleet_file, "--no-progress", db=db, actor="erin",
                             now=T0 + 3, check=0).stdout)
    assert summary["unchanged"] == 40

    out = tmp_path / "export.cbor"
    p = run("fleet", "export", out, db=db, now=T0 + 5, check=0)
    assert "exported" in p.stdout
    snap = cbor2.loads(out.read_bytes())
    assert snap[1] == T0 + 5 and len(snap[3]) == 40

    # a later snapshot updates vehicle 1's BCM: its history grows
    later = tmp_path / "later.cbor"
    later.write_bytes(fleet_snapshot(40, taken=T0 + 86400, sw=lambda i: "2.5.0" if i == 1 else "2.4.0"))
    run("fleet", "import", later, "--no-progress", db=db, actor="erin", now=T0 + 86400, check=0)
    shown = run("vehicle", "show", vin(1), db=db, check=0).stdout
    assert shown.startswith(vin(1)) and "market FR" in shown
    assert "BCM#0  hw BCM-HW-A  sw 2.5.0" in shown
    history = [line for line in shown.splitlines() if line.startswith("      ")]
    assert len(history) == 3 and "sw 2.4.0" in history[0] and "sw 2.5.0" in history[1]
    assert "2026-01-02T00:00:00Z" in history[1]
    doc = json.loads(run("--json", "vehicle", "show", vin(1), db=db, check=0).stdout)
    assert [h["sw"] for h in doc["ecus"][0]["history"]] == ["2.4.0", "2.5.0"]


def test_fleet_import_errors(db, tmp_path):
    bad = tmp_path / "bad.cbor"
    bad.write_bytes(b"\xa1\x00\x02")
    p = run("fleet", "import", bad, "--no-progress", db=db, actor="erin", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: ")
    p = run("fleet", "import", tmp_path / "none.cbor", db=db, actor="erin", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_IO: cannot read")


# -- packages ------------------------------------------------------------------------------

def test_package_lifecycle_from_json(db, tmp_path, seed_file):
    path, entry = package_file(tmp_path)
    mf = tmp_path / "bcm.json"
    mf.write_text(manifest_json(entry))
    p = run("package", "register", mf, db=db, actor="erin", now=T0 + 10, check=0)
    assert p.stdout.strip() == "registered package 1: bcm-comfort 2.5.0 (draft)"
    p = run("package", "validate", 1, db=db, actor="erin", now=T0 + 11, check=1)
    assert p.stderr.startswith("libota: OTA_CONFLICT: ") and entry["name"] in p.stderr
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"not the file")
    p = run("package", "verify", 1, entry["name"], wrong, db=db, actor="erin", now=T0 + 12, check=1)
    assert p.stderr.startswith("libota: OTA_CORRUPT: ")
    p = run("package", "verify", 1, entry["name"], path, db=db, actor="erin", now=T0 + 13, check=0)
    assert f"matches ({entry['size']:,} bytes, sha256 {entry['sha256'].hex()})" in p.stdout
    run("package", "validate", 1, db=db, actor="erin", now=T0 + 14, check=0)
    p = run("package", "approve", 1, db=db, actor="abe", now=T0 + 15, check=1)
    assert p.stderr.startswith("libota: OTA_MISUSE: ")   # no signing key on the handle
    p = run("package", "approve", 1, "--signing-seed", seed_file, db=db, actor="erin", now=T0 + 15, check=1)
    assert p.stderr.startswith("libota: OTA_DENIED: ")
    p = run("package", "approve", 1, "--signing-seed", seed_file, "--kid", KID, db=db, actor="abe",
            now=T0 + 16, check=0)
    assert p.stdout.strip() == "package 1: approved"
    run("package", "release", 1, db=db, actor="abe", now=T0 + 17, check=0)
    shown = run("package", "show", 1, db=db, check=0).stdout
    assert shown.startswith("package 1: bcm-comfort 2.5.0  [released]")
    assert f"sha256 {entry['sha256'].hex()}  match by erin" in shown
    assert f"kid {KID}" in shown
    assert [line.split()[1:] for line in shown.splitlines() if line.split()[1:2] == ["released"]] == [["released", "abe"]]
    info = json.loads(run("--json", "package", "show", 1, db=db, check=0).stdout)
    assert info["state"] == "released" and info["manifest"]["files"][0]["sha256"] == entry["sha256"].hex()
    listed = run("package", "list", db=db, check=0).stdout.splitlines()
    assert listed[0].split() == ["id", "name", "version", "ecu", "to", "category", "counter", "state"]
    assert listed[2].split() == ["1", "bcm-comfort", "2.5.0", "BCM", "2.5.0", "bugfix", "7", "released"]
    assert run("package", "list", "--state", "draft", db=db, check=0).stdout.count("\n") == 2
    p = run("package", "withdraw", 1, "field issue", db=db, actor="abe", now=T0 + 18, check=0)
    assert p.stdout.strip() == "package 1: withdrawn"


def test_package_register_cbor_and_bad_json(db, tmp_path):
    path, entry = package_file(tmp_path)
    from product_support import manifest
    cb = tmp_path / "bcm.cbor"
    cb.write_bytes(cbor2.dumps(manifest(entry)))
    run("package", "register", cb, db=db, actor="erin", now=T0, check=0)
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "x",}')
    p = run("package", "register", bad, db=db, actor="erin", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: ") and "line 1" in p.stderr
    badhex = tmp_path / "badhex.json"
    badhex.write_text(json.dumps({"files": [{"sha256": "zz"}]}))
    p = run("package", "register", badhex, db=db, actor="erin", now=T0, check=1)
    assert "files[0].sha256: expected hex" in p.stderr
    dup = run("package", "register", cb, db=db, actor="erin", now=T0, check=1)
    assert dup.stderr.startswith("libota: OTA_CONFLICT: ")
    incomplete = tmp_path / "incomplete.json"
    incomplete.write_text(json.dumps({"name": "x"}))
    p = run("package", "register", incomplete, db=db, actor="erin", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: manifest has")


def test_signing_seed_file_formats(db, tmp_path, seed_file):
    hexseed = tmp_path / "hex.seed"
    hexseed.write_text(SEED.hex() + "\n")
    path, entry = package_file(tmp_path)
    mf = tmp_path / "bcm.json"
    mf.write_text(manifest_json(entry))
    run("package", "register", mf, db=db, actor="erin", now=T0, check=0)
    run("package", "verify", 1, entry["name"], path, db=db, actor="erin", now=T0, check=0)
    run("package", "validate", 1, db=db, actor="erin", now=T0, check=0)
    short = tmp_path / "short.seed"
    short.write_bytes(b"\x00" * 16)
    p = run("package", "approve", 1, "--signing-seed", short, db=db, actor="abe", now=T0, check=1)
    assert p.stderr.startswith("libota: OTA_BADINPUT: the signing seed") and "16 bytes" in p.stderr
    run("package", "approve", 1, "--signing-seed", hexseed, db=db, actor="abe", now=T0, check=0)
    info = json.loads(run("--json", "package", "show", 1, db=db, check=0).stdout)
    with libota.Store(":memory:") as s:
        s.set_signing_key(SEED, "x")
        assert info["signature"]["public-key"] == s.signing_public_key().hex()
    assert info["signature"]["kid"] == "hex"    # default kid: the seed file's name


# -- campaigns -----------------------------------------------------------------------------

@needs_campaigns
def test_campaign_commands_end_to_end(db, tmp_path, seed_file, fleet_file):
    run("fleet", "import", fleet_file, "--no-progress", db=db, actor="erin", now=T0 + 1, check=0)
    pid = register_released(db, tmp_path, seed_file)
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(campaign_spec(pid)))
    p = run("campaign", "create", spec, db=db, actor="cam", now=T0 + 100, check=0)
    assert p.stdout.strip() == "created campaign 1 (draft)"
    p = run("campaign", "validate", 1, db=db, check=0)
    assert p.stdout.startswith(f"campaign 1: {len(targeted(40))} targets; 1 problem\n  problem: after-test: missing")
    assert "an admin may approve it without a test campaign first" in p.stdout
    p = run("campaign", "approve", 1, db=db, actor="cam", now=T0 + 101, check=1)
    assert p.stderr.startswith("libota: OTA_DENIED: ")
    assert run("campaign", "approve", 1, db=db, actor="root", now=T0 + 102, check=0).stdout.strip() == "campaign 1: approved"
    # what sends messages (events, offers) needs the signing key
    p = run("campaign", "start", 1, db=db, actor="cam", now=T0 + 103, check=1)
    assert p.stderr.startswith("libota: OTA_MISUSE: ")
    assert run("campaign", "start", 1, "--signing-seed", seed_file, "--kid", KID, db=db, actor="cam", now=T0 + 103,
               check=0).stdout.strip() == "campaign 1: running"
    p = run("campaign", "step", 1, "--signing-seed", seed_file, "--kid", KID, db=db, actor="cam", now=T0 + 104, check=0)
    assert p.stdout.startswith("running: notified ")
    step = json.loads(run("--json", "campaign", "step", "--all", "--signing-seed", seed_file, db=db, actor="cam",
                          now=T0 + 105, check=0).stdout)
    assert "next-due" in step

    # the vehicles report through the API (the gateway's job), the operator watches
    with libota.Store(str(db), actor="gus") as s:
        rows = list(s.campaigns.get(1).rows())
        notified = [r["vin"] for r in rows if r["state"] == "notified"]
        assert notified
        s.ingest_batch([(status_topic(v), installed_report(v, 1, 1)) for v in notified[:-1]], now=T0 + 200)
        s.ingest(status_topic(notified[-1]), report(notified[-1], 1, 1, "failed", reason="download", code=17),
                 now=T0 + 201)
        stats = s.stats(1, now=T0 + 300)

    shown = run("campaign", "show", 1, db=db, check=0).stdout
    assert shown.startswith("campaign 1: BCM comfort fix  [running]") and "author cam" in shown
    listed = run("campaign", "list", db=db, check=0).stdout.splitlines()
    assert listed[0].split()[:4] == ["id", "name", "category", "state"] and listed[2].split()[0] == "1"
    progress = json.loads(run("--json", "campaign", "list", db=db, check=0).stdout)[0]["progress"]
    assert progress > 1 and f"{float(progress):.2f}%" in listed[2]   # a percent, not basis points
    table = run("campaign", "stats", 1, db=db, now=T0 + 300, check=0).stdout
    assert table.startswith(f"campaign 1: running; {stats['targets']} targets")
    assert any(line.split() == ["succeeded", str(len(notified) - 1)] for line in table.splitlines())
    assert any(line.split() == ["download", "17", "1"] for line in table.splitlines())

    out = run("campaign", "vehicles", 1, "--csv", db=db, check=0).stdout
    got = list(csv.DictReader(io.StringIO(out)))
    assert list(got[0])[:9] == ["vin", "market", "model", "wave", "state", "reason", "code", "last-report", "retries"]
    assert len(got) == stats["targets"]
    assert sum(r["state"] == "succeeded" for r in got) == len(notified) - 1
    failed = [r for r in got if r["state"] == "failed"]
    assert [(r["vin"], r["reason"], r["code"]) for r in failed] == [(notified[-1], "download", "17")]
    only = list(csv.DictReader(io.StringIO(run("campaign", "vehicles", 1, "--state", "succeeded", "--csv",
                                               db=db, check=0).stdout)))
    assert {r["vin"] for r in only} == set(notified[:-1])

    html = tmp_path / "out.html"
    p = run("report", 1, "--html", html, db=db, now=T0 + 300, check=0)
    assert html.read_text().startswith("<!DOCTYPE html>") and "progress-chart" in html.read_text()

    sign = ["--signing-seed", seed_file, "--kid", KID]
    run("campaign", "pause", 1, *sign, db=db, actor="cam", now=T0 + 400, check=0)
    p = run("campaign", "pause", 1, *sign, db=db, actor="cam", now=T0 + 401, check=1)
    assert p.stderr.startswith("libota: OTA_CONFLICT: ") and "paused" in p.stderr
    run("campaign", "resume", 1, *sign, db=db, actor="cam", now=T0 + 402, check=0)
    p = run("campaign", "abort", 1, db=db, actor="cam", now=T0 + 403, check=2)   # --reason is required
    run("campaign", "abort", 1, "--reason", "done testing", *sign, db=db, actor="cam", now=T0 + 404, check=0)
    assert run("audit", "verify", db=db, check=0).returncode == 0


@needs_campaigns
def test_test_fleet_commands(db, fleet_file):
    run("fleet", "import", fleet_file, "--no-progress", db=db, actor="erin", now=T0 + 1, check=0)
    p = run("test-fleet", "add", vin(1), vin(2), db=db, actor="erin", now=T0 + 2, check=0)
    assert p.stdout.strip() == "test fleet: add 2 vehicles"
    run("test-fleet", "remove", vin(2), db=db, actor="erin", now=T0 + 3, check=0)


def test_campaign_commands_without_the_api_fail_cleanly(db):
    if libota.has("ota_campaign_create"):
        pytest.skip("this libota has the campaign API")
    p = run("campaign", "stats", 1, db=db, check=1)
    assert p.stderr.startswith("libota: OTA_MISUSE: ") and "ota_campaign_stats" in p.stderr
