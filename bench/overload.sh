#!/usr/bin/env bash
# Overload figures (issue 12 §3): the peak unary Check rate of a node (closed model, on the node without overload
# control, after a warm-up run per node), then open-model load at that rate and at twice
# it, on a node with overload control (defaults) and on one without (Overload:Enabled=false): p99 of the checks the
# node worked on, the share it shed, medians over ROUNDS rounds. Builds Release, starts a private redis-server and
# two nodes on loopback, seeds a data set, writes bench/results/overload/*.json and overload.md.
#
#   bench/overload.sh                  # ~10 min on a 2-core machine
#   ROUNDS=5 DURATION=20s bench/overload.sh
#
# The load comes from `lt run --client raw`: pre-encoded HTTP/2 frames on sockets, a fifth of the server's CPU per
# call. The gRPC client costs about twice the server's, so on two shared cores it could not offer twice the rate the
# node serves (it would measure its own backlog). Latency is from each call's due time (open model), so calls
# waiting in the client for a free HTTP/2 stream are charged too.
#
# NODE_CPUS / CLIENT_CPUS (e.g. 0 / 1): run the nodes (`taskset`, from their start) and the load client (and Redis) on
# disjoint cores, so the client does not take the node's CPU: the peak is then what the node serves on its cores, and
# twice it is offered by a client with a core of its own (on two shared cores the client fell seconds behind at 2x).
#
# Knobs (environment): DEVICES (300000), ROUNDS (3), WARMUP (5s, closed), OPEN_WARMUP (10s), DURATION (15s),
# CONCURRENCY (256 calls in flight, closed), CHANNELS (2 connections), TICK (500us), OUT (bench/results/overload).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-300000}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5s}
OPEN_WARMUP=${OPEN_WARMUP:-10s}
DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-256}
CHANNELS=${CHANNELS:-2}
TICK=${TICK:-500us}
OUT=${OUT:-bench/results/overload}
NODE_CPUS=${NODE_CPUS:-}
CLIENT_CPUS=${CLIENT_CPUS:-}
DATA=bench/.data/overload
# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools
build_release
rm -rf "$DATA" "$OUT"
mkdir -p "$DATA" "$OUT"
start_redis --appendonly no
[[ -n $CLIENT_CPUS ]] && taskset -a -p -c "$CLIENT_CPUS" "$REDIS_PID" >/dev/null
client() { if [[ -n $CLIENT_CPUS ]]; then taskset -c "$CLIENT_CPUS" dotnet "$LT_DLL" "$@"; else lt "$@"; fi; }

ON_GRPC=$(lt free-port); ON_ADMIN=$(lt free-port)
OFF_GRPC=$(lt free-port); OFF_ADMIN=$(lt free-port)
start_node on "$ON_GRPC" "$ON_ADMIN" # on NODE_CPUS from its start (the runtime sizes its GC and thread pool by them)
ON=http://127.0.0.1:$ON_GRPC
log "seed: $DEVICES devices"
lt seed --target "$ON" --devices "$DEVICES" --mix-file "$DATA/mix.jsonl" --json "$OUT/seed.json" | tail -n 1
start_node off "$OFF_GRPC" "$OFF_ADMIN" Overload__Enabled=false
OFF=http://127.0.0.1:$OFF_GRPC

CMD="bench/overload.sh (${NODE_CPUS:+NODE_CPUS=$NODE_CPUS CLIENT_CPUS=$CLIENT_CPUS }DEVICES=$DEVICES ROUNDS=$ROUNDS WARMUP=$WARMUP OPEN_WARMUP=$OPEN_WARMUP DURATION=$DURATION CONCURRENCY=$CONCURRENCY CHANNELS=$CHANNELS TICK=$TICK)"
LOADS=()
COMMON=(--client raw --channels "$CHANNELS" --mix "$DATA/mix.jsonl" --duration "$DURATION" --no-png)
OPEN=(--model open --tick "$TICK" --warmup "$OPEN_WARMUP" --allow-shed)
median() { jq -s "[.[] | $1] | sort | .[(length / 2 | floor)]" "${@:2}"; }
shed_metrics() { curl -s "http://127.0.0.1:$1/metrics" | grep -E '^imeieir_shed_total' | sed 's/^/  /' || true; }

