"""The `libota` command: operate a libota store from a shell.

    libota --db FILE [--actor NAME] [--now SECONDS] [--json] COMMAND ...

Exit codes: 0 success, 1 a libota error (printed as one line, "libota: OTA_CONFLICT: ..."),
2 a usage error. Every command has --help. Times are Unix seconds; --now sets the time of
the call (default: the system clock), so a script can replay a day. Commands that sign
(package approve, the campaign commands that write messages) take --signing-seed FILE (the
32-byte Ed25519 seed, raw or as 64 hex characters) and --kid NAME.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from . import documents as docs
from ._native import BADINPUT, CONFLICT, IO, MISUSE, OTAError
from .store import MUSTEXIST, Store

PROG = "libota"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A command line that cannot run (exit 2)."""


# -- output helpers ---------------------------------------------------------------------------

def fmt_time(t: Any) -> str:
    """Unix seconds as UTC ISO 8601 ("2026-12-01T21:25:20Z"); "-" for none."""
    if t is None:
        return "-"
    if not isinstance(t, int):
        return str(t)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k}={fmt(x)}" for k, x in v.items())
    return str(v)


def percent(v: Any) -> str:
    """A share as "12.34%": basis points (libota's integers, 1 % = 100), or a float fraction."""
    from .dashboard import share_percent
    pct = share_percent(v)
    return "-" if pct is None else f"{pct:.2f}%"


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], out=None) -> None:
    """Aligned columns; numbers right-aligned."""
    out = out or sys.stdout
    cells = [[fmt(c) if not isinstance(c, str) else c for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for i, c in enumerate(r):
            widths[i] = max(widths[i], len(c))
    numeric = [all(isinstance(r[i], (int, float)) and not isinstance(r[i], bool) for r in rows) and rows
               for i in range(len(headers))]
    def line(r):
        return "  ".join(c.rjust(widths[i]) if numeric[i] else c.ljust(widths[i])
                         for i, c in enumerate(r)).rstrip()
    print(line(list(headers)), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in cells:
        print(line(r), file=out)


class ProgressBar:
    """The import's progress on stderr: a count while the snapshot is checked (total unknown),
    a bar while it is written."""

    def __init__(self, stream=None, width: int = 30):
        self.stream = stream or sys.stderr
        self.width = width
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total:
            frac = min(done / total, 1.0)
            fill = int(frac * self.width)
            text = f"writing  [{'#' * fill}{'.' * (self.width - fill)}] {frac * 100:5.1f}%  {done:,}/{total:,} vehicles"
        else:
            text = f"checking {done:,} vehicles"
        self.stream.write("\r" + text.ljust(self.width + 40))
        self.stream.flush()
        self.shown = True

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def say(args, text: str) -> None:
    """A line for people; suppressed under --json (the document is the output then)."""
    if not args.json:
        print(text)


def emit(args, doc: Any, human: Callable[[], None]) -> None:
    """The document as JSON under --json, else its human form."""
    if args.json:
        print(docs.to_json(doc))
    else:
        human()


# -- the store and its inputs -----------------------------------------------------------------

def read_seed(path: str) -> bytes:
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise OTAError(IO, f"cannot read the signing seed {path}: {e.strerror or e}") from None
    if len(raw) == 32:
        return raw
    text = raw.decode("ascii", errors="replace").strip()
    if len(text) == 64:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    raise OTAError(BADINPUT, f"the signing seed {path} must hold 32 bytes (raw, or 64 hex characters); "
                             f"it holds {len(raw)} bytes")


def open_store(args, *, create_admin: Optional[str] = None) -> Store:
    if not args.db:
        raise UsageError("--db FILE is required (or set LIBOTA_DB)")
    flags = 0 if create_admin else MUSTEXIST
    store = Store(args.db, bootstrap_admin=create_admin, now=args.now, flags=flags,
                  actor=args.actor, clock=time.time)
    seed_file = getattr(args, "signing_seed", None)
    if seed_file:
        kid = getattr(args, "kid", None) or Path(seed_file).stem
        store.set_signing_key(read_seed(seed_file), kid)
    return store


def need_actor(args) -> str:
    if not args.actor:
        raise UsageError(f"'{args.command_line}' changes the store: name who does it with --actor NAME "
                         "(or set LIBOTA_ACTOR)")
    return args.actor


def positive_id(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an id (a whole number), found {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"ids start at 1, found {v}")
    return v


# -- commands: store, roles, audit ------------------------------------------------------------

def cmd_init(args) -> int:
    with open_store(args, create_admin=args.admin) as s:
        # The bootstrap admin is named only in a store without one: on an existing store,
        # say so rather than print an admin who is none.
        if not any(r.get("role") == "admin" for r in s.roles(args.admin)):
            raise OTAError(CONFLICT, f"{args.db} already has an admin and {args.admin} is not one: "
                                     "an admin grants the role (libota grant)")
        say(args, f"store {args.db}: schema {s.schema_version()}, admin {args.admin}")
    return EXIT_OK


def cmd_grant(args) -> int:
    need_actor(args)
    with open_store(args) as s:
        s.grant(args.who, args.role, now=args.now)
        say(args, f"granted {args.role} to {args.who}")
    return EXIT_OK


def cmd_revoke(args) -> int:
    need_actor(args)
    with open_store(args) as s:
        s.revoke(args.who, args.role, now=args.now)
        say(args, f"revoked {args.role} from {args.who}")
    return EXIT_OK


def cmd_roles(args) -> int:
    with open_store(args) as s:
        got = s.roles(args.who)
        emit(args, got, lambda: table([[g["role"], g["granted-by"] or "(bootstrap)", fmt_time(g["granted-at"])]
                                       for g in got], ["role", "granted by", "granted at"]))
    return EXIT_OK


def cmd_audit_verify(args) -> int:
    with open_store(args) as s:
        entries, _ = s.audit_verify()
        seq, head = s.audit_head()
        emit(args, {"entries": entries, "head-seq": seq, "head-hash": head},
             lambda: print(f"audit trail intact: {entries:,} entries; head {seq} {head.hex()}"))
    return EXIT_OK


def cmd_audit_list(args) -> int:
    with open_store(args) as s:
        got = s.audit(args.after, args.limit)
        emit(args, got, lambda: table([[e["seq"], fmt_time(e["at"]), e["actor"], e["action"], e["subject"]]
                                       for e in got], ["seq", "at", "actor", "action", "subject"]))
    return EXIT_OK


# -- commands: fleet --------------------------------------------------------------------------

def cmd_fleet_import(args) -> int:
    need_actor(args)
    try:
        data = Path(args.file).read_bytes()
    except OSError as e:
        raise OTAError(IO, f"cannot read {args.file}: {e.strerror or e}") from None
    with open_store(args) as s:
        bar = None if args.no_progress else ProgressBar()
        try:
            summary = s.fleet.import_snapshot(data, bar, now=args.now)
        finally:
            if bar:
                bar.finish()
        def human():
            print(f"imported {summary['vehicles']:,} vehicles from {args.file} (snapshot of "
                  f"{fmt_time(summary['snapshot-time'])}): {summary['added']:,} added, "
                  f"{summary['changed']:,} changed, {summary['unchanged']:,} unchanged, {summary['stale']:,} stale")
            print(f"ECUs: {summary['ecus-added']:,} added, {summary['ecus-changed']:,} changed, "
                  f"{summary['ecus-removed']:,} removed")
        emit(args, summary, human)
    return EXIT_OK


def cmd_fleet_export(args) -> int:
    with open_store(args) as s:
        data = s.fleet.export(now=args.now)
    if args.file == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return EXIT_OK
    try:
        Path(args.file).write_bytes(data)
    except OSError as e:
        raise OTAError(IO, f"cannot write {args.file}: {e.strerror or e}") from None
    say(args, f"exported the inventory to {args.file} ({len(data):,} bytes)")
    return EXIT_OK


def cmd_vehicle_show(args) -> int:
    with open_store(args) as s:
        v = s.vehicle(args.vin)
    def human():
        print(f"{v['vin']}  {v['model']} {v['variant']}  {v['powertrain']}  market {v['market']}")
        print(f"produced {fmt_time(v['produced'])}  updated {fmt_time(v['updated'])}  seen {fmt_time(v['seen'])}")
        if v.get("engine-no") or v.get("chassis-no"):
            print(f"engine {fmt(v.get('engine-no'))}  chassis {fmt(v.get('chassis-no'))}")
        if v.get("attributes"):
            print("attributes: " + ", ".join(f"{k}={fmt(x)}" for k, x in sorted(v["attributes"].items())))
        print(f"ECUs ({len(v['ecus'])}):")
        for e in v["ecus"]:
            removed = f"  REMOVED {fmt_time(e['removed'])}" if e.get("removed") is not None else ""
            print(f"  {e['node']}#{e['slot']}  hw {e['hw']}  sw {e['sw']}  calibration {fmt(e.get('calibration'))}"
                  f"  serial {fmt(e.get('serial'))}{removed}")
            for h in e.get("history", []):
                print(f"      {fmt_time(h['at'])}  hw {h['hw']}  sw {h['sw']}  calibration {fmt(h.get('calibration'))}"
                      f"  serial {fmt(h.get('serial'))}  ({h['source']})")
    emit(args, v, human)
    return EXIT_OK


def cmd_vehicle_key(args) -> int:
    need_actor(args)
    try:
        key = bytes.fromhex(args.public_key)
    except ValueError:
        raise OTAError(BADINPUT, f"public key: expected 64 hex characters, found {args.public_key!r}") from None
    with open_store(args) as s:
        s.set_vehicle_key(args.vin, key, now=args.now)
    say(args, f"{args.vin}: reports must now be signed by {key.hex()}")
    return EXIT_OK


# -- commands: packages -----------------------------------------------------------------------

def show_package(info: dict) -> None:
    m = info["manifest"]
    print(f"package {info['id']}: {m['name']} {m['version']}  [{info['state']}]")
    print(f"  ECU {m['ecu']}  {m['category']}/{m['release-type']}  protocol {m['protocol']}  "
          f"release counter {m['release-counter']}")
    print(f"  hw {fmt(m['hw'])}  from {fmt(m['from'])}  to {m['to']}")
    print(f"  models {fmt(m['models'])}  powertrains {fmt(m['powertrains'])}")
    for r in m.get("requires", []) or []:
        print(f"  requires {r[0]} on {fmt(r[1])}")
    print(f"  issue: {m['issue']}")
    checks = {c["name"]: c for c in info.get("files", [])}
    for f in m["files"]:
        c = checks.get(f["name"], {})
        by = f" by {c['checked-by']} at {fmt_time(c.get('checked-at'))}" if c.get("checked-by") else ""
        print(f"  file {f['name']}  {f['size']:,} bytes  sha256 {f['sha256'].hex()}  {c.get('status', '?')}{by}")
    for h in info.get("history", []):
        why = f"  ({h['reason']})" if h.get("reason") else ""
        print(f"  {fmt_time(h['at'])}  {h['state']:<9}  {h['actor']}{why}")
    sig = info.get("signature")
    if sig:
        print(f"  signed by {sig['signed-by']} at {fmt_time(sig['signed-at'])}, kid {sig['kid']}, "
              f"key {sig['public-key'].hex()}")


def cmd_package_register(args) -> int:
    need_actor(args)
    manifest = docs.read_document(args.file)
    with open_store(args) as s:
        pkg = s.packages.register(manifest, now=args.now)
        info = pkg.info()
    m = info["manifest"]
    emit(args, info, lambda: print(f"registered package {pkg.id}: {m['name']} {m['version']} (draft)"))
    return EXIT_OK


def cmd_package_verify(args) -> int:
    need_actor(args)
    with open_store(args) as s:
        pkg = s.packages.get(args.id)
        pkg.verify_file(args.name, args.path, now=args.now)
        check = next((c for c in pkg.info()["files"] if c["name"] == args.name), {})
    emit(args, check, lambda: print(f"package {args.id}: {args.name} matches ({check.get('found-size', 0):,} bytes, "
                                    f"sha256 {(check.get('found-sha256') or b'').hex()})"))
    return EXIT_OK


def package_move(action: str) -> Callable:
    def run(args) -> int:
        need_actor(args)
        with open_store(args) as s:
            pkg = s.packages.get(args.id)
            if action == "withdraw":
                pkg.withdraw(args.reason, now=args.now)
            else:
                getattr(pkg, action)(now=args.now)
            state = pkg.state
        say(args, f"package {args.id}: {state}")
        return EXIT_OK
    return run


def cmd_package_show(args) -> int:
    with open_store(args) as s:
        info = s.packages.get(args.id).info()
    emit(args, info, lambda: show_package(info))
    return EXIT_OK


def cmd_package_list(args) -> int:
    with open_store(args) as s:
        got = s.packages.list(ecu=args.ecu, state=args.state, model=args.model)
    emit(args, got, lambda: table([[p["id"], p["name"], p["version"], p["ecu"], p["to"], p["category"],
                                    p["release-counter"], p["state"]] for p in got],
                                  ["id", "name", "version", "ecu", "to", "category", "counter", "state"]))
    return EXIT_OK


# -- commands: campaigns ----------------------------------------------------------------------

def cmd_campaign_create(args) -> int:
    need_actor(args)
    spec = docs.read_document(args.spec)
    with open_store(args) as s:
        c = s.campaigns.create(spec, now=args.now)
    emit(args, {"id": c.id}, lambda: print(f"created campaign {c.id} (draft)"))
    return EXIT_OK


def show_validation(cid: int, v: dict) -> None:
    problems = v.get("problems", [])
    print(f"campaign {cid}: {v.get('targets', 0):,} targets; "
          + (f"{len(problems)} problem{'s' if len(problems) != 1 else ''}" if problems else "no problems"))
    for p in problems:
        print(f"  problem: {p}")
    if v.get("approvable-by-admin-only"):
        print("  an admin may approve it without a test campaign first")
    if v.get("waves"):
        print("  waves: " + ", ".join(f"{n:,}" for n in v["waves"]) + " vehicles")
    for reason, n in sorted((v.get("excluded") or {}).items()):
        print(f"  excluded {reason}: {n:,}")


def cmd_campaign_validate(args) -> int:
    with open_store(args) as s:
        v = s.campaigns.get(args.id).validate()
    emit(args, v, lambda: show_validation(args.id, v))
    return EXIT_OK


def campaign_move(action: str) -> Callable:
    def run(args) -> int:
        need_actor(args)
        with open_store(args) as s:
            c = s.campaigns.get(args.id)
            if action == "abort":
                c.abort(args.reason, now=args.now)
            else:
                getattr(c, action)(now=args.now)
            state = c.state
        say(args, f"campaign {args.id}: {state}")
        return EXIT_OK
    return run


def show_step(result: dict) -> None:
    counts = ", ".join(f"{k} {result.get(k, 0):,}" for k in ("notified", "timed-out", "retried", "reminded", "expired"))
    print(f"{result.get('state', '?')}: {counts}; next due {fmt_time(result.get('next-due'))}")
    for e in result.get("events", []):
        rest = {k: v for k, v in e.items() if k not in ("type", "at")}
        print(f"  {fmt_time(e.get('at'))}  {e.get('type')}  {fmt(rest) if rest else ''}".rstrip())


def cmd_campaign_step(args) -> int:
    need_actor(args)
    if not args.all and args.id is None:
        raise UsageError("campaign step: name a campaign ID, or --all")
    with open_store(args) as s:
        result = s.campaigns.step(now=args.now) if args.all else s.campaigns.get(args.id).step(now=args.now)
    emit(args, result, lambda: show_step(result))
    return EXIT_OK


def show_campaign(info: dict) -> None:
    spec = info.get("spec") or {}
    print(f"campaign {info['id']}: {spec.get('name', '?')}  [{info['state']}]")
    print(f"  {spec.get('category', '?')}, {spec.get('urgency', '?')}, priority {spec.get('priority', 500)}"
          f"{', TEST' if spec.get('test') else ''}; packages {fmt(spec.get('packages'))}")
    print(f"  author {info.get('author')}  approved by {fmt(info.get('approved-by'))}  seed {fmt(info.get('seed'))}")
    print(f"  start {fmt_time(spec.get('start'))}  end {fmt_time(spec.get('end'))}")
    print(f"  targets {fmt(info.get('targets'))}"
          + ("; excluded " + fmt(info["excluded"]) if info.get("excluded") else ""))
    for i, w in enumerate(spec.get("waves", [])):
        size = f"{w['share']}%" if "share" in w else (f"{w['count']:,} vehicles" if "count" in w else "the rest")
        print(f"  wave {i}: {size}, gate {w.get('success-gate')}%, failure threshold {w.get('failure-threshold')}%"
              f", soak {w.get('soak', 0)} s, {w.get('advance', 'auto')}")
    for h in info.get("history", []):
        why = f"  ({h['reason']})" if h.get("reason") else ""
        print(f"  {fmt_time(h.get('at'))}  {h.get('state'):<9}  {h.get('actor')}{why}")


def cmd_campaign_show(args) -> int:
    with open_store(args) as s:
        info = s.campaigns.get(args.id).info()
    emit(args, info, lambda: show_campaign(info))
    return EXIT_OK


def cmd_campaign_list(args) -> int:
    with open_store(args) as s:
        got = s.campaigns.list(state=args.state, category=args.category)
    # A list's progress is already a percent (campaign-list.cddl), not basis points.
    emit(args, got, lambda: table([[c["id"], c["name"], c["category"], c["state"], c["targets"], c["succeeded"],
                                    c["failed"], f'{float(c["progress"]):.2f}%', fmt_time(c.get("next-due"))]
                                   for c in got],
                                  ["id", "name", "category", "state", "targets", "succeeded", "failed",
                                   "progress", "next due"]))
    return EXIT_OK


def show_stats(st: dict) -> None:
    from .dashboard import ORDER, states_of
    print(f"campaign {st.get('campaign')}: {st.get('state')}; {st.get('targets', 0):,} targets; "
          f"progress {percent(st.get('progress'))}; success {percent(st.get('success'))}; "
          f"median time to success {fmt_duration(st.get('median-time-to-success'))}")
    states = states_of(st.get("by-state") or {})
    print()
    table([[s, st["by-state"].get(s, 0)] for s in states], ["state", "targets"])
    waves = st.get("waves") or []
    if waves:
        print()
        table([[w.get("index"), w.get("targets", 0), fmt_time(w.get("opened"))]
               + [(w.get("by-state") or {}).get(s, 0) for s in ORDER[:4]]
               for w in waves], ["wave", "targets", "opened"] + list(ORDER[:4]))
    for key, title in (("by-market", "market"), ("by-region", "region"), ("by-model", "model")):
        groups = st.get(key) or {}
        if groups:
            print()
            table([[name, sum(c.values())] + [c.get(s, 0) for s in ORDER[:4]] for name, c in sorted(groups.items())],
                  [title, "targets"] + list(ORDER[:4]))
    failures = st.get("failures") or {}
    if failures:
        print()
        table([[reason, code, n] for reason, codes in sorted(failures.items()) for code, n in sorted(codes.items(), key=lambda kv: str(kv[0]))],
              ["failure reason", "code", "targets"])


def fmt_duration(seconds: Any) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def campaign_stats(args) -> dict:
    """The campaign's statistics in --db, merged with those of every --shard store."""
    with open_store(args) as s:
        st = s.stats(args.id, now=args.now)
    shards = getattr(args, "shard", None) or []
    if not shards:
        return st
    from .shards import merge_stats
    docs = [st]
    for path in shards:
        with Store(path, flags=MUSTEXIST) as other:
            docs.append(other.stats(args.id, now=args.now))
    return merge_stats(docs)


def cmd_campaign_stats(args) -> int:
    st = campaign_stats(args)
    emit(args, st, lambda: show_stats(st))
    return EXIT_OK


VEHICLE_COLUMNS = ["vin", "market", "model", "wave", "state", "reason", "code", "last-report", "retries"]
# Further keys of this libota's rows (docs/schemas/campaign-vehicles.cddl), after the design's.
EXTRA_VEHICLE_COLUMNS = ["variant", "final", "deferrals", "reports", "ord"]


def cmd_campaign_vehicles(args) -> int:
    with open_store(args) as s:
        rows = list(s.campaigns.get(args.id).rows(state=args.state, wave=args.wave, market=args.market))
    if args.json:
        print(docs.to_json(rows))
    elif args.csv:
        present = {k for r in rows for k in r}
        columns = VEHICLE_COLUMNS + [k for k in EXTRA_VEHICLE_COLUMNS if k in present]
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow(["" if r.get(k) is None else str(r[k]).lower() if isinstance(r.get(k), bool) else r.get(k)
                        for k in columns])
    else:
        table([[r.get("vin"), r.get("market"), r.get("model"), r.get("wave"), r.get("state"), r.get("reason"),
                r.get("code"), fmt_time(r.get("last-report")), r.get("retries")] for r in rows], VEHICLE_COLUMNS)
    return EXIT_OK


def cmd_test_fleet(args) -> int:
    need_actor(args)
    with open_store(args) as s:
        if args.action == "add":
            s.test_fleet.add(args.vins, now=args.now)
        else:
            s.test_fleet.remove(args.vins, now=args.now)
    say(args, f"test fleet: {args.action} {len(args.vins)} vehicle{'s' if len(args.vins) != 1 else ''}")
    return EXIT_OK


def cmd_report(args) -> int:
    from .dashboard import render
    with open_store(args) as s:
        info = s.campaigns.get(args.id).info()
    page = render(campaign_stats(args), info, now=args.now)
    try:
        Path(args.html).write_text(page, encoding="utf-8")
    except OSError as e:
        raise OTAError(IO, f"cannot write {args.html}: {e.strerror or e}") from None
    say(args, f"campaign {args.id}: dashboard written to {args.html}")
    return EXIT_OK


# -- the parser -------------------------------------------------------------------------------

class Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, then the usage, exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def signing_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("signing")
    g.add_argument("--signing-seed", metavar="FILE", default=argparse.SUPPRESS,
                   help="the 32-byte Ed25519 seed that signs (raw, or 64 hex characters)")
    g.add_argument("--kid", metavar="NAME", default=argparse.SUPPRESS,
                   help="the key's name in the signatures (default: the seed file's name)")
    return p


def build_parser() -> Parser:
    p = Parser(prog=PROG, description="Operate a libota store: fleet, packages, campaigns, reports, audit.",
               epilog="Exit codes: 0 success, 1 libota error, 2 usage error. "
                      "'libota COMMAND --help' describes each command.")
    p.add_argument("--db", metavar="FILE", default=os.environ.get("LIBOTA_DB"),
                   help="the store file (default: $LIBOTA_DB)")
    p.add_argument("--actor", metavar="NAME", default=os.environ.get("LIBOTA_ACTOR"),
                   help="who does it, as your host authenticated them (default: $LIBOTA_ACTOR)")
    p.add_argument("--now", metavar="SECONDS", type=int, default=None,
                   help="the time of the call in Unix seconds (default: the system clock)")
    p.add_argument("--json", action="store_true", help="print the result document as JSON")
    p.add_argument("--signing-seed", metavar="FILE", help="the 32-byte Ed25519 seed that signs")
    p.add_argument("--kid", metavar="NAME", help="the signing key's name (default: the seed file's name)")
    p.add_argument("--version", action="version", version=_version_text())
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True
    sign = signing_options()

    def cmd(parent, name, func, help_, parents=()):
        c = parent.add_parser(name, help=help_, description=help_, parents=list(parents))
        c.set_defaults(func=func)
        return c

    c = cmd(sub, "init", cmd_init, "create a store and name its first admin")
    c.add_argument("admin", metavar="ADMIN", help="the first admin's name")

    c = cmd(sub, "grant", cmd_grant, "grant a role (admin only)")
    c.add_argument("who", metavar="WHO")
    c.add_argument("role", metavar="ROLE", help="admin, engineer, approver, campaign-manager or gateway")
    c = cmd(sub, "revoke", cmd_revoke, "revoke a role (admin only)")
    c.add_argument("who", metavar="WHO")
    c.add_argument("role", metavar="ROLE")
    c = cmd(sub, "roles", cmd_roles, "the roles someone holds")
    c.add_argument("who", metavar="WHO")

    audit = sub.add_parser("audit", help="the tamper-evident audit trail", description="the tamper-evident audit trail")
    asub = audit.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    asub.required = True
    cmd(asub, "verify", cmd_audit_verify, "walk the hash chain; exit 1 naming the first bad entry")
    c = cmd(asub, "list", cmd_audit_list, "list audit entries")
    c.add_argument("--after", type=int, default=0, metavar="SEQ", help="entries after this seq")
    c.add_argument("--limit", type=int, default=0, metavar="N", help="at most N entries (0: all)")

    fleet = sub.add_parser("fleet", help="import and export fleet snapshots", description="import and export fleet snapshots")
    fsub = fleet.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    fsub.required = True
    c = cmd(fsub, "import", cmd_fleet_import, "import a fleet snapshot (CBOR) in one transaction, with a progress bar")
    c.add_argument("file", metavar="FILE")
    c.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    c = cmd(fsub, "export", cmd_fleet_export, "export the inventory as a fleet snapshot (CBOR)")
    c.add_argument("file", metavar="FILE", help="the file to write ('-': standard output)")

    veh = sub.add_parser("vehicle", help="one vehicle of the inventory", description="one vehicle of the inventory")
    vsub = veh.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    vsub.required = True
    c = cmd(vsub, "show", cmd_vehicle_show, "a vehicle with every ECU's history")
    c.add_argument("vin", metavar="VIN")
    c = cmd(vsub, "set-key", cmd_vehicle_key, "the vehicle's Ed25519 public key: its reports must be signed by it")
    c.add_argument("vin", metavar="VIN")
    c.add_argument("public_key", metavar="HEX", help="32 bytes as 64 hex characters")

    pkg = sub.add_parser("package", help="software packages: register, verify, approve, release",
                         description="software packages: register, verify, approve, release")
    psub = pkg.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    psub.required = True
    c = cmd(psub, "register", cmd_package_register,
            "register a manifest (FILE.cbor, or FILE.json with sha256 as hex) as a draft")
    c.add_argument("file", metavar="FILE")
    c = cmd(psub, "verify", cmd_package_verify, "check a local file's size and SHA-256 against the manifest")
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("name", metavar="NAME", help="the file's name in the manifest")
    c.add_argument("path", metavar="PATH", help="the local file")
    cmd(psub, "validate", package_move("validate"), "draft -> validated (every file verified)").add_argument(
        "id", type=positive_id, metavar="ID")
    cmd(psub, "approve", package_move("approve"), "validated -> approved, signed (not by its registrant)",
        [sign]).add_argument("id", type=positive_id, metavar="ID")
    cmd(psub, "release", package_move("release"), "approved -> released").add_argument(
        "id", type=positive_id, metavar="ID")
    c = cmd(psub, "withdraw", package_move("withdraw"), "withdraw a package, with a reason")
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("reason", metavar="REASON")
    cmd(psub, "show", cmd_package_show, "a package: manifest, file checks, history, signature").add_argument(
        "id", type=positive_id, metavar="ID")
    c = cmd(psub, "list", cmd_package_list, "the packages, by id")
    c.add_argument("--ecu", help="only packages for this ECU node")
    c.add_argument("--state", help="only packages in this state")
    c.add_argument("--model", help="only packages for this model")

    camp = sub.add_parser("campaign", help="campaigns: create, approve, run, watch",
                          description="campaigns: create, approve, run, watch")
    csub = camp.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    csub.required = True
    c = cmd(csub, "create", cmd_campaign_create, "create a draft campaign from a spec (SPEC.cbor or SPEC.json)")
    c.add_argument("spec", metavar="SPEC")
    cmd(csub, "validate", cmd_campaign_validate, "every problem of a campaign, its targets and exclusions").add_argument(
        "id", type=positive_id, metavar="ID")
    for action, help_ in (("approve", "freeze the targets (an approver who is not the author)"),
                          ("start", "approved -> scheduled or running"),
                          ("pause", "running -> paused"),
                          ("resume", "paused -> running (opens the next wave of a manual gate)")):
        cmd(csub, action, campaign_move(action), help_, [sign]).add_argument("id", type=positive_id, metavar="ID")
    c = cmd(csub, "abort", campaign_move("abort"), "end a campaign: cancel its open targets", [sign])
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("--reason", required=True, help="why (kept in the audit trail)")
    c = cmd(csub, "step", cmd_campaign_step, "do what is due now: timeouts, retries, waves, notifications", [sign])
    c.add_argument("id", type=positive_id, metavar="ID", nargs="?")
    c.add_argument("--all", action="store_true", help="step every campaign with something due")
    cmd(csub, "show", cmd_campaign_show, "a campaign: spec, state, targets, history").add_argument(
        "id", type=positive_id, metavar="ID")
    c = cmd(csub, "list", cmd_campaign_list, "every campaign and how far it is")
    c.add_argument("--state", help="only campaigns in this state")
    c.add_argument("--category", help="only campaigns of this category")
    c = cmd(csub, "stats", cmd_campaign_stats, "the campaign's statistics as tables")
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("--shard", action="append", metavar="FILE",
                   help="another store of the same campaign (split by VIN): merge its statistics (repeatable)")
    c = cmd(csub, "vehicles", cmd_campaign_vehicles, "per-vehicle rows of a campaign")
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("--state", help="only targets in this state")
    c.add_argument("--wave", type=int, help="only targets of this wave (0 is the first)")
    c.add_argument("--market", help="only targets in this market")
    c.add_argument("--csv", action="store_true", help="CSV rows with a header line")

    tf = sub.add_parser("test-fleet", help="the vehicles test campaigns reach", description="the vehicles test campaigns reach")
    tsub = tf.add_subparsers(dest="subcommand", metavar="ACTION", parser_class=Parser)
    tsub.required = True
    for action in ("add", "remove"):
        c = cmd(tsub, action, cmd_test_fleet, f"{action} vehicles {'to' if action == 'add' else 'from'} the test fleet")
        c.add_argument("vins", nargs="+", metavar="VIN")
        c.set_defaults(action=action)

    c = cmd(sub, "report", cmd_report, "write a campaign's dashboard as one self-contained HTML page")
    c.add_argument("id", type=positive_id, metavar="ID")
    c.add_argument("--html", required=True, metavar="OUT.html", help="the page to write")
    c.add_argument("--shard", action="append", metavar="FILE",
                   help="another store of the same campaign (split by VIN): merge its statistics (repeatable)")
    return p


def _version_text() -> str:
    try:
        from ._native import lib
        n = lib.ota_libversion_number()
        return f"libota {n // 1000000}.{n // 1000 % 1000}.{n % 1000} ({lib._name})"
    except Exception as e:  # --version should work even without a library
        return f"libota (library not loaded: {e})"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.command_line = " ".join(x for x in (args.command, getattr(args, "subcommand", None)) if x)
    try:
        return args.func(args)
    except UsageError as e:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except OTAError as e:
        print(f"{PROG}: {e.name}: {' '.join(e.message.split())}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # `libota ... | head`
        return EXIT_OK
    except OSError as e:     # libota.so itself could not be loaded
        if "libota" not in str(e):
            raise
        print(f"{PROG}: {' '.join(str(e).split())}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
