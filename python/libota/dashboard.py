"""A campaign's dashboard as one self-contained HTML page (no network, no scripts, no web
fonts: inline CSS and SVG), from its statistics document (ota_campaign_stats) and its
campaign document (ota_campaign_get).

    page = render(store.stats(3), store.campaigns.get(3).info())

Every number taken from the statistics sits in an element with a `data-stat` attribute
naming where it comes from ("by-state.succeeded", "waves.1.targets",
"failures.download.17"), so a test (or a scraper) can check the page against the document.
"""
from __future__ import annotations

import html
import time
from typing import Any, Iterable, Optional, Sequence

# Target states in pipeline order; the first four are the headline groups of tables.
ORDER = ("succeeded", "failed", "declined", "expired", "cancelled", "installing", "downloaded",
         "downloading", "accepted", "deferred", "notified", "queued", "pending")
ACTIVE = ("installing", "downloaded", "downloading", "accepted", "deferred", "notified")
COLORS = {
    "succeeded": "#2e9e5b", "failed": "#d64545", "declined": "#9b7bd1", "expired": "#b08a4a",
    "cancelled": "#8d8d8d", "installing": "#1f6fc5", "downloaded": "#3d86d6", "downloading": "#5b9be0",
    "accepted": "#7fb2ea", "deferred": "#e0a43a", "notified": "#a9cbf2", "queued": "#cfd8e3",
    "pending": "#e6eaf0",
}
SERIES = (("notified", "#5b9be0"), ("succeeded", "#2e9e5b"), ("failed", "#d64545"))

CSS = """
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#1d2733;background:#f3f5f8}
header{background:#17212e;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;font-weight:600}
header .meta{color:#b8c4d3;margin-top:4px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;vertical-align:middle;margin-left:10px}
.badge.running{background:#1f6fc5}.badge.paused{background:#e0a43a;color:#1d2733}.badge.completed{background:#2e9e5b}
.badge.aborted{background:#d64545}.badge.draft,.badge.approved,.badge.scheduled{background:#5c6b7d}
main{padding:20px 28px;display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:18px}
section{background:#fff;border-radius:8px;padding:16px 18px;box-shadow:0 1px 3px rgba(20,30,45,.12)}
section.wide{grid-column:1/-1}
h2{margin:0 0 10px;font-size:15px;font-weight:600;color:#394a5e}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{flex:1 1 130px;background:#f6f8fb;border-radius:6px;padding:10px 14px;border-left:4px solid #5c6b7d}
.card .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.card .k{color:#5c6b7d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card.good{border-color:#2e9e5b}.card.bad{border-color:#d64545}.card.busy{border-color:#1f6fc5}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;text-align:left;border-bottom:1px solid #e6eaf0;white-space:nowrap}
th{font-weight:600;color:#5c6b7d;font-size:12px}
td.n,th.n{text-align:right}
td.reason{white-space:normal}
td.bar{width:45%}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;margin:8px 0 0;font-size:12px;color:#394a5e}
.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;vertical-align:-1px}
svg text{font:11px system-ui,-apple-system,"DejaVu Sans",sans-serif;fill:#5c6b7d}
.empty{color:#8d8d8d;font-style:italic}
footer{padding:0 28px 20px;color:#8d8d8d;font-size:12px}
"""


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def num(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.2f}"
    return f"{int(v):,}"


def stat(path: str, value: Any, text: Optional[str] = None) -> str:
    """A number with its source in the statistics document."""
    return f'<span data-stat="{esc(path)}" data-value="{esc(value)}">{esc(text if text is not None else num(value))}</span>'


def share_percent(v: Any) -> Optional[float]:
    """A share as a percent. libota gives shares in basis points (integers, 1 % = 100,
    docs/schemas/campaign-stats.cddl); a float is taken as a fraction (0-1) or a percent."""
    if v is None or isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v / 100
    x = float(v)
    return x * 100 if x <= 1 else x


def fmt_time(t: Any) -> str:
    if not isinstance(t, int):
        return "-" if t is None else str(t)
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(t))


def fmt_duration(seconds: Any) -> str:
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s / 3600:.1f} h".replace(".0 h", " h")
    return f"{s / 86400:.1f} days".replace(".0 days", " days")