# Both nodes warmed up first (one closed run each, not counted: tiered compilation, pools), then the peak is what the
# node without overload control serves: a node that sheds under the closed model's standing queue would understate it.
log "warm-up: one closed run per node (not counted)"
client run --target "$ON" "${COMMON[@]}" --concurrency "$CONCURRENCY" --warmup "$WARMUP" --allow-shed --label warm-on --out "$DATA/warm-on" >/dev/null || true
client run --target "$OFF" "${COMMON[@]}" --concurrency "$CONCURRENCY" --warmup "$WARMUP" --label warm-off --out "$DATA/warm-off" >/dev/null || true
log "peak: closed model, $CONCURRENCY calls in flight, $ROUNDS rounds (node without overload control)"
for r in $(seq "$ROUNDS"); do
  LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
  client run --target "$OFF" "${COMMON[@]}" --concurrency "$CONCURRENCY" --warmup "$WARMUP" --label "peak-r$r" --out "$OUT/peak-r$r" | grep "^peak-r$r: [0-9]" || true
done
PEAK=$(median .checksPerSecond "$OUT"/peak-r*.json | cut -d. -f1)
DOUBLE=$((PEAK * 2))
log "peak $PEAK checks/s (median); open model at $PEAK and $DOUBLE, with and without overload control"

for r in $(seq "$ROUNDS"); do
  for spec in "on-peak $ON $PEAK" "on-2x $ON $DOUBLE" "off-peak $OFF $PEAK" "off-2x $OFF $DOUBLE"; do
    set -- $spec
    LOADS+=("$(cut -d' ' -f1 /proc/loadavg)")
    client run --target "$2" "${COMMON[@]}" "${OPEN[@]}" --rate "$3" --label "$1-r$r" --out "$OUT/$1-r$r" | grep "^$1-r$r: [0-9]" || true
  done
done
log "imeieir_shed_total, node with overload control"; shed_metrics "$ON_ADMIN"
log "imeieir_shed_total, node without (expected: none)"; shed_metrics "$OFF_ADMIN"

# --- summary ------------------------------------------------------------------------------------------------------
acc() { median '(.acceptedLatencyUs.p99 // .latencyUs.p99) / 1000 | . * 100 | round / 100' "$OUT"/"$1"-r*.json; }
share() { median '.shedShare * 1000 | round / 10' "$OUT"/"$1"-r*.json; }
late() { median '.pacerMeanLateUs / 1000 | . * 10 | round / 10' "$OUT"/"$1"-r*.json; }
rate() { median '.checksPerSecond' "$OUT"/"$1"-r*.json; }
P_ON=$(acc on-peak); P_ON2=$(acc on-2x); P_OFF=$(acc off-peak); P_OFF2=$(acc off-2x)
RATIO=$(jq -n "if $P_ON > 0 then ($P_ON2 / $P_ON * 100 | round / 100) else null end")
jq -n --arg date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" --arg cmd "$CMD" --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores" \
  --arg loads "${LOADS[*]}" --argjson peak "$PEAK" --argjson pOn "$P_ON" --argjson pOn2 "$P_ON2" --argjson pOff "$P_OFF" --argjson pOff2 "$P_OFF2" \
  --argjson ratio "$RATIO" --argjson shed2 "$(share on-2x)" --argjson shed1 "$(share on-peak)" \
  --argjson late2 "$(late on-2x)" --argjson lateOff2 "$(late off-2x)" \
  '{date: $date, command: $cmd, cpu: $cpu, loadAverages: ($loads | split(" ") | map(tonumber)), peakChecksPerSecond: $peak,
    acceptedP99Ms: {onPeak: $pOn, on2x: $pOn2, offPeak: $pOff, off2x: $pOff2}, ratio2xToPeak: $ratio,
    shedPercent: {onPeak: $shed1, on2x: $shed2}, pacerMeanLateMs: {on2x: $late2, off2x: $lateOff2}}' >"$OUT/summary.json"
cat "$OUT/summary.json"
