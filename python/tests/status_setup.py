"""A store with a running campaign for the status tests: a fleet imported through the C API,
then a campaign, its notified targets and their counters written straight into the tables
(as approval and the first step would), so ingestion is tested on its own."""
import sqlite3

import cbor2

from libota import fleet, roles
from libota.store import Store

T0 = 1_800_000_000          # snapshot time
NOTIFIED = T0 + 1000        # when the targets were notified
CAMPAIGN = 1


def vin(i):
    return f"WVWZZZ1KZAW{i:06d}"


def snapshot(count, bcm="1.0", taken=T0):
    vehicles = [[vin(i), "Aster", "sedan", "petrol", ["DE", "FR"][i % 2], 1_700_000_000 + i,
                 [["BCM", "BCM-A", bcm], ["GW", "GW-1", "5.1"]]] for i in range(count)]
    return cbor2.dumps({0: 1, 1: taken, 3: vehicles})


def spec():
    return cbor2.dumps({
        "name": "BCM fix", "category": "bugfix", "packages": [1], "urgency": "immediate",
        "end": T0 + 90 * 86400,
        "waves": [{"share": 100, "success-gate": 50, "failure-threshold": 50}],
        "timeouts": {"answer": 86400, "install": 86400},
        "retry": {"max": 1, "backoff": 600, "factor": 2, "reasons": ["install"]},
    })


def running_campaign(path, count=6, flags=0):
    """Opens the store at path with root (admin), gw (gateway), eve (engineer), a fleet of
    `count` vehicles and campaign 1 running with every vehicle notified (BCM 1.0 -> 2.0)."""
    s = Store(path, bootstrap_admin="root", now=1, flags=flags)
    roles.grant(s, "root", 1, "gw", "gateway")
    roles.grant(s, "root", 1, "eve", "engineer")
    fleet.import_snapshot(s, "eve", T0, snapshot(count))
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN IMMEDIATE")
    con.execute("""INSERT INTO campaigns(id, name, category, priority, spec, state, author, created_at, seed,
                   end_at, targets, open_wave) VALUES(?, 'BCM fix', 'bugfix', 500, ?, 'running', 'cam', 1, 7, ?, ?, 0)""",
                (CAMPAIGN, spec(), T0 + 90 * 86400, count))
    con.execute("INSERT INTO campaign_waves(campaign_id, idx, targets, opened) VALUES(?, 0, ?, ?)",
                (CAMPAIGN, count, NOTIFIED))
    markets = {}
    for i in range(count):
        vid, market = con.execute("SELECT id, market FROM vehicles WHERE vin = ?", (vin(i),)).fetchone()
        markets[market] = markets.get(market, 0) + 1
        cur = con.execute("""INSERT INTO targets(campaign_id, vehicle_id, vin, ord, wave, market, model, variant, state,
                             notified_at, first_offer_at, due)
                             VALUES(?, ?, ?, ?, 0, ?, 'Aster', 'sedan', 'notified', ?, ?, ?)""",
                          (CAMPAIGN, vid, vin(i), i, market, NOTIFIED, NOTIFIED, NOTIFIED + 86400))
        eid = con.execute("SELECT id FROM ecus WHERE vehicle_id = ? AND node = 'BCM'", (vid,)).fetchone()[0]
        con.execute("""INSERT INTO target_ecus(target_id, position, ecu_id, node, slot, hw, from_sw, to_sw)
                       VALUES(?, 0, ?, 'BCM', 0, 'BCM-A', '1.0', '2.0')""", (cur.lastrowid, eid))
    counts = [("state", "", "notified", count), ("wave", "0", "notified", count),
              ("model", "Aster/sedan", "notified", count)]
    counts += [("market", m, "notified", n) for m, n in markets.items()]
    con.executemany("INSERT INTO campaign_counts(campaign_id, dim, key, sub, n) VALUES(1, ?, ?, ?, ?)", counts)
    con.execute("INSERT INTO campaign_timeline(campaign_id, hour, notified) VALUES(1, ?, ?)", (NOTIFIED // 3600, count))
    con.execute("COMMIT")
    con.close()
    return s


def report(i, seq, state, **extra):
    r = {"vin": vin(i), "campaign": CAMPAIGN, "seq": seq, "time": T0 + seq, "state": state}
    r.update(extra)
    return cbor2.dumps(r)
