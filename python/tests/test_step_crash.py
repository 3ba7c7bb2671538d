"""Crash durability of stepping and outbox draining (issue 12): children that step campaigns,
drain the outbox and ingest the vehicles' answers are killed with SIGKILL at random moments
(seeded), over 300 times in all. After each kill (crash_world.World.check):
- the store reopens, PRAGMA integrity_check and foreign_key_check are clean, the audit chain
  verifies;
- every report a child was told was ingested (OTA_OK) is in status_reports;
- no outbox message is lost: an acknowledged id never comes back (nor does an id come back
  as another message); a fetched, unacknowledged one is still there, unless a newer message
  for the same vehicle and campaign superseded it (Outbox.post) and that one is in the
  outbox or acknowledged; an acknowledgement cut by the kill took all of its ids or none;
  and the next drainer fetches it again, oldest first;
- stepping's invariants hold: every campaign's counters equal a recount of its targets
  (CampaignCounters.recount, redone in SQL), a target's state, final flag, due and retries
  agree with the transition table and only move along it, the newest message each target
  was sent is its current offer (seq = message_seq), the clear of a final target or the
  cancel of an aborted campaign, an active campaign's next_due is not after a target's due,
  and every notification a step confirmed is counted.
The campaigns (one after another, each with the next BCM package) have three waves (a soak,
a manual gate), a ramped rate limit, maintenance windows per region, reminders, answer and
install timeouts and retries; 48 scripted vehicles accept, defer, decline, fail (retried or
not), go silent, report a wrong version or roll back (crash_world.SCRIPTS).

Seeded: CRASH_SEED=n (default 0) shifts every test's seed; the kill moments also depend on
the machine's timing, so no two runs are alike. The kill counts, and where the kills landed,
are in each test's report line (printed, and in every assertion message) and in a summary
line at the end of the module."""
import os
import random

import pytest

from crash_children import drainer, host_loop, ingester, run_and_kill, spawn, stepper
from crash_world import World

KILLS_HOST = 100      # the whole host loop in one child
KILLS_DRAIN = 100     # a drainer alone, the parent stepping
ROUNDS_TOGETHER = 40  # a stepper, a drainer and an ingester at once: 3 kills a round
CAP = 6               # steps that move time, per child (answers come a round later)
KILLS = {}


@pytest.fixture(scope="module", autouse=True)
def kill_summary(request):
    yield
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if tr and capture and KILLS:
        parts = ", ".join(f"{k} {v}" for k, v in KILLS.items())
        with capture.global_and_fixture_disabled():  # to the terminal even without -s
            tr.write_line(f"\ncrash durability (stepping, outbox): SIGKILLs {parts}; {sum(KILLS.values())} in all")


def world(db_path, tmp_path, seed, log):
    seed += int(os.environ.get("CRASH_SEED", "0"))
    w = World(db_path, tmp_path, random.Random(seed), log=f"{log} (seed {seed})")
    w.setup()
    return w


def finish(w, name, kills):
    """The last checks; returns the report line of the test (its kills and what was done)."""
    owed = w.final_drain()
    w.check("after the final drain")
    KILLS[name] = w.kills
    line = (f"{name}: {w.kills} SIGKILLs ({', '.join(f'{v} {k}' for k, v in sorted(w.moments.items()))}); "
            f"{w.steps_confirmed} steps confirmed, {owed} messages owed at the end fetched again; {w.stats}")
    assert w.kills >= kills, line
    assert w.stats["campaigns"] >= 2 and w.stats["notified"] > 0 and w.stats["timed-out"] > 0 \
        and w.stats["retried"] > 0 and w.stats["acked"] > 0, line
    return line


def test_killed_host_loop_loses_nothing(db_path, tmp_path):
    w = world(db_path, tmp_path, 12, "host loop")
    rnd = w.rnd
    for r in range(KILLS_HOST):
        batches = w.batches()
        (c,) = run_and_kill([spawn(host_loop, db_path, rnd.random(), w.now, batches, CAP)], rnd, 0.08, CAP + 1)
        w.settle(batches, w.absorb(c.lines, batches))
        w.killed(c.role, c.lines, batches)
        w.check(f"round {r}")
        w.manage()
    line = finish(w, "host loop", KILLS_HOST)
    assert w.moments.get("in a step", 0) >= KILLS_HOST // 4, line
    print(line)


def test_killed_drainer_loses_no_message(db_path, tmp_path):
    w = world(db_path, tmp_path, 34, "drainer")
    rnd = w.rnd
    for r in range(KILLS_DRAIN):
        w.parent_ingest()
        w.parent_step(rnd.randint(3, 8))
        head = w.outbox_head()
        (c,) = run_and_kill([spawn(drainer, db_path, rnd.random(), w.now, [], CAP)], rnd, 0.015)
        lines = c.lines
        # the first fetch of a new drainer returns the oldest pending messages, those the
        # previous drainers fetched and did not acknowledge among them
        if lines[1:2] and lines[1].startswith("G "):
            n = int(lines[1].split()[1])
            got = [int(x.split()[1]) for x in lines[2:2 + n] if x.startswith("F ")]
            if len(got) == n:
                assert got == head[:n], f"drainer, round {r} (kill {w.kills + 1}): fetched {got}, oldest {head[:n]}"
        w.absorb(lines)
        w.killed(c.role, lines)
        w.check(f"round {r}")
        w.manage()
    line = finish(w, "drainer", KILLS_DRAIN)
    assert w.stats["fetched-again"] > 0 and w.stats["superseded"] > 0 and w.stats["in-doubt-acks"] > 0, line
    print(line)


def test_killed_while_others_step(db_path, tmp_path):
    w = world(db_path, tmp_path, 56, "together")
    rnd = w.rnd
    for r in range(ROUNDS_TOGETHER):
        batches = w.batches(3)
        kids = run_and_kill([spawn(stepper, db_path, rnd.random(), w.now, [], CAP),
                             spawn(ingester, db_path, rnd.random(), w.now, batches, CAP),
                             spawn(drainer, db_path, rnd.random(), w.now, [], CAP)], rnd, [0.08, 0.03, 0.01], CAP + 1)
        done = set()
        for c in kids:
            done |= w.absorb(c.lines, batches)
            w.killed(c.role, c.lines, batches)
        w.settle(batches, done)
        w.check(f"round {r}")
        w.manage()
    line = finish(w, "together", 3 * ROUNDS_TOGETHER)
    print(line)
