"""Statistics of stores split by VIN (shards), merged into those of the whole campaign
(docs/scaling.md). A statistics document is built to merge: counts add, per wave, state,
market, region, model, failure reason and code and per hour of the timeline; the time to
success is a histogram with fixed buckets, so the merged histogram is the sum of the shards'
and its median is read from it as from one store's.

    whole = merge_stats([shard.stats(3) for shard in shards])
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from ._native import BADINPUT, OTAError

# When shards disagree, the least settled state wins (completed only when every shard is), as
# the library's own merge (Sources/OTACore/Status/StatsMerge.swift) decides.
STATE_ORDER = ("running", "paused", "scheduled", "approved", "draft", "completed", "aborted")

__all__ = ["merge_stats", "histogram_median"]


def _add_counts(into: dict, counts: dict) -> None:
    for k, v in (counts or {}).items():
        into[k] = into.get(k, 0) + v


def _add_groups(into: dict, groups: dict) -> None:
    for name, counts in (groups or {}).items():
        _add_counts(into.setdefault(name, {}), counts)


def _buckets(hist: Any) -> Optional[list]:
    """A histogram as [[upper bound, count]]: {"bounds": [...], "counts": [...]} or pairs."""
    if isinstance(hist, dict) and isinstance(hist.get("counts"), list):
        bounds = hist.get("bounds") or hist.get("buckets") or []
        return [[bounds[i] if i < len(bounds) else None, n] for i, n in enumerate(hist["counts"])]
    if isinstance(hist, list) and all(isinstance(b, (list, tuple)) and len(b) >= 2 for b in hist):
        return [[b[0], b[1]] for b in hist]
    return None


def _merge_histograms(hists: list) -> Any:
    present = [h for h in hists if h is not None]
    if not present:
        return None
    parsed = [_buckets(h) for h in present]
    if any(p is None for p in parsed) or len({tuple(b for b, _ in p) for p in parsed}) != 1:
        raise OTAError(BADINPUT, "time-to-success histograms of the shards have different buckets; "
                                 "they come from different libota versions")
    counts = [sum(p[i][1] for p in parsed) for i in range(len(parsed[0]))]
    first = present[0]
    if isinstance(first, dict):
        out = dict(first)
        out["counts"] = counts
        return out
    return [[parsed[0][i][0], counts[i]] for i in range(len(counts))]


def histogram_median(hist: Any) -> Optional[int]:
    """The median read from a fixed-bucket histogram as libota reads it: the upper bound of the
    bucket that holds the middle success (the ((n + 1) // 2)-th), the last bound for the open
    last bucket; None with no success."""
    buckets = _buckets(hist)
    if not buckets:
        return None
    total = sum(n for _, n in buckets)
    if total == 0:
        return None
    bounds = [b for b, _ in buckets if b is not None]
    middle, seen = (total + 1) // 2, 0
    for bound, n in buckets:
        seen += n
        if seen >= middle:
            return bound if bound is not None else (bounds[-1] if bounds else None)
    return None


def _weighted(docs: list, key: str, targets: int) -> Any:
    if not targets or any(d.get(key) is None for d in docs):
        return 0
    total = sum(d[key] * d.get("targets", 0) for d in docs)
    return total // targets if all(isinstance(d[key], int) for d in docs) else total / targets


def merge_stats(docs: Iterable[dict], campaign: Any = None) -> dict:
    """The statistics of the whole from those of its shards (each an ota_campaign_stats
    document of the same campaign). `campaign` names the result (default: the first's id)."""
    docs = [d for d in docs if d]
    if not docs:
        raise OTAError(BADINPUT, "no statistics to merge")
    ids = sorted({str(d.get("campaign")) for d in docs})
    if campaign is None and len(ids) > 1:
        raise OTAError(BADINPUT, f"statistics of different campaigns ({', '.join(ids)}) do not merge; "
                                 "pass campaign= to merge them under one id")
    states = {d.get("state") for d in docs}
    out: dict = {
        "campaign": campaign if campaign is not None else docs[0].get("campaign"),
        "state": next((s for s in STATE_ORDER if s in states), docs[0].get("state")),
        "targets": sum(d.get("targets", 0) for d in docs),
        "by-state": {}, "waves": [], "by-market": {}, "by-region": {}, "by-model": {}, "failures": {},
    }
    for d in docs:
        _add_counts(out["by-state"], d.get("by-state"))
        for key in ("by-market", "by-region", "by-model", "failures"):
            _add_groups(out[key], d.get(key))
        for i, w in enumerate(d.get("waves") or []):
            while len(out["waves"]) <= i:
                out["waves"].append({"index": len(out["waves"]), "targets": 0, "opened": None, "by-state": {}})
            mw = out["waves"][i]
            mw["targets"] += w.get("targets", 0)
            _add_counts(mw["by-state"], w.get("by-state"))
            if w.get("opened") is not None and (mw["opened"] is None or w["opened"] < mw["opened"]):
                mw["opened"] = w["opened"]
    if all("at" in d for d in docs):
        out["at"] = max(d["at"] for d in docs)
    # shares are derived again from the summed counts, in basis points as libota writes them
    targets = out["targets"]
    if all("final" in d for d in docs):
        out["final"] = sum(d["final"] for d in docs)
        out["progress"] = out["final"] * 10000 // targets if targets else 0
    else:  # documents without "final": weight each shard's share by its targets
        out["progress"] = _weighted(docs, "progress", targets)
    out["success"] = out["by-state"].get("succeeded", 0) * 10000 // targets if targets else 0
    if any(isinstance(d.get("success"), float) for d in docs):
        out["success"] = _weighted(docs, "success", targets)
    hist = _merge_histograms([d.get("time-to-success") for d in docs])
    out["time-to-success"] = hist
    out["median-time-to-success"] = histogram_median(hist) if hist is not None else None
    hours: dict = {}
    for d in docs:
        for row in d.get("timeline") or []:
            acc = hours.setdefault(row[0], [0] * (len(row) - 1))
            for j, v in enumerate(row[1:]):
                if j < len(acc):
                    acc[j] += v
    out["timeline"] = [[h] + hours[h] for h in sorted(hours)]
    # keys of this libota version that we do not know how to merge are left out, not guessed
    return out
