"""The HTML dashboard (libota.dashboard, `libota report --html`): rendered from a statistics
document, opened in headless Chromium (Debian's package), screenshotted, and read back from
Chromium's DOM: the charts are there and every number on the page equals the statistics."""
import html.parser
import random
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

import libota
from libota.dashboard import ACTIVE, render, share_percent, timeline_points

from product_support import (T0, campaign_spec, fleet_snapshot, installed_report, needs_campaigns, people,
                             released_package, report, status_topic)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
STATES = ["succeeded", "failed", "declined", "expired", "cancelled", "installing", "downloaded", "downloading",
          "accepted", "deferred", "notified", "queued", "pending"]


def split(total, weights, rnd):
    """total split over weights' keys (integers that add up)."""
    keys = list(weights)
    raw = [weights[k] * (0.8 + 0.4 * rnd.random()) for k in keys]
    out = {k: int(total * r / sum(raw)) for k, r in zip(keys, raw)}
    out[keys[0]] += total - sum(out.values())
    return {k: v for k, v in out.items() if v}


def hand_made_stats():
    """A 30-day, three-wave campaign of 2,000 vehicles, as ota_campaign_stats shapes it."""
    rnd = random.Random(11)
    mix = {"succeeded": 60, "failed": 6, "declined": 3, "expired": 1, "installing": 2, "downloading": 3,
           "deferred": 4, "notified": 6, "queued": 5, "pending": 10}
    waves, total = [], {}
    for i, n in enumerate((100, 500, 1400)):
        by = split(n, mix if i < 2 else dict(mix, pending=40, succeeded=30), rnd)
        waves.append({"index": i, "targets": n, "opened": T0 + i * 5 * 86400, "by-state": by})
        for k, v in by.items():
            total[k] = total.get(k, 0) + v
    targets = sum(w["targets"] for w in waves)

    def groups(names):
        out = {name: {} for name in names}
        for state, n in total.items():
            for name, k in split(n, {name: 1 + j for j, name in enumerate(names)}, rnd).items() if n else []:
                out[name][state] = k
        return {k: v for k, v in out.items() if v}

    fails = total["failed"]
    reasons = split(fails, {"download": 5, "install": 3, "timeout": 4, "power": 1, "verification": 1}, rnd)
    failures = {}
    for reason, n in reasons.items():
        codes = {"none": 1} if reason == "timeout" else {"17": 3, "42": 2, "7": 1}
        failures[reason] = split(n, codes, rnd)
    timeline, left = [], dict(notified=targets - total.get("pending", 0) - total.get("queued", 0),
                              succeeded=total["succeeded"], failed=fails)
    hours = 30 * 24
    for h in range(hours):
        row = [T0 // 3600 + h]
        for key in ("notified", "succeeded", "failed"):
            n = left[key] if h == hours - 1 else min(left[key], rnd.randint(0, 2 * left[key] // max(hours - h, 1) + 1))
            left[key] -= n
            row.append(n)
        if any(row[1:]):
            timeline.append(row)
    final = total["succeeded"] + total["failed"] + total["declined"] + total["expired"]
    bounds = [60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 172_800, 259_200, 432_000,
              604_800, 1_209_600, 2_592_000]
    counts = [0, 2, 9, 30, 80, 150, 190, 130, 60, 40, 12, 5, 3, 1, 0, 0, 0]
    for s in STATES:
        total.setdefault(s, 0)      # the top level lists every state, zeros included
    return {
        "campaign": 3, "state": "running", "at": T0 + 20 * 86400, "targets": targets, "final": final,
        "by-state": total, "waves": waves,
        "by-market": groups(["DE", "FR", "IT", "JP", "US"]), "by-region": groups(["EU", "APAC", "NA"]),
        "by-model": groups(["Aurora comfort", "Aurora sport", "Boreal"]),
        "failures": failures, "progress": final * 10000 // targets, "success": total["succeeded"] * 10000 // targets,
        "time-to-success": {"bounds": bounds, "counts": counts},
        "median-time-to-success": 14_400, "timeline": timeline,
    }


CAMPAIGN = {"id": 3, "state": "running", "author": "cam", "approved-by": "abe", "targets": 2000, "seed": 99,
            "spec": {"name": "BCM door-unlock fix EU", "category": "bugfix", "urgency": "immediate",
                     "packages": [5], "end": T0 + 30 * 86400,
                     "waves": [{"share": 5, "success-gate": 90, "failure-threshold": 10},
                               {"share": 25, "success-gate": 95, "failure-threshold": 5},
                               {"share": 70, "success-gate": 95, "failure-threshold": 5}]},
            "history": [{"state": "draft", "actor": "cam", "at": T0 - 86400},
                        {"state": "approved", "actor": "abe", "at": T0 - 3600},
                        {"state": "running", "actor": "cam", "at": T0}]}


# -- reading pages back ---------------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """The elements of a page: data-stat numbers with their text, SVG shapes, scripts and
    external references."""

    def __init__(self, text):
        super().__init__()
        self.stats, self.tags, self.external = {}, [], []
        self._open = []   # (path, text parts) of data-stat elements being read
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for key in ("src", "href"):
            if a.get(key) and not a[key].startswith(("#", "data:")):
                self.external.append(a[key])
        if "data-stat" in a:
            self._open.append((a["data-stat"], a.get("data-value"), []))

    def handle_endtag(self, tag):
        if tag == "span" and self._open:
            path, value, parts = self._open.pop()
            self.stats.setdefault(path, []).append(("".join(parts).strip(), value))

    def handle_data(self, data):
        for _, _, parts in self._open:
            parts.append(data)

    def find(self, tag, **attrs):
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


def lookup(doc, path):
    """The value at a data-stat path ("by-market.DE.succeeded", "failures.download.17")."""
    parts = path.split(".")
    node = doc
    while parts:
        if isinstance(node, list):
            node = node[int(parts.pop(0))]
            continue
        for take in range(len(parts), 0, -1):   # keys may hold dots
            key = ".".join(parts[:take])
            for k in (key, int(key) if re.fullmatch(r"-?\d+", key) else None):
                if k is not None and k in node:
                    node = node[k]
                    parts = parts[take:]
                    break
            else:
                continue
            break
        else:
            raise KeyError(path)
    return node


def expected(stats, path):
    """What the page must say for a data-stat path, computed from the document."""
    head, _, rest = path.partition(".")
    by = stats["by-state"]
    if path == "active":
        return sum(by.get(s, 0) for s in ACTIVE)
    if path == "waiting":
        return by.get("queued", 0) + by.get("pending", 0)
    if head == "timeline-total":
        col = {"notified": 1, "succeeded": 2, "failed": 3}[rest]
        return sum(r[col] for r in stats["timeline"])
    if head == "failures-total":
        return sum(stats["failures"][rest].values())
    try:
        v = lookup(stats, path)
    except KeyError:
        return 0                     # a state with no targets is shown as 0
    if isinstance(v, dict):          # a group: its total
        return sum(v.values())
    if path.endswith(("succeeded", "failed")) and v is None:
        return 0
    return v


def number(text):
    return float(text.replace(",", "").rstrip("%"))


def check_numbers(page, stats):
    assert page.stats, "no data-stat numbers on the page"
    for path, shown in page.stats.items():
        for text, raw in shown:
            want = expected(stats, path)
            if path in ("progress", "success"):
                assert number(text) == pytest.approx(share_percent(want), abs=0.05), path
            elif path == "median-time-to-success":
                assert raw == str(want), path
            else:
                assert number(text) == want, f"{path}: page says {text}, statistics {want}"
    # everything that matters is on the page
    for s, n in stats["by-state"].items():
        assert f"by-state.{s}" in page.stats
    for i, w in enumerate(stats["waves"]):
        assert f"waves.{i}.targets" in page.stats
    for reason, codes in stats["failures"].items():
        for code in codes:
            assert f"failures.{reason}.{code}" in page.stats
    for key in ("by-market", "by-region", "by-model"):
        for name in stats.get(key) or {}:
            assert f"{key}.{name}" in page.stats


def check_charts(page, stats):
    assert page.find("svg", id="progress-chart"), "no progress chart"
    series = {a["data-series"]: a for a in page.find("polyline")}
    assert set(series) == {"notified", "succeeded", "failed"}
    rows = timeline_points(stats["timeline"])
    for col, name in enumerate(("notified", "succeeded", "failed"), start=1):
        assert int(series[name]["data-total"]) == sum(r[col] for r in rows)
        assert len(series[name]["points"].split()) == len(rows) + 1
    segments = [a for a in page.find("rect") if a.get("class") == "seg"]
    assert {a["data-state"] for a in segments} >= {s for s, n in stats["by-state"].items() if n}
    assert len([a for a in page.find("svg") if a.get("class") == "hbar"]) == len(stats["failures"])


# -- Chromium -------------------------------------------------------------------------------

def chromium(*args, timeout=120):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--hide-scrollbars", "--no-first-run", "--disable-extensions", "--disable-background-networking",
           "--user-data-dir=/tmp/libota-test-chromium", *args]
    return subprocess.run(cmd, capture_output=True, timeout=timeout)


def png_pixels(data):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and color in (2, 6)
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


def render_and_check(tmp_path, stats, campaign, name="dashboard"):
    page_path = tmp_path / f"{name}.html"
    text = render(stats, campaign, now=T0 + 86400)
    page_path.write_text(text, encoding="utf-8")
    own = Page(text)
    assert own.external == [] and not own.find("script") and "@import" not in text and "url(" not in text
    check_numbers(own, stats)
    check_charts(own, stats)

    dom = chromium("--dump-dom", page_path.as_uri())
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    seen = Page(dom.stdout.decode())
    check_numbers(seen, stats)
    check_charts(seen, stats)

    shot = tmp_path / f"{name}.png"
    p = chromium(f"--screenshot={shot}", "--window-size=1280,2200", page_path.as_uri())
    assert p.returncode == 0 and shot.exists(), p.stderr.decode(errors="replace")[-2000:]
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1280, 2200)
    colors = {px for row in rows[::8] for px in row[::8]}
    assert len(colors) > 50, "the screenshot is (nearly) blank"
    # the chart lines and the state colours were painted
    for hexcolor in ("2e9e5b", "d64545", "17212e"):
        rgb = tuple(bytes.fromhex(hexcolor))
        assert any(px == rgb for row in rows[::2] for px in row), f"#{hexcolor} not on the screenshot"
    return shot


@needs_chromium
def test_dashboard_from_a_hand_made_statistics_document(tmp_path):
    stats = hand_made_stats()
    assert sum(stats["by-state"].values()) == stats["targets"]
    from libota.shards import histogram_median
    assert histogram_median(stats["time-to-success"]) == stats["median-time-to-success"]
    shot = render_and_check(tmp_path, stats, CAMPAIGN)
    keep = Path(__file__).resolve().parents[2] / "build" / "dashboard-test.png"
    if keep.parent.is_dir():
        shutil.copy(shot, keep)   # for people to look at


def test_dashboard_without_activity_or_campaign_document():
    stats = {"campaign": 9, "state": "approved", "targets": 0, "by-state": {}, "waves": [], "failures": {},
             "timeline": [], "progress": 0, "success": 0, "median-time-to-success": None}
    text = render(stats)
    assert "No activity yet." in text and "No failures." in text and "campaign 9" in text
    check_numbers(Page(text), stats)


def test_dashboard_escapes_what_it_shows():
    stats = hand_made_stats()
    stats["by-market"] = {"<b>XX</b>": {"succeeded": 1}}
    campaign = dict(CAMPAIGN, spec=dict(CAMPAIGN["spec"], name="<script>alert(1)</script>"))
    text = render(stats, campaign)
    assert "<script>" not in text and "&lt;script&gt;" in text and "&lt;b&gt;XX&lt;/b&gt;" in text
    # and were escaping ever to slip, the page's policy runs no script and loads nothing
    head = text.split("</head>")[0]
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">' in head


@needs_chromium
@needs_campaigns
def test_dashboard_from_a_real_store(tmp_path, db_path):
    with libota.Store(db_path, bootstrap_admin="root", now=T0, actor="root") as s:
        people(s)
        s.fleet.import_snapshot(fleet_snapshot(40), actor="erin", now=T0 + 1)
        pkg = released_package(s, tmp_path)
        c = s.campaigns.create(campaign_spec(pkg.id), actor="cam", now=T0 + 100)
        c.approve(actor="root", now=T0 + 101)
        c.start(actor="cam", now=T0 + 102)
        c.step(actor="cam", now=T0 + 103)
        notified = [r["vin"] for r in c.rows() if r["state"] == "notified"]
        s.ingest_batch([(status_topic(v), installed_report(v, c.id, 1)) for v in notified[1:]], actor="gus",
                       now=T0 + 3700)
        s.ingest(status_topic(notified[0]), report(notified[0], c.id, 1, "failed", reason="install", code=42),
                 actor="gus", now=T0 + 7300)
        stats, info = c.stats(now=T0 + 8000), c.info()
    render_and_check(tmp_path, stats, info, "real")
