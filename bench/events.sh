#!/usr/bin/env bash
# Issue 13 §6 figures: unary Check throughput with events on and off (same run, interleaved rounds, medians), on a
# request mix where 3 % of checks raise an event; then check answered -> event received by an EventFeed subscriber.
# Writes bench/results/events/*.json and summary.json; bench/RESULTS.md ("Events") quotes them.
#
#   bench/events.sh                    # ~6 minutes on 2 cores
#   ROUNDS=5 DURATION=20s bench/events.sh
#
# Two nodes of the same build on one Redis: ON (events on) and OFF (Events:Enabled=false), both following the log of a
# third node the data is seeded through (stopped before the rounds, so neither measured node holds a writer's heap). The mix is 87 % registered,
# 10 % bound, 3 % unknown (not registered); ON has Events:NotRegisteredEvery=1ms, so every one of those 3 % raises an
# event (the node's dedupe and the cluster-wide window let each through), the worst case of the rule (the default
# 7 days lets only a pair's first check through). The mix keeps one home SIM per IMEI (seed --mix-one-sim), as real
# devices mostly do, so the other 97 % cause no event work: the issue's mix. CLONES=1 instead pairs popular IMEIs with
# random home IMSIs each check (65 132 IMEIs, 41 691 of them with 2 to 60 IMSIs): clone detection busy all run long.
# Each round's report has the CPU per check of the node under load (serverUsPerCheck, from /proc/PID/stat) and the
# summary Redis' CPU per round: ON - OFF is what events cost, whatever throughput the shared cores allowed.
# Knobs: DEVICES (300000), ROUNDS (3), WARMUP (5s), DURATION (15s), CONCURRENCY (32), REDIS_FSYNC (always), CLONES (0),
# ON_SETTINGS (extra KEY=VALUE settings of the ON node, space-separated), OUT.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-300000}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-32}
REDIS_FSYNC=${REDIS_FSYNC:-always}
CLONES=${CLONES:-0}
OUT=${OUT:-bench/results/events}
DATA=bench/.data/events
# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools
build_release
rm -rf "$DATA" "$OUT"
mkdir -p "$DATA" "$OUT"
start_redis --appendonly yes --appendfsync "$REDIS_FSYNC"

ON_GRPC=$(lt free-port); ON_ADMIN=$(lt free-port); OFF_GRPC=$(lt free-port); OFF_ADMIN=$(lt free-port)
# shellcheck disable=SC2086
start_node on "$ON_GRPC" "$ON_ADMIN" Events__NodeName=on Events__NotRegisteredEvery=00:00:00.001 ${ON_SETTINGS:-}
ON_PID=${PIDS[-1]}
start_node off "$OFF_GRPC" "$OFF_ADMIN" Events__Enabled=false
OFF_PID=${PIDS[-1]}
ON=http://127.0.0.1:$ON_GRPC
OFF=http://127.0.0.1:$OFF_GRPC
CMD="bench/events.sh (DEVICES=$DEVICES ROUNDS=$ROUNDS WARMUP=$WARMUP DURATION=$DURATION CONCURRENCY=$CONCURRENCY REDIS_FSYNC=$REDIS_FSYNC CLONES=$CLONES ON_SETTINGS=${ON_SETTINGS:-})"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"

if [[ $CLONES == 1 ]]; then SIMS=(); else SIMS=(--mix-one-sim); fi
log "seed: $DEVICES devices; mix 87 % registered, 10 % bound, 3 % unknown; ${SIMS[*]:-random home SIMs (clone-heavy)}"
# Seeded through a third node, stopped after: ON and OFF both follow the log (neither holds a writer's heap).
SEED_GRPC=$(lt free-port); SEED_ADMIN=$(lt free-port)
start_node seeder "$SEED_GRPC" "$SEED_ADMIN" Events__Enabled=false
SEED_PID=${PIDS[-1]}
lt seed --target "http://127.0.0.1:$SEED_GRPC" --devices "$DEVICES" --mix-file "$DATA/mix.jsonl" "${SIMS[@]}" \
  --mix-weights registered=0.87,bound=0.10,grace=0,roaming=0,stolen=0,unknown=0.03,malformed=0 --json "$OUT/seed.json"
kill "$SEED_PID"; wait "$SEED_PID" 2>/dev/null || true
for _ in $(seq 200); do
  a=$(curl -s "http://127.0.0.1:$ON_ADMIN/metrics" | awk '/^imeieir_index_sequence/ {print $2}')
  b=$(curl -s "http://127.0.0.1:$OFF_ADMIN/metrics" | awk '/^imeieir_index_sequence/ {print $2}')
  [[ -n $a && $a == "$b" ]] && break; sleep 0.1
done

