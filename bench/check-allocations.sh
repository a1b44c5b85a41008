#!/usr/bin/env bash
# CI guard: the lookup, policy and parse benchmarks must allocate 0 bytes per operation.
# Runs them with the fast job (1 warm-up, 3 iterations) at 1 M registered IMEIs (IMEIEIR_BENCH_SIZES to change),
# then reads the 'Allocated' column of BenchmarkDotNet's CSV reports (sizes exported in plain bytes).
# Exits non-zero if a benchmark failed (a wrong verdict fails the policy setup), allocated, or did not report.
# Usage: bench/check-allocations.sh [artifacts-dir]     (takes about 2-3 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-$(mktemp -d)}"

dotnet build bench/ImeiEir.Benchmarks -c Release --nologo -v q
IMEIEIR_BENCH_FAST=1 IMEIEIR_BENCH_SIZES="${IMEIEIR_BENCH_SIZES:-1000000}" \
  dotnet bench/ImeiEir.Benchmarks/bin/Release/net10.0/ImeiEir.Benchmarks.dll \
  --filter '*LookupBenchmarks*' '*PolicyBenchmarks*' '*ParseBenchmarks*' --artifacts "$out"

shopt -s nullglob
reports=("$out"/results/*-report.csv)
if [ "${#reports[@]}" -lt 3 ]; then
  echo "check-allocations: expected 3 CSV reports in $out/results, found ${#reports[@]}" >&2
  exit 1
fi

# mawk has no FPAT: split fields by hand, honouring quotes ("1,234 ns").
awk '
function split_csv(line,    i, c, quoted, field, n) {
  n = 0; field = ""; quoted = 0
  for (i = 1; i <= length(line); i++) {
    c = substr(line, i, 1)
    if (c == "\"") { quoted = !quoted; continue }
    if (c == "," && !quoted) { f[++n] = field; field = ""; continue }
    field = field c
  }
  f[++n] = field
  return n
}
FNR == 1 {
  n = split_csv($0); col = 0; method = 0; size = 0
  for (i = 1; i <= n; i++) {
    if (f[i] == "Allocated") col = i
    if (f[i] == "Method") method = i
    if (f[i] == "Imeis") size = i
  }
  if (col == 0) { print "no Allocated column in " FILENAME; bad = 1 }
  next
}
{
  split_csv($0); rows++
  v = f[col]; name = f[method] (size ? " @" f[size] : "")
  if (v == "-" || v == "0 B" || v == "0") { printf "ok        %-40s %s\n", name, v }
  else { printf "ALLOCATES %-40s %s\n", name, v; bad = 1 }
}
END {
  if (rows == 0) { print "no benchmark rows"; bad = 1 }
  exit bad
}' "${reports[@]}"
echo "check-allocations: lookup, policy and parse benchmarks allocate 0 B per operation"
