# Reads the lines of walk_cbor, libcbor_stream and resolve_bench for one file and prints each
# resolve figure next to the two baselines measured in the same run, with the ratios.
function best(key, ns) { if (!(key in min) || ns < min[key]) min[key] = ns }
{
  for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  if ($1 == "walk") best("walk", f["ns"])
  else if ($1 == "libcbor_stream") best("libcbor", f["ns"])
  else if ($1 == "resolve") { rule[++n] = f["rule"]; t[f["rule"]] = f["ns"]; targets[f["rule"]] = f["targets"] }
}
END {
  printf "  baselines (best of 3): plain C walk of every item %.0f ms, libcbor stream decode %.0f ms\n", min["walk"] / 1e6, min["libcbor"] / 1e6
  for (i = 1; i <= n; i++) {
    r = rule[i]
    printf "  resolve %-13s %4.0f ms (%7d targets): vs walk %.2fx%s, vs libcbor %.2fx%s\n", r, t[r] / 1e6, targets[r], \
      min["walk"] / t[r], r == "selective" ? " (target >= 1)" : "", \
      min["libcbor"] / t[r], r == "selective" ? " (target >= 3)" : ""
  }
}
