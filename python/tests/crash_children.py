"""The children of test_step_crash.py, and how they are started and killed.

Each child opens its own handle on the store and works until it is killed with SIGKILL,
printing one line (to a pipe, unbuffered) after each thing it did, so the parent knows what
was confirmed:
  R                         ready (the parent starts its kill timer)
  T now                     about to step at `now`
  S now notified timed-out retried reminded expired    the step returned OTA_OK
  G n                       a fetch returned n messages; each is then "published":
  F id digest topic kind vin campaign seq
  B id,id,...               about to acknowledge these
  A id,id,...               ota_outbox_ack returned OTA_OK
  I k                       batch k of the reports handed to the child was ingested (OTA_OK)
  E error                   the child failed (the test fails)

Children are forked from the test process (libota and cbor2 already loaded), not started as
new interpreters: a fresh Python with libota takes ~0.6 s on the loaded 2-core test machine,
and hundreds of kills must fit in about two minutes. The parent holds no open store handle
when it forks.
"""
import os
import random
import select
import signal
import time

from libota.campaigns import Outbox
from libota.store import Store
from libota._native import lib
from crash_world import DT, KID, SEED, fetched_line


def _say(out, line):
    os.write(out, (line + "\n").encode())


def _open(path):
    s = Store(path)
    s.check(lib.ota_set_signing_key(s.handle, SEED, KID))
    return s


def _drain_once(out, box, rnd):
    batch = box.fetch(rnd.randint(1, 12))
    _say(out, f"G {len(batch)}")
    for m in batch:
        _say(out, fetched_line(m.id, m.topic, m.payload))
    if batch:
        ids = ",".join(str(m.id) for m in batch)
        _say(out, f"B {ids}")
        box.ack([m.id for m in batch])
        _say(out, f"A {ids}")
    return len(batch)


def _step_once(out, s, t):
    _say(out, f"T {t}")
    r = s.campaigns.step(actor="cam", now=t)
    _say(out, f"S {t} {r['notified']} {r['timed-out']} {r['retried']} {r['reminded']} {r['expired']}")


def host_loop(out, path, seed, now, batches, cap):
    """The whole host loop in one process: step (time moves DT a turn, for `cap` turns), drain
    part of the outbox, ingest the next batch of vehicle reports."""
    rnd = random.Random(seed)
    s = _open(path)
    box = Outbox(s)
    _say(out, "R")
    turn, k = 0, 0
    while True:
        _step_once(out, s, now + min(turn, cap) * DT)
        _drain_once(out, box, rnd)
        if k < len(batches):
            s.ingest_batch(batches[k], actor="gw", now=now + min(turn, cap) * DT)
            _say(out, f"I {k}")
            k += 1
        turn += 1


def stepper(out, path, seed, now, batches, cap):
    """Steps only, DT later each turn for `cap` turns (then at the same time: idle steps)."""
    s = _open(path)
    _say(out, "R")
    turn = 0
    while True:
        _step_once(out, s, now + min(turn, cap) * DT)
        turn += 1


def drainer(out, path, seed, now, batches, cap):
    """Drains the outbox: fetch a few, publish (print), acknowledge; polls when empty."""
    rnd = random.Random(seed)
    s = _open(path)
    box = Outbox(s)
    _say(out, "R")
    while True:
        if not _drain_once(out, box, rnd):
            time.sleep(0.0005)


def ingester(out, path, seed, now, batches, cap):
    """Ingests the reports handed to it, batch after batch; then idles."""
    s = _open(path)
    _say(out, "R")
    for k, batch in enumerate(batches):
        s.ingest_batch(batch, actor="gw", now=now)
        _say(out, f"I {k}")
    while True:
        time.sleep(0.001)


class Child:
    def __init__(self, role, pid, fd):
        self.role, self.pid, self.fd = role, pid, fd
        self.data = b""
        self.deadline = None
        self.killed = False
        self.timed_out = False
        self.busy_ends = False
        self.status = None

    @property
    def lines(self):
        """The complete lines (the last piece may have been cut by the kill)."""
        return self.data.decode().split("\n")[:-1]


def spawn(role, *args):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(r)
        try:
            role(w, *args)
        except BaseException as e:  # noqa: BLE001 - reported to the parent, which fails the test
            try:
                _say(w, "E " + repr(e).replace("\n", " "))
            finally:
                os._exit(3)
        os._exit(4)
    os.close(w)
    return Child(role.__name__, pid, r)


def run_and_kill(children, rnd, max_delay, steps=None, timeout=20.0):
    """Reads every child's lines; kills each with SIGKILL a random moment (up to max_delay
    seconds, or max_delay[i] for child i) after it said it was ready, or soon after its
    `steps`-th step began (past that a stepping child steps at the same time again: idle
    steps); returns when all are dead and read to the end."""
    delays = max_delay if isinstance(max_delay, (list, tuple)) else [max_delay] * len(children)
    for c, d in zip(children, delays):
        c.max_delay = d
    start = time.monotonic()
    open_fds = {c.fd: c for c in children}
    while open_fds:
        now = time.monotonic()
        for c in children:
            if c.deadline is not None and not c.killed and now >= c.deadline:
                os.kill(c.pid, signal.SIGKILL)
                c.killed = True
            if not c.killed and now - start > timeout:
                os.kill(c.pid, signal.SIGKILL)
                c.killed = True
                c.timed_out = True
        waits = [c.deadline - now for c in children if c.deadline is not None and not c.killed]
        ready, _, _ = select.select(list(open_fds), [], [], max(0.0, min(waits + [0.05])))
        for fd in ready:
            c = open_fds[fd]
            chunk = os.read(fd, 65536)
            if not chunk:
                os.close(fd)
                del open_fds[fd]
                continue
            if c.deadline is None and (c.data + chunk).startswith(b"R\n"):
                c.deadline = time.monotonic() + rnd.uniform(0, c.max_delay)
            c.data += chunk
            if steps and not c.busy_ends and c.data.count(b"\nT ") >= steps:
                c.busy_ends = True
                c.deadline = min(c.deadline, time.monotonic() + rnd.uniform(0, 0.005))
    for c in children:
        _, c.status = os.waitpid(c.pid, 0)
        if c.timed_out or not (os.WIFSIGNALED(c.status) and os.WTERMSIG(c.status) == signal.SIGKILL):
            tail = c.lines[-3:]
            raise AssertionError(f"{c.role} child {c.pid} was not killed as planned (status {c.status}, "
                                 f"timed out {c.timed_out}, ready {c.deadline is not None}): {tail}")
    return children