redis_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) / hz }' "/proc/$REDIS_PID/stat"; }
COMMON=(--mix "$DATA/mix.jsonl" --warmup "$WARMUP" --duration "$DURATION" --concurrency "$CONCURRENCY")
for r in $(seq "$ROUNDS"); do
  # Alternate which goes first: the shared machine's load drifts within a round.
  if (( r % 2 )); then order=(off on); else order=(on off); fi
  log "round $r/$ROUNDS: unary Check, closed model, events ${order[0]} then ${order[1]}"
  for o in "${order[@]}"; do
    if [[ $o == on ]]; then t=$ON; pid=$ON_PID; else t=$OFF; pid=$OFF_PID; fi
    r0=$(redis_cpu)
    lt run --target "$t" "${COMMON[@]}" --server-pid "$pid" --label "$o-r$r" --out "$OUT/$o-r$r" --no-png || true
    # Redis' CPU over the whole run (warm-up included), per check of the run.
    jq -n --argjson s "$(jq -n "$(redis_cpu) - $r0")" --slurpfile rep "$OUT/$o-r$r.json" \
      '{redisSeconds: $s, redisUsPerCheck: ($s * 1e6 / ($rep[0].checks * ($rep[0].durationSeconds + $rep[0].warmupSeconds) / $rep[0].durationSeconds))}' \
      >"$OUT/redis-$o-r$r.json"
  done
done
# The rounds' events must all have reached Redis (the publisher may still be draining its queue).
for _ in $(seq 600); do
  q=$(curl -s "http://127.0.0.1:$ON_ADMIN/metrics" | awk '/^imeieir_events_queue/ {print $2}')
  [[ ${q:-0} == 0 ]] && break; sleep 0.1
done
EVENTS_AFTER=$(redis-cli -p "$REDIS" xlen eir:ev:all | tr -d '\r')
DROPPED=$(curl -s "http://127.0.0.1:$ON_ADMIN/metrics" | awk '/^imeieir_events_dropped/ {print $2}')

median() { jq -s '[.[].checksPerSecond] | sort | .[(length / 2 | floor)]' "$@"; }
OFF_RATE=$(median "$OUT"/off-r*.json)
ON_RATE=$(median "$OUT"/on-r*.json)
HALF=$(jq -n "$ON_RATE / 2 | floor")

log "check answered -> event at a subscriber: open model at half the peak ($HALF checks/s) with a subscriber on ON"
# The group starts at the end of the stream ($): only events of this run are timed.
redis-cli -p "$REDIS" xgroup create eir:ev:all bench-lag '$' mkstream >/dev/null
lt event-lag --target "$ON" --group bench-lag --duration 40s --json "$OUT/lag.json" &
LAG_PID=$!
sleep 3
lt run --target "$ON" --mix "$DATA/mix.jsonl" --model open --rate "$HALF" --tick 500us --warmup 10s --duration 20s \
  --label on-open --out "$OUT/on-open" --no-png || true
wait "$LAG_PID" || true

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
jq -n --arg cmd "$CMD" --arg date "$(date -u +%FT%TZ)" --arg cpu "$CPU" --arg lb "$LOAD_BEFORE" --arg la "$LOAD_AFTER" \
  --argjson off "$OFF_RATE" --argjson on "$ON_RATE" --argjson events "${EVENTS_AFTER:-0}" --argjson dropped "${DROPPED:-0}" \
  --slurpfile lag "$OUT/lag.json" \
  --argjson offRounds "$(jq -s '[.[].checksPerSecond]' "$OUT"/off-r*.json)" \
  --argjson onRounds "$(jq -s '[.[].checksPerSecond]' "$OUT"/on-r*.json)" \
  --argjson onUs "$(jq -s '[.[].cpu.serverUsPerCheck] | sort | .[(length / 2 | floor)]' "$OUT"/on-r*.json)" \
  --argjson offUs "$(jq -s '[.[].cpu.serverUsPerCheck] | sort | .[(length / 2 | floor)]' "$OUT"/off-r*.json)" \
  --argjson onRedisUs "$(jq -s '[.[].redisUsPerCheck] | sort | .[(length / 2 | floor)]' "$OUT"/redis-on-r*.json)" \
  --argjson offRedisUs "$(jq -s '[.[].redisUsPerCheck] | sort | .[(length / 2 | floor)]' "$OUT"/redis-off-r*.json)" \
  --argjson ratios "$(jq -s '[range(0; length/2) as $i | .[2*$i+1].checksPerSecond / .[2*$i].checksPerSecond]' $(for r in $(seq "$ROUNDS"); do echo "$OUT/off-r$r.json $OUT/on-r$r.json"; done))" \
  '{command: $cmd, date: $date, machine: $cpu, loadBefore: $lb, loadAfter: $la,
    offChecksPerSecond: $off, onChecksPerSecond: $on, ratioOfMedians: ($on / $off), roundRatios: $ratios,
    nodeUsPerCheck: {off: $offUs, on: $onUs}, redisUsPerCheck: {off: $offRedisUs, on: $onRedisUs},
    offRounds: $offRounds, onRounds: $onRounds, eventsInStreamAfterRounds: $events, droppedObservations: $dropped, lag: $lag[0]}' | tee "$OUT/summary.json"
