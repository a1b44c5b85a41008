#!/usr/bin/env bash
# The node's garbage collections during a saturating sync with checks running (bench/RESULTS.md "Write side"): each
# young collection's pause, the bytes it promoted and the root kind they were found live through (stacks, handles,
# "older": young objects only older objects point to — a dead large object keeps what it points to alive until a full
# collection). Starts a private redis-server and a node on loopback, seeds ~2 M IMEIs, runs `lt sync` (10 000-delta
# batches) and `lt run` (open model, 3 000 checks/s) together and traces the node for TRACE_FOR seconds.
#
#   bench/gc-pauses.sh                         # this tree
#   SERVER_DLL=bench/.data/artifacts-X/bin/ImeiEir.Server/release/ImeiEir.Server.dll bench/gc-pauses.sh   # another build
#
#   SYNC_RATE=20000 OUT=bench/results/gc-pauses-paced bench/gc-pauses.sh   # the sync paced (1 000-delta batches), as sync.sh's "paced"
#
#   NODE_ENV='Redis__CheckpointEveryMutations=100000 Redis__CheckpointMinInterval=00:00:03' SYNC_RATE=20000 TRACE_FOR=12 \
#     OUT=bench/results/gc-pauses-ckpt bench/gc-pauses.sh   # checkpoints inside the trace (one every ~5 s of the paced sync)
#
# Knobs: DEVICES (1740000), TRACE_FOR (8), SYNC_RATE (none: saturating), NODE_ENV (extra KEY=VALUE words for the node),
# CHECK_CLIENT (grpc; raw: `lt run --client raw`, as bench/sync.sh), OUT (bench/results/gc-pauses). Needs dotnet-trace (installed when missing).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-1740000}
TRACE_FOR=${TRACE_FOR:-8}
OUT=${OUT:-bench/results/gc-pauses}
DATA=bench/.data/gc-pauses
GIVEN_SERVER=${SERVER_DLL:-}
# shellcheck source=bench/lib.sh
source bench/lib.sh
need_tools
build_release
[[ -n $GIVEN_SERVER ]] && SERVER_DLL=$GIVEN_SERVER
TRACE=$(command -v dotnet-trace || echo "$HOME/.dotnet/tools/dotnet-trace")
[[ -x $TRACE ]] || dotnet tool install -g dotnet-trace >/dev/null
dotnet build bench/ImeiEir.GcTrace/ImeiEir.GcTrace.csproj -c Release -v q -nologo -o "$DATA/gctrace" | grep -E " error |rror\(s\)" || true
rm -rf "$DATA/run" "$OUT"; mkdir -p "$DATA/run" "$OUT"
DATA=$DATA/run
start_redis --appendonly yes --appendfsync everysec
G=$(lt free-port); A=$(lt free-port)
# shellcheck disable=SC2086 # NODE_ENV holds KEY=VALUE words
start_node node "$G" "$A" Logging__Console__TimestampFormat='HH:mm:ss.fff ' Logging__LogLevel__ImeiEir.Storage=Information ${NODE_ENV:-}
NODE=${PIDS[-1]}
T=http://127.0.0.1:$G
lt seed --devices "$DEVICES" --amnesty 0.03 --subscriber-ratio 0.1 --mix-file "$ROOT/$DATA/mix.jsonl" --mix-count 100000 | tail -1
lt seed --target "$T" --devices "$DEVICES" --amnesty 0.03 --subscriber-ratio 0.1 --batch 10000 --window 4 | tail -1
sleep 8 # past the seed's heap trim
lt run --target "$T" --mix "$ROOT/$DATA/mix.jsonl" --model open --client "${CHECK_CLIENT:-grpc}" --tick 500us --rate 3000 --warmup 3s --duration "$((TRACE_FOR + 6))s" --label checks --out "$OUT/checks" --no-png >/dev/null 2>&1 &
CHECKS=$!
lt sync --target "$T" --deltas 50000000 ${SYNC_RATE:+--rate "$SYNC_RATE"} --batch "$([[ -n ${SYNC_RATE:-} ]] && echo 1000 || echo 10000)" --for "$((TRACE_FOR + 12))s" --json "$OUT/sync.json" >"$OUT/sync.log" 2>&1 &
SYNC=$!
sleep 4
date -u +'trace started %T.%3N UTC (the times of the collections count from here)' | tee "$OUT/trace-start.txt"
"$TRACE" collect -p "$NODE" --providers "Microsoft-Windows-DotNETRuntime:0x1:5" --duration "00:00:00:$(printf %02d "$TRACE_FOR")" -o "$OUT/gc.nettrace" >/dev/null 2>&1 || true
wait "$SYNC" || true
wait "$CHECKS" || true
dotnet "bench/.data/gc-pauses/gctrace/ImeiEir.GcTrace.dll" "$OUT/gc.nettrace" | tee "$OUT/collections.txt"
echo "sync: $(jq -c '.result.deltasPerSecond | floor' "$OUT/sync.json") deltas/s; checks: $(jq -c '.latencyUs | {p50, p99, max}' "$OUT/checks.json"), p99 by second $(jq -c '.p99BySecondUs' "$OUT/checks.json")"
cp "$DATA/node.log" "$OUT/node.log"
