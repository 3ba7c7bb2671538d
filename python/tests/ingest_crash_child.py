"""The child of test_ingest_crash.py: ingests batches into the store at argv[1] forever and
prints each batch's number after ota_status_ingest_batch returned OTA_OK (flushed at once),
until its parent kills it. Batch k holds one report with seq k from every vehicle."""
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import cbor2  # noqa: E402

from libota.status import Status, topic  # noqa: E402
from libota.store import Store  # noqa: E402
from status_setup import NOTIFIED, report, vin  # noqa: E402

path, vehicles = sys.argv[1], int(sys.argv[2])
con = sqlite3.connect(path)
start = (con.execute("SELECT max(seq) FROM status_reports").fetchone()[0] or 0) + 1
con.close()
with Store(path) as s:
    st = Status(s)
    k = start
    while True:
        batch = cbor2.dumps([[topic(vin(i)), report(i, k, "downloading", progress=k % 101)] for i in range(vehicles)])
        st.ingest_batch("gw", NOTIFIED + k, batch)
        sys.stdout.write(f"{k}\n")
        sys.stdout.flush()
        k += 1
