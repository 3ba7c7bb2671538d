"""Crash durability of status ingestion: a child process ingesting batches is killed with
SIGKILL at random moments (over 100 times). After each kill the store reopens, every batch
the child had been told was stored (it prints the batch number after OTA_OK) is there,
PRAGMA integrity_check is ok and the audit chain verifies."""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from libota.store import Store
from status_setup import running_campaign

CHILD = Path(__file__).resolve().parent / "ingest_crash_child.py"
KILLS = 110
VEHICLES = 5
QUOTA = 1000  # reports kept per target (design §6): later ones are refused as `quota`


def test_killed_ingestion_loses_nothing_it_confirmed(db_path):
    running_campaign(db_path, count=VEHICLES).close()
    rnd = random.Random(1234)
    env = dict(os.environ)
    confirmed = 0
    for kill in range(KILLS):
        child = subprocess.Popen([sys.executable, str(CHILD), db_path, str(VEHICLES)], stdout=subprocess.PIPE,
                                 env=env)
        # wait for the child to be ingesting (its first confirmed batch), then a random moment
        first = child.stdout.readline()
        assert first, f"child {kill} died before ingesting"
        time.sleep(rnd.uniform(0, 0.03))
        child.send_signal(signal.SIGKILL)
        out = first + child.stdout.read()
        child.wait()
        lines = out.decode().split("\n")
        done = [int(x) for x in lines[:-1]]     # the last piece may be cut mid-line
        assert done, "no batch confirmed"
        confirmed = max(confirmed, done[-1])
        # the store opens again, intact, with every confirmed batch
        with Store(db_path) as s:
            entries, _ = s.audit_verify()
            assert entries > 0
        con = sqlite3.connect(db_path)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = con.execute("SELECT count(*) FROM status_reports WHERE seq BETWEEN 1 AND ?", (confirmed,)).fetchone()[0]
        assert kept == min(confirmed, QUOTA) * VEHICLES, \
            f"after kill {kill}: batches 1..{confirmed} confirmed, {kept} reports kept"
        batches = con.execute("SELECT count(*) FROM audit WHERE action = 'status.ingest'").fetchone()[0]
        assert batches >= confirmed
        con.close()
    assert confirmed >= KILLS
