#!/usr/bin/env bash
# Restart → ready (issue 11 §5): nodes restarted again and again on one Redis holding a steady-state checkpoint (the
# data a `bench/sync.sh` round leaves: bench/.data/sync/<build>-r<n>/redis, copied aside first, as sync.sh empties its
# folder), one build or two alternating (before/after, same run); per start the ms to /readyz 200 and the node's
# "Hydration steps" line (a build that logs it). Medians per build in OUT/restart-summary.md.
#
#   QUICK=1 ROUNDS=1 bench/sync.sh && cp -r bench/.data/sync/after-r1/redis bench/.data/restart-redis
#   BEFORE=bench/.data/artifacts-before ROUNDS=7 bench/restart.sh
#
# Knobs: REDIS_DATA (bench/.data/restart-redis), ROUNDS (5), BEFORE (a build of the base commit, --artifacts-path),
# AFTER (bench/.data/artifacts: this tree, built here), OUT (bench/results).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
REDIS_DATA=${REDIS_DATA:-bench/.data/restart-redis}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-bench/results}
DATA=bench/.data/restart
ARTIFACTS=${AFTER:-bench/.data/artifacts}
BEFORE=${BEFORE:-}
# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools
[[ -d $REDIS_DATA ]] || { echo "no Redis data in $REDIS_DATA (see the header)" >&2; exit 1; }
build_release
BUILDS=(after)
[[ -n $BEFORE ]] && BUILDS=(before after)
dll_of() { [[ $1 == before ]] && echo "$BEFORE/bin/ImeiEir.Server/release/ImeiEir.Server.dll" || echo "$SERVER_DLL"; }
for b in "${BUILDS[@]}"; do [[ -f $(dll_of "$b") ]] || { echo "no server build for $b: $(dll_of "$b")" >&2; exit 1; }; done

rm -rf "$DATA"; mkdir -p "$DATA" "$OUT"
cp -r "$REDIS_DATA" "$DATA/redis"
REDIS=$(lt free-port)
redis-server deploy/redis/redis.conf --port "$REDIS" --bind 127.0.0.1 --dir "$ROOT/$DATA/redis" --save "" --daemonize no >"$DATA/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 600); do [[ $(redis-cli -p "$REDIS" ping 2>/dev/null) == PONG ]] && break; sleep 0.1; done
for _ in $(seq 600); do redis-cli -p "$REDIS" info persistence | grep -q '^loading:0' && break; sleep 0.1; done

RESULTS=$DATA/results.tsv
for r in $(seq "$ROUNDS"); do
  for b in "${BUILDS[@]}"; do
    GRPC=$(lt free-port); ADMIN=$(lt free-port); NODE_LOG=$DATA/$b-r$r.log
    LOAD=$(cut -d' ' -f1 /proc/loadavg)
    T0=$(date +%s%N)
    env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$GRPC" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$ADMIN" \
      Redis__Configuration="127.0.0.1:$REDIS" Auth__Enabled=false Logging__LogLevel__Default=Warning \
      Logging__LogLevel__ImeiEir.Storage=Information dotnet "$(dll_of "$b")" >"$NODE_LOG" 2>&1 &
    NODE=$!; PIDS+=("$NODE")
    READY=""
    for _ in $(seq 6000); do
      [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/readyz") == 200 ]] && { READY=$((($(date +%s%N) - T0) / 1000000)); break; }
      sleep 0.02
    done
    kill "$NODE" 2>/dev/null || true; wait "$NODE" 2>/dev/null || true
    STEPS=$(grep -o 'Hydration steps: .*' "$NODE_LOG" | head -1 || true)
    LOADED=$(grep -o 'subscribers in [0-9]* ms' "$NODE_LOG" | grep -o '[0-9]*' | head -1 || true)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$b" "$r" "${READY:-never}" "${LOADED:-?}" "$LOAD" "$STEPS" | tee -a "$RESULTS"
  done
done

{
  echo "# bench/restart.sh — $(date -u +%F) — $(nproc) cores, $ROUNDS rounds on $REDIS_DATA"
  echo
  echo "| build | ready ms (median) | hydrated ms (median, node's log) | all ready ms |"
  echo "|---|---|---|---|"
  for b in "${BUILDS[@]}"; do
    awk -F'\t' -v b="$b" '$1 == b { print $3 }' "$RESULTS" | sort -n >"$DATA/$b.ready"
    awk -F'\t' -v b="$b" '$1 == b { print $4 }' "$RESULTS" | sort -n >"$DATA/$b.loaded"
    med() { awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' "$1"; }
    echo "| $b | $(med "$DATA/$b.ready") | $(med "$DATA/$b.loaded") | $(paste -sd' ' "$DATA/$b.ready") |"
  done
} | tee "$OUT/restart-summary.md"
