# The campaign figures beside their baselines (campaign.mk). Input lines: "name k=v ...".
{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[$1, kv[1]] = kv[2] } }
function ms(ns) { return ns / 1e6 }
END {
    n = v["campaign-define", "targets"]; s = v["small-define", "targets"]
    c = v["campaign-define", "create_ns"]; va = v["campaign-define", "validate_ns"]; a = v["campaign-define", "approve_ns"]
    lib = c + va + a
    ex = v["campaign-define-baseline", "export_ns"]; rs = v["campaign-define-baseline", "resolve_ns"]
    ins = v["campaign-define-baseline", "insert_ns"]; base = ex + rs + ins
    printf "define %d targets: libota %.0f ms (create %.1f, validate %.0f, approve %.0f)\n", n, ms(lib), ms(c), ms(va), ms(a)
    printf "  baseline %.0f ms (export %.0f + ota_resolve %.0f + plain insert of %d target and target-ECU rows %.0f): ratio %.2fx (target <= 1.5x)\n", \
        ms(base), ms(ex), ms(rs), v["campaign-define-baseline", "targets"], ms(ins), lib / base

    st = v["campaign-notify", "step_ns"]; sg = v["campaign-notify-baseline", "sign_ns"]; oi = v["campaign-notify-baseline", "insert_ns"]
    printf "notify step (%d offers, %d outbox messages): libota %.0f ms\n", v["campaign-notify", "notified"], v["campaign-notify", "messages"], ms(st)
    printf "  baseline %.0f ms (crypto_sign_detached of %d payloads up to %d bytes %.0f + plain insert of the outbox rows %.0f): ratio %.2fx\n", \
        ms(sg + oi), v["campaign-notify-baseline", "messages"], v["campaign-notify-baseline", "bytes"], ms(sg), ms(oi), st / (sg + oi)

    il = v["campaign-idle", "per_step_ns"]; is = v["small-idle", "per_step_ns"]
    printf "idle step (mean of %d): %.1f us on %d targets, %.1f us on %d: ratio %.2fx (target <= 2x); %.3f%% of the notify step (target < 1%%)\n", \
        v["campaign-idle", "steps"], il / 1e3, n, is / 1e3, s, il / is, 100 * il / st

    bl = v["ingest-batch-libota", "reports"] / v["ingest-batch-libota", "ns"] * 1e9
    bb = v["ingest-batch-baseline", "reports"] / v["ingest-batch-baseline", "ns"] * 1e9
    printf "batched ingestion of %d reports (batches of %d, synchronous commit): libota %.0f reports/s (%.1f s), plain SQL %.0f reports/s (%.1f s): ratio %.2f (target >= 0.50)\n", \
        v["ingest-batch-libota", "reports"], v["ingest-batch-libota", "batch"], bl, v["ingest-batch-libota", "ns"] / 1e9, \
        bb, v["ingest-batch-baseline", "ns"] / 1e9, bl / bb
    sl = v["ingest-single-libota", "ns"] / v["ingest-single-libota", "reports"]
    sb = v["ingest-single-baseline", "ns"] / v["ingest-single-baseline", "reports"]
    printf "single-report ingestion (%d, synchronous = FULL): libota %.2f ms per report, plain SQL %.2f ms: ratio %.2fx (reference)\n", \
        v["ingest-single-libota", "reports"], sl / 1e6, sb / 1e6, sl / sb

    tl = v["campaign-stats", "per_call_ns"]; ts = v["small-stats", "per_call_ns"]
    printf "ota_campaign_stats (mean of %d): %.1f us on %d targets (%d bytes), %.1f us on %d: ratio %.2fx (target <= 2x)\n", \
        v["campaign-stats", "calls"], tl / 1e3, n, v["campaign-stats", "bytes"], ts / 1e3, s, tl / ts
}
