"""Statistics of stores split by VIN merge into those of the whole (libota.shards,
`libota campaign stats ID --shard FILE`): by hand-made documents now, and two real shard
stores against one store holding the whole fleet once the campaign API exists."""
import copy

import cbor2
import pytest

import libota
from libota.shards import histogram_median, merge_stats

from product_support import (T0, campaign_spec, fleet_snapshot, installed_report, needs_campaigns, people,
                             released_package, report, status_topic, vin)
from test_dashboard import hand_made_stats


def split_doc(doc, share):
    """A statistics document cut in two at `share` of every count (two shards of it)."""
    def cut(v):
        if isinstance(v, dict):
            return {k: cut(x) for k, x in v.items()}
        if isinstance(v, bool) or not isinstance(v, int):
            return v
        return int(v * share)

    a = copy.deepcopy(doc)
    for key in ("by-state", "by-market", "by-region", "by-model", "failures"):
        a[key] = cut(doc[key])
    a["targets"] = sum(a["by-state"].values())
    a["final"] = int(doc["final"] * share)
    a["waves"] = [{"index": w["index"], "opened": w["opened"], "by-state": cut(w["by-state"]),
                   "targets": sum(cut(w["by-state"]).values())} for w in doc["waves"]]
    a["timeline"] = [[r[0]] + [int(x * share) for x in r[1:]] for r in doc["timeline"]]
    a["time-to-success"] = dict(doc["time-to-success"], counts=[int(n * share) for n in doc["time-to-success"]["counts"]])
    b = copy.deepcopy(doc)
    for key in ("by-state", "by-market", "by-region", "by-model", "failures"):
        b[key] = subtract(doc[key], a[key])
    b["targets"] = doc["targets"] - a["targets"]
    b["final"] = doc["final"] - a["final"]
    b["waves"] = [{"index": w["index"], "opened": w["opened"], "by-state": subtract(w["by-state"], aw["by-state"]),
                   "targets": w["targets"] - aw["targets"]} for w, aw in zip(doc["waves"], a["waves"])]
    b["timeline"] = [[r[0]] + [x - y for x, y in zip(r[1:], ra[1:])] for r, ra in zip(doc["timeline"], a["timeline"])]
    b["time-to-success"] = dict(doc["time-to-success"], counts=[x - y for x, y in zip(doc["time-to-success"]["counts"],
                                                                                   a["time-to-success"]["counts"])])
    return a, b


def subtract(whole, part):
    if isinstance(whole, dict):
        return {k: subtract(v, part.get(k, 0 if not isinstance(v, dict) else {})) for k, v in whole.items()}
    return whole - part


def without_zeros(v):
    if isinstance(v, dict):
        return {k: without_zeros(x) for k, x in v.items() if without_zeros(x) not in (0, {})}
    return v


def test_two_halves_merge_into_the_whole():
    whole = hand_made_stats()
    a, b = split_doc(whole, 0.37)
    assert a["targets"] + b["targets"] == whole["targets"]
    merged = merge_stats([a, b])
    assert merged["targets"] == whole["targets"] and merged["final"] == whole["final"]
    assert (merged["progress"], merged["success"]) == (whole["progress"], whole["success"])
    assert merged["at"] == whole["at"]
    for key in ("by-state", "by-market", "by-region", "by-model", "failures"):
        assert without_zeros(merged[key]) == without_zeros(whole[key]), key
    assert [(w["targets"], without_zeros(w["by-state"]), w["opened"]) for w in merged["waves"]] == \
        [(w["targets"], without_zeros(w["by-state"]), w["opened"]) for w in whole["waves"]]
    assert merged["timeline"] == [r for r in whole["timeline"]]
    assert merged["time-to-success"]["counts"] == whole["time-to-success"]["counts"]
    assert merged["median-time-to-success"] == histogram_median(whole["time-to-success"])


def test_histogram_median_reads_the_middle_bucket():
    h = {"bounds": [60, 600, 3600, 86400], "counts": [1, 1, 5, 2]}
    assert histogram_median(h) == 3600
    assert histogram_median({"bounds": [60, 600], "counts": [1, 1]}) == 60
    assert histogram_median({"bounds": [60], "counts": [0]}) is None
    assert histogram_median([[60, 0], [600, 3]]) == 600
    assert histogram_median({"bounds": [60, 300], "counts": [0, 1, 4]}) == 300   # the open last bucket


def test_shards_with_other_buckets_are_refused():
    a, b = hand_made_stats(), hand_made_stats()
    b["time-to-success"] = {"bounds": [1, 2], "counts": [1, 1]}
    with pytest.raises(libota.OTAError) as e:
        merge_stats([a, b])
    assert e.value.code == libota._native.BADINPUT and "buckets" in e.value.message


def test_the_state_of_the_whole_is_its_least_settled_shard():
    a, b = hand_made_stats(), hand_made_stats()
    a["state"], b["state"] = "completed", "paused"
    assert merge_stats([a, b])["state"] == "paused"
    b["state"] = "aborted"
    assert merge_stats([a, b])["state"] == "completed"
    b["state"] = "completed"
    assert merge_stats([a, b])["state"] == "completed"


def test_different_campaigns_do_not_merge_unless_named():
    a, b = hand_made_stats(), hand_made_stats()
    b["campaign"] = 4
    with pytest.raises(libota.OTAError) as e:
        merge_stats([a, b])
    assert "different campaigns (3, 4)" in e.value.message
    assert merge_stats([a, b], campaign=3)["campaign"] == 3


def run_campaign(store, tmp_path, vins_failing):
    """The same campaign over whatever fleet the store holds; returns its stats."""
    pkg = released_package(store, tmp_path)
    # one wave and no threshold: every target is notified at the first step in every store,
    # so the per-hour timeline is the same however the fleet is cut (waves are cut per shard)
    waves = [{"share": 100, "success-gate": 50, "failure-threshold": 100}]
    c = store.campaigns.create(campaign_spec(pkg.id, seed=7, waves=waves), actor="cam", now=T0 + 100)
    c.approve(actor="root", now=T0 + 101)
    c.start(actor="cam", now=T0 + 102)
    for k in range(6):
        c.step(actor="cam", now=T0 + 103 + 86400 * k)
        notified = [r["vin"] for r in c.rows(state="notified")]
        store.ingest_batch([(status_topic(v), report(v, c.id, 1, "failed", reason="install", code=42)
                             if v in vins_failing else installed_report(v, c.id, 1)) for v in notified],
                           actor="gus", now=T0 + 3600 + 86400 * k)
    return c.stats(now=T0 + 7 * 86400)


@needs_campaigns
def test_two_shard_stores_merge_into_one_store(tmp_path):
    n = 40
    snap = cbor2.loads(fleet_snapshot(n))
    failing = {vin(i) for i in range(n) if i % 7 == 3}
    results = {}
    for name, picks in (("whole", range(n)), ("even", range(0, n, 2)), ("odd", range(1, n, 2))):
        part = dict(snap)
        part[3] = [snap[3][i] for i in picks]
        d = tmp_path / name
        d.mkdir()
        with libota.Store(str(d / "ota.db"), bootstrap_admin="root", now=T0, actor="root") as s:
            people(s)
            s.fleet.import_snapshot(cbor2.dumps(part), actor="erin", now=T0 + 1)
            results[name] = run_campaign(s, d, failing)
    merged = merge_stats([results["even"], results["odd"]])
    whole = results["whole"]
    assert set(merged) >= set(whole)
    for key in sorted(set(whole) - {"at"}):
        assert without_zeros(merged[key]) == without_zeros(whole[key]), key