def short_duration(seconds: Any) -> str:
    """A compact duration for axis labels: "45m", "8h", "1.3d"."""
    if seconds is None:
        return "-"
    s = int(seconds)
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s / 3600:.3g}h"
    return f"{s / 86400:.2g}d"


def states_of(counts: dict) -> list[str]:
    """The states present in counts, in pipeline order (unknown ones last, sorted)."""
    known = [s for s in ORDER if s in counts]
    return known + sorted(s for s in counts if s not in ORDER)


# -- SVG pieces -------------------------------------------------------------------------------

def stacked_bar(counts: dict, width: int = 320, height: int = 14, label: str = "") -> str:
    """One horizontal bar split by state."""
    total = sum(counts.values())
    parts = [f'<svg class="stacked" role="img" aria-label="{esc(label)}" width="100%" height="{height}" '
             f'viewBox="0 0 {width} {height}" preserveAspectRatio="none">',
             f'<rect width="{width}" height="{height}" fill="#eef1f5" rx="2"/>']
    x = 0.0
    for s in states_of(counts):
        n = counts[s]
        if not n or not total:
            continue
        w = width * n / total
        parts.append(f'<rect class="seg" data-state="{esc(s)}" x="{x:.2f}" width="{w:.2f}" height="{height}" '
                     f'fill="{COLORS.get(s, "#777")}"><title>{esc(s)}: {n:,}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def timeline_points(timeline: Sequence[Sequence[Any]]) -> list[tuple[int, int, int, int]]:
    """Timeline rows as (time in seconds, notified, succeeded, failed), sorted; an hour is
    taken as Unix seconds when large, else as hours since 1970."""
    rows = []
    for r in timeline or []:
        if len(r) < 4:
            continue
        h = int(r[0])
        t = h if h >= 100_000_000 else h * 3600
        rows.append((t, int(r[1]), int(r[2]), int(r[3])))
    rows.sort()
    return rows


def nice_ceiling(v: float) -> int:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 x 10^k) at or above v, so
    the four grid lines get round labels."""
    scale = 1
    while scale * 10 <= v:
        scale *= 10
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if m * scale >= v:
            return max(int(m * scale), 4)
    return int(10 * scale)


def progress_chart(timeline: Sequence[Sequence[Any]], targets: int, width: int = 960, height: int = 300) -> str:
    """Cumulative notified, succeeded and failed per hour, as lines over time."""
    rows = timeline_points(timeline)
    if not rows:
        return '<p class="empty" id="progress-chart-empty">No activity yet.</p>'
    left, right, top, bottom = 58, 16, 12, 34
    pw, ph = width - left - right, height - top - bottom
    t0, t1 = rows[0][0], rows[-1][0] + 3600
    cum = [[0, 0, 0]]
    times = [t0]
    for t, n, s, f in rows:
        c = cum[-1]
        cum.append([c[0] + n, c[1] + s, c[2] + f])
        times.append(t + 3600)
    peak = max(max(c) for c in cum)
    if targets and peak <= targets <= peak * 1.6:
        peak = targets  # the target count in view when it is near
    ymax = nice_ceiling(max(peak, 1))

    def X(t):
        return left + pw * (t - t0) / max(t1 - t0, 1)

    def Y(v):
        return top + ph - ph * v / ymax

    out = [f'<svg id="progress-chart" role="img" aria-label="progress over time" width="100%" '
           f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">']
    # grid and y labels
    for i in range(5):
        v = ymax * i / 4
        y = Y(v)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6eaf0"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(num(round(v)))}</text>')
    # x labels: days when the span is long, hours otherwise
    span = t1 - t0
    step = 86400 if span > 2 * 86400 else 3600 * max(1, span // 3600 // 8)
    ticks = max(1, span // step)
    every = max(1, ticks // 10)
    for k in range(0, ticks + 1, every):
        t = t0 + k * step
        x = X(t)
        label = f"day {k + 1}" if step == 86400 else time.strftime("%H:%M", time.gmtime(t))
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + ph}" y2="{top + ph + 4}" stroke="#8d8d8d"/>')
        out.append(f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle">{esc(label)}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#8d8d8d"/>')
    if targets and targets <= ymax:
        y = Y(targets)
        out.append(f'<line class="targets-line" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#394a5e" stroke-dasharray="4 4"/>')
        out.append(f'<text x="{width - right}" y="{y - 4:.1f}" text-anchor="end">targets {esc(num(targets))}</text>')
    for i, (name, color) in enumerate(SERIES):
        pts = " ".join(f"{X(t):.1f},{Y(c[i]):.1f}" for t, c in zip(times, cum))
        out.append(f'<polyline class="series" data-series="{name}" data-total="{cum[-1][i]}" fill="none" '
                   f'stroke="{color}" stroke-width="2.2" stroke-linejoin="round" points="{pts}"/>')
    out.append("</svg>")
    legend = "".join(f'<span><i style="background:{c}"></i>{esc(n)} (cumulative): '
                     f'{stat("timeline-total." + n, cum[-1][i])}</span>' for i, (n, c) in enumerate(SERIES))
    return "".join(out) + f'<div class="legend">{legend}</div>'


def hbar_rows(items: Iterable[tuple[str, int]], path: str, color: str, width: int = 300) -> str:
    items = list(items)
    peak = max((n for _, n in items), default=0) or 1
    rows = []
    for name, n in items:
        w = width * n / peak
        rows.append(f'<tr><td>{esc(name)}</td><td class="n">{stat(f"{path}.{name}", n)}</td>'
                    f'<td class="bar"><svg class="hbar" width="100%" height="12" viewBox="0 0 {width} 12" '
                    f'preserveAspectRatio="none"><rect width="{w:.2f}" height="12" rx="2" fill="{color}"/></svg></td></tr>')
    return "".join(rows)


def legend(states: Iterable[str]) -> str:
    return '<div class="legend">' + "".join(
        f'<span><i style="background:{COLORS.get(s, "#777")}"></i>{esc(s)}</span>' for s in states) + "</div>"


# -- sections ---------------------------------------------------------------------------------

def headline(st: dict) -> str:
    by = st.get("by-state") or {}
    active = sum(by.get(s, 0) for s in ACTIVE)
    waiting = by.get("queued", 0) + by.get("pending", 0)
    prog, succ = share_percent(st.get("progress")), share_percent(st.get("success"))
    cards = [
        ("targets", stat("targets", st.get("targets", 0)), ""),
        ("succeeded", stat("by-state.succeeded", by.get("succeeded", 0)), "good"),
        ("failed", stat("by-state.failed", by.get("failed", 0)), "bad"),
        ("in progress", stat("active", active), "busy"),
        ("waiting", stat("waiting", waiting), ""),
        ("progress (final)", stat("progress", st.get("progress"), "-" if prog is None else f"{prog:.1f}%"), ""),
        ("success", stat("success", st.get("success"), "-" if succ is None else f"{succ:.1f}%"), "good"),
        ("median time to success", stat("median-time-to-success", st.get("median-time-to-success"),
                                        fmt_duration(st.get("median-time-to-success"))), ""),
    ]
    body = "".join(f'<div class="card {cls}"><div class="v">{v}</div><div class="k">{esc(k)}</div></div>'
                   for k, v, cls in cards)
    return f'<section class="wide" id="headline"><div class="cards">{body}</div>' \
           f'<div style="margin-top:12px">{stacked_bar(by, 1000, 18, "targets by state")}</div>' \
           f'{legend(states_of(by))}</section>'


def states_section(st: dict) -> str:
    by = st.get("by-state") or {}
    rows = "".join(f'<tr><td><i style="display:inline-block;width:10px;height:10px;border-radius:2px;'
                   f'background:{COLORS.get(s, "#777")};margin-right:6px"></i>{esc(s)}</td>'
                   f'<td class="n">{stat("by-state." + s, by[s])}</td></tr>' for s in states_of(by))
    return f'<section id="states"><h2>Targets by state</h2><table><tr><th>state</th><th class="n">targets</th></tr>' \
           f'{rows}</table></section>'


def waves_section(st: dict, spec: dict) -> str:
    waves = st.get("waves") or []
    if not waves:
        return '<section id="waves"><h2>Waves</h2><p class="empty">No waves.</p></section>'
    specs = spec.get("waves") or []
    rows = []
    for i, w in enumerate(waves):
        by = w.get("by-state") or {}
        idx = w.get("index", i)
        ws = specs[idx] if isinstance(idx, int) and 0 <= idx < len(specs) else {}
        gate = ws.get("success-gate")
        size = f"{ws['share']}%" if "share" in ws else (f"{ws['count']:,}" if "count" in ws else "rest")
        opened = fmt_time(w.get("opened")) if w.get("opened") is not None else "not open"
        rows.append(f'<tr class="wave"><td>wave {esc(idx)}</td><td>{esc(size) if ws else "-"}</td>'
                    f'<td class="n">{stat(f"waves.{i}.targets", w.get("targets", 0))}</td>'
                    f'<td class="n">{stat(f"waves.{i}.by-state.succeeded", by.get("succeeded", 0))}</td>'
                    f'<td class="n">{stat(f"waves.{i}.by-state.failed", by.get("failed", 0))}</td>'
                    f'<td>{esc(str(gate) + "%") if gate is not None else "-"}</td><td>{esc(opened)}</td>'
                    f'<td class="bar">{stacked_bar(by, label=f"wave {idx}")}</td></tr>')
    head = ('<tr><th>wave</th><th>size</th><th class="n">targets</th><th class="n">succeeded</th>'
            '<th class="n">failed</th><th>gate</th><th>opened</th><th>progress</th></tr>')
    return f'<section class="wide" id="waves"><h2>Waves</h2><table>{head}{"".join(rows)}</table></section>'


def failures_section(st: dict) -> str:
    failures = st.get("failures") or {}
    if not failures:
        return '<section id="failures"><h2>Failures by reason and code</h2><p class="empty">No failures.</p></section>'
    totals = sorted(((r, sum(c.values())) for r, c in failures.items()), key=lambda x: (-x[1], x[0]))
    bars = hbar_rows(totals, "failures-total", COLORS["failed"])
    codes = "".join(f'<tr><td>{esc(r)}</td><td>{esc(code)}</td><td class="n">{stat(f"failures.{r}.{code}", n)}</td></tr>'
                    for r, _ in totals
                    for code, n in sorted(failures[r].items(), key=lambda kv: (-kv[1], str(kv[0]))))
    return (f'<section id="failures"><h2>Failures by reason and code</h2>'
            f'<table><tr><th>reason</th><th class="n">failed</th><th></th></tr>{bars}</table>'
            f'<table style="margin-top:10px"><tr><th>reason</th><th>code</th><th class="n">targets</th></tr>{codes}</table>'
            f'</section>')


def groups_section(st: dict, key: str, title: str) -> str:
    groups = st.get(key) or {}
    if not groups:
        return ""
    items = sorted(groups.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rows = "".join(
        f'<tr><td>{esc(name)}</td><td class="n">{stat(f"{key}.{name}", sum(c.values()))}</td>'
        f'<td class="n">{stat(f"{key}.{name}.succeeded", c.get("succeeded", 0))}</td>'
        f'<td class="n">{stat(f"{key}.{name}.failed", c.get("failed", 0))}</td>'
        f'<td class="bar">{stacked_bar(c, label=f"{title} {name}")}</td></tr>' for name, c in items)
    return (f'<section id="{esc(key)}"><h2>By {esc(title)}</h2><table><tr><th>{esc(title)}</th>'
            f'<th class="n">targets</th><th class="n">succeeded</th><th class="n">failed</th><th></th></tr>'
            f'{rows}</table></section>')


def histogram_section(st: dict) -> str:
    hist = st.get("time-to-success")
    buckets = []
    if isinstance(hist, dict) and isinstance(hist.get("counts"), list):
        bounds = hist.get("bounds") or hist.get("buckets") or []
        buckets = [(bounds[i] if i < len(bounds) else None, n) for i, n in enumerate(hist["counts"])]
    elif isinstance(hist, list):
        buckets = [(b[0], b[1]) if isinstance(b, (list, tuple)) and len(b) >= 2 else (None, b) for b in hist]
    buckets = [(b, int(n)) for b, n in buckets if isinstance(n, (int, float))]
    if not buckets or not any(n for _, n in buckets):
        return ""
    width, height = 460, 140
    peak = max(n for _, n in buckets) or 1
    bw = width / len(buckets)
    bars = []
    for i, (b, n) in enumerate(buckets):
        h = (height - 20) * n / peak
        bars.append(f'<rect class="bucket" x="{i * bw + 1:.1f}" y="{height - 20 - h:.1f}" width="{max(bw - 2, 1):.1f}" '
                    f'height="{h:.1f}" fill="#2e9e5b"><title>up to {esc(fmt_duration(b))}: {n:,}</title></rect>')
    every = 1 if len(buckets) <= 12 else 2
    last_bound = next((b for b, _ in reversed(buckets) if b is not None), None)
    for i, (b, _) in enumerate(buckets):
        if i % every and i != len(buckets) - 1:
            continue
        label = f"&le;{esc(short_duration(b))}" if b is not None else f"&gt;{esc(short_duration(last_bound))}"
        last = i == len(buckets) - 1
        bars.append(f'<text x="{width if last else (i + 0.5) * bw:.1f}" y="{height - 4}" '
                    f'text-anchor="{"end" if last else "middle"}">{label}</text>')
    median = st.get("median-time-to-success")
    if median is not None:
        idx = next((i for i, (b, _) in enumerate(buckets) if b is not None and b >= median), len(buckets) - 1)
        x = (idx + 1) * bw if buckets[idx][0] is not None else idx * bw
        bars.append(f'<line class="median" x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height - 18}" stroke="#394a5e" '
                    f'stroke-dasharray="3 3"/><text x="{x + 4:.1f}" y="12">median {esc(fmt_duration(median))}</text>')
    return (f'<section id="time-to-success"><h2>Time from notification to success</h2>'
            f'<svg id="tts-chart" width="100%" viewBox="0 0 {width} {height}">{"".join(bars)}</svg></section>')


def render(stats: dict, campaign: Optional[dict] = None, now: Optional[int] = None) -> str:
    """The dashboard page (HTML text) of a statistics document and, optionally, the campaign
    document (for its name, spec and history)."""
    st = stats or {}
    info = campaign or {}
    spec = info.get("spec") or {}
    cid = st.get("campaign", info.get("id"))
    name = spec.get("name") or f"campaign {cid}"
    state = st.get("state") or info.get("state") or "?"
    meta = [f"campaign {cid}", spec.get("category"), spec.get("urgency"),
            "test campaign" if spec.get("test") else None,
            f"packages {', '.join(str(p) for p in spec.get('packages', []))}" if spec.get("packages") else None,
            f"ends {fmt_time(spec.get('end'))}" if spec.get("end") else None]
    meta_text = " · ".join(esc(m) for m in meta if m)
    generated = fmt_time(now) if now is not None else fmt_time(int(time.time()))
    body = [
        headline(st),
        f'<section class="wide" id="progress"><h2>Progress over time</h2>'
        f'{progress_chart(st.get("timeline") or [], int(st.get("targets") or 0))}</section>',
        waves_section(st, spec),
        states_section(st),
        failures_section(st),
        groups_section(st, "by-market", "market"),
        groups_section(st, "by-region", "region"),
        groups_section(st, "by-model", "model"),
        histogram_section(st),
    ]
    history = info.get("history") or []
    if history:
        rows = "".join(f'<tr><td>{esc(fmt_time(h.get("at")))}</td><td>{esc(h.get("state"))}</td>'
                       f'<td>{esc(h.get("actor"))}</td><td class="reason">{esc(h.get("reason") or "")}</td></tr>'
                       for h in history)
        body.append(f'<section id="history"><h2>History</h2><table><tr><th>at</th><th>state</th><th>actor</th>'
                    f'<th>reason</th></tr>{rows}</table></section>')
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; style-src \'unsafe-inline\'">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f'<title>{esc(name)}: libota campaign dashboard</title><style>{CSS}</style></head><body>'
            f'<header><h1>{esc(name)}<span class="badge {esc(state)}" id="state">{esc(state)}</span></h1>'
            f'<div class="meta">{meta_text}</div></header>'
            f'<main>{"".join(b for b in body if b)}</main>'
            f'<footer>Generated by libota at {esc(generated)} from the campaign statistics.</footer>'
            f'</body></html>\n')
