#!/usr/bin/env bash
# The service figures of issue 4 §3 in one command: builds Release, starts a private redis-server and ImeiEir
# nodes on loopback, seeds a national data set, runs every scenario against its same-run baseline, and writes
# bench/results/*.json|md|png plus bench/results/summary.md.
#
#   bench/run.sh                       # default size: a few minutes on a 2-core machine
#   DEVICES=1000000 ROUNDS=5 bench/run.sh
#   HYDRATE_SCALE=1 bench/run.sh       # also the hydration goal's data set (10 M IMEIs, 2 M bindings, 5 M subscribers; ~15 min)
#   HYDRATE_SCALE=only OUT=bench/results bench/run.sh   # only that (keeps the other results in OUT)
#
# Knobs (environment): DEVICES (300000), ROUNDS (3), WARMUP (5s), DURATION (15s), CONCURRENCY (32 unary callers),
# CHANNELS (1), BATCH_SIZE (5000), BATCH_CONCURRENCY (4), STREAMS (4), STREAM_DEPTH (256), SYNC_RATE_SHARE (0.1 of peak),
# SYNC_PACED_RATE (20000 deltas/s, the paced sync scenario),
# PROP_CHANGES (300), REDIS_FSYNC (always: an ack is on disk), TICK (500us, open-model pacer), OPEN_WARMUP (10s),
# HYDRATE_SCALE (0), OUT (bench/results).
# Everything listens on 127.0.0.1 only; authentication is off (Auth:Enabled=false) on these benchmark nodes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-300000}
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-5s}
DURATION=${DURATION:-15s}
CONCURRENCY=${CONCURRENCY:-32}
CHANNELS=${CHANNELS:-1}
BATCH_SIZE=${BATCH_SIZE:-5000}
BATCH_CONCURRENCY=${BATCH_CONCURRENCY:-4}
STREAMS=${STREAMS:-4}
STREAM_DEPTH=${STREAM_DEPTH:-256}
SYNC_RATE_SHARE=${SYNC_RATE_SHARE:-0.1}
SYNC_PACED_RATE=${SYNC_PACED_RATE:-20000}
PROP_CHANGES=${PROP_CHANGES:-300}
REDIS_FSYNC=${REDIS_FSYNC:-always}
HYDRATE_SCALE=${HYDRATE_SCALE:-0}
OUT=${OUT:-bench/results}
DATA=bench/.data/run
ARTIFACTS=bench/.data/artifacts

log() { printf '\n== %s  %s\n' "$(date +%T)" "$*"; }

# --- tools ---------------------------------------------------------------------------------------------------
need_apt() { # command package
  command -v "$1" >/dev/null 2>&1 && return
  log "installing $2"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need_apt redis-server redis-server
need_apt redis-cli redis-tools
need_apt h2load nghttp2-client
need_apt jq jq
need_apt curl curl

# --- build (into bench/.data/artifacts, so nobody else's bin/obj is touched) ----------------------------------
log "building Release"
dotnet build src/ImeiEir.Server/ImeiEir.Server.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn|Elapsed" || true
dotnet build bench/ImeiEir.LoadTest/ImeiEir.LoadTest.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn|Elapsed" || true
SERVER_DLL=$ARTIFACTS/bin/ImeiEir.Server/release/ImeiEir.Server.dll
LT_DLL=$ARTIFACTS/bin/ImeiEir.LoadTest/release/ImeiEir.LoadTest.dll
[[ -f $SERVER_DLL && -f $LT_DLL ]] || { echo "build failed" >&2; exit 1; }
lt() { dotnet "$LT_DLL" "$@"; }

rm -rf "$DATA"
mkdir -p "$DATA" "$OUT/rounds"
# A new run replaces the previous results, except those of the scale hydration (HYDRATE_SCALE=only refreshes them).
if [[ $HYDRATE_SCALE != only ]]; then
  find "$OUT" -maxdepth 2 -type f \( -name '*.json' -o -name '*.md' -o -name '*.png' -o -name '*.txt' \) ! -name '*-scale*' -delete
fi

# --- processes (each started here, stopped by its own pid on exit) --------------------------------------------
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 3
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

start_redis() { # name -> sets REDIS_PORT (not in a subshell: its pid must reach PIDS for the cleanup)
  local name=$1 port
  port=$(lt free-port)
  mkdir -p "$DATA/$name"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$ROOT/$DATA/$name" --appendonly yes --appendfsync "$REDIS_FSYNC" \
    --save "" --daemonize no --protected-mode yes >"$DATA/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  REDIS_PORT=$port
}

# start_node name grpc_port admin_port redis_port [KEY=VALUE ...]: sets NODE_PID
start_node() {
  local name=$1 grpc=$2 admin=$3 redis=$4
  shift 4
  env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$admin" \
    Redis__Configuration="127.0.0.1:$redis" Auth__Enabled=false Logging__LogLevel__Default=Warning \
    Logging__LogLevel__ImeiEir.Storage.ReplicatedIndex=Information "$@" \
    dotnet "$SERVER_DLL" >"$DATA/$name.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
}

# wait_ready admin_port -> prints milliseconds until /readyz answered 200
wait_ready() {
  local admin=$1 t0
  t0=$(date +%s%N)
  for _ in $(seq 12000); do
    if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz") == 200 ]]; then
      echo $((($(date +%s%N) - t0) / 1000000))
      return
    fi
    sleep 0.05
  done
  echo "node on admin port $admin never became ready" >&2
  exit 1
}

median_rate() { # files... -> median checks/s
  jq -s '[.[].checksPerSecond] | sort | .[(length / 2 | floor)]' "$@"
}

# hydrate name redis_port out.json: a fresh node on that Redis; time to /readyz 200, RSS, Redis used_memory.
hydrate() { # name redis_port out.json
  local name=$1 redis=$2 out=$3 grpc admin ms pid rss used ckpt body
  grpc=$(lt free-port); admin=$(lt free-port)
  start_node "$name" "$grpc" "$admin" "$redis"
  pid=$NODE_PID
  ms=$(wait_ready "$admin")
  sleep 1
  rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
  used=$(redis-cli -p "$redis" info memory | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}')
  ckpt=$(redis-cli -p "$redis" hget eir:ckpt seq | tr -d '\r')
  body=$(grep -o 'Index loaded from Redis at sequence [0-9]*: [0-9]* registered IMEIs, [0-9]* bindings, [0-9]* subscribers in [0-9]* ms' "$DATA/$name.log" | tail -1)
  jq -n --arg body "$body" --argjson ms "$ms" --argjson rss "$rss" --argjson used "$used" --arg ckpt "${ckpt:-0}" '
    ($body | capture("sequence (?<seq>[0-9]+): (?<reg>[0-9]+) registered IMEIs, (?<b>[0-9]+) bindings, (?<s>[0-9]+) subscribers in (?<load>[0-9]+) ms")) as $h
    | {secondsToReady: ($ms / 1000), indexLoadMs: ($h.load | tonumber), sequence: ($h.seq | tonumber), checkpointSequence: (($ckpt | tonumber?) // 0),
       registeredImeis: ($h.reg | tonumber), bindings: ($h.b | tonumber), subscribers: ($h.s | tonumber),
       rssMiB: ($rss / 1024 | floor), redisUsedMemoryMiB: ($used / 1048576 | floor), redisUsedMemoryBytes: $used}' >"$out"
  kill "$pid" 2>/dev/null || true
  cat "$out"
}

# --- machine --------------------------------------------------------------------------------------------------
CMD="bench/run.sh (DEVICES=$DEVICES ROUNDS=$ROUNDS WARMUP=$WARMUP DURATION=$DURATION CONCURRENCY=$CONCURRENCY CHANNELS=$CHANNELS BATCH_SIZE=$BATCH_SIZE REDIS_FSYNC=$REDIS_FSYNC)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
lscpu | head -n 20 >"$OUT/lscpu.txt"
CPU="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"

A_PID=""
if [[ $HYDRATE_SCALE != only ]]; then
# --- Redis, node A, seed ----------------------------------------------------------------------------------------
start_redis redis; REDIS=$REDIS_PORT
start_redis redis-naive; NAIVE_REDIS=$REDIS_PORT
A_GRPC=$(lt free-port); A_ADMIN=$(lt free-port)
# Node A writes checkpoints often enough that the hydration test below starts from one, as a production node would.
start_node nodeA "$A_GRPC" "$A_ADMIN" "$REDIS" Redis__CheckpointEveryMutations=200000 Redis__CheckpointMinInterval=00:00:05
A_PID=$NODE_PID
wait_ready "$A_ADMIN" >/dev/null
A=http://127.0.0.1:$A_GRPC
log "redis :$REDIS (appendfsync $REDIS_FSYNC), naive redis :$NAIVE_REDIS, node A $A"

log "seed: $DEVICES devices through RegistrySync.Apply (sync throughput, idle)"
lt seed --target "$A" --devices "$DEVICES" --mix-file "$DATA/mix.jsonl" --delta-file "$DATA/deltas.jsonl" --json "$OUT/seed.json"

log "naive design: same data set as plain Redis keys/sets, its own server"
lt naive seed --redis "127.0.0.1:$NAIVE_REDIS" --devices "$DEVICES"
NAIVE_PORT=$(lt free-port)
dotnet "$LT_DLL" naive serve --redis "127.0.0.1:$NAIVE_REDIS" --port "$NAIVE_PORT" >"$DATA/naive.log" 2>&1 &
PIDS+=($!)
NAIVE=http://127.0.0.1:$NAIVE_PORT

log "transport baseline: a node of the same build with Benchmark:NoopCheck=true"
N_GRPC=$(lt free-port); N_ADMIN=$(lt free-port)
start_node noop "$N_GRPC" "$N_ADMIN" "$REDIS" Benchmark__NoopCheck=true
wait_ready "$N_ADMIN" >/dev/null
NOOP=http://127.0.0.1:$N_GRPC
sleep 2

COMMON=(--mix "$DATA/mix.jsonl" --warmup "$WARMUP" --duration "$DURATION" --channels "$CHANNELS")
# Open model: requests due within one pacer tick go out together, each timed from its own due time (so the tick
# can only add client-side delay to the figures); lone requests cost ~5x the CPU here (see the LoadTest README).
# The open model warms up longer (OPEN_WARMUP, 10 s): a backlog left by JIT tiering at a fixed rate must drain
# before the measured window starts, or it lands in the window's first second.
OPEN=(--model open --tick "${TICK:-500us}" --warmup "${OPEN_WARMUP:-10s}")

# --- unary closed model: baseline, ImeiEir, naive, interleaved rounds -------------------------------------------
for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS: unary Check, closed model, $CONCURRENCY callers"
  lt run --target "$NOOP" "${COMMON[@]}" --concurrency "$CONCURRENCY" --no-verify --label "noop-check-r$r" --out "$OUT/rounds/noop-check-r$r" --no-png || true
  lt run --target "$A" "${COMMON[@]}" --concurrency "$CONCURRENCY" --label "eir-check-r$r" --out "$OUT/rounds/eir-check-r$r" --no-png || true
  lt run --target "$NAIVE" "${COMMON[@]}" --concurrency "$CONCURRENCY" --label "naive-check-r$r" --out "$OUT/rounds/naive-check-r$r" --no-png || true
done
PEAK=$(median_rate "$OUT"/rounds/eir-check-r*.json)
HALF=$(jq -n "$PEAK / 2 | floor")

log "open model at half the peak unary rate: $HALF checks/s (peak $PEAK), ImeiEir then the no-op baseline"
lt run --target "$A" "${COMMON[@]}" "${OPEN[@]}" --rate "$HALF" --label eir-open --out "$OUT/eir-open" || true
lt run --target "$NOOP" "${COMMON[@]}" "${OPEN[@]}" --rate "$HALF" --no-verify --label noop-open --out "$OUT/noop-open" --no-png || true

log "CheckBatch x$BATCH_SIZE and CheckStream (closed model), ImeiEir and no-op"
lt run --target "$A" "${COMMON[@]}" --api batch --batch-size "$BATCH_SIZE" --concurrency "$BATCH_CONCURRENCY" --label eir-batch --out "$OUT/eir-batch" || true
lt run --target "$NOOP" "${COMMON[@]}" --api batch --batch-size "$BATCH_SIZE" --concurrency "$BATCH_CONCURRENCY" --no-verify --label noop-batch --out "$OUT/noop-batch" --no-png || true
lt run --target "$NAIVE" "${COMMON[@]}" --api batch --batch-size "$BATCH_SIZE" --concurrency "$BATCH_CONCURRENCY" --label naive-batch --out "$OUT/naive-batch" --no-png || true
lt run --target "$A" "${COMMON[@]}" --api stream --concurrency "$STREAMS" --depth "$STREAM_DEPTH" --label eir-stream --out "$OUT/eir-stream" || true
lt run --target "$NOOP" "${COMMON[@]}" --api stream --concurrency "$STREAMS" --depth "$STREAM_DEPTH" --no-verify --label noop-stream --out "$OUT/noop-stream" --no-png || true

# --- sync while checks run ----------------------------------------------------------------------------------------
SYNC_RATE=$(jq -n "$PEAK * $SYNC_RATE_SHARE | floor")
log "sync: check p99 at $SYNC_RATE checks/s idle, then while churn streams through Apply"
lt run --target "$A" "${COMMON[@]}" "${OPEN[@]}" --rate "$SYNC_RATE" --label sync-idle --out "$OUT/sync-idle" --no-png || true
OW=${OPEN_WARMUP:-10s}
SYNC_FOR=$(( ${OW%s} + ${DURATION%s} + 1 ))
lt sync --target "$A" --deltas 50000000 --for "${SYNC_FOR}s" --json "$OUT/sync.json" >"$DATA/sync.log" 2>&1 &
SYNC_PID=$!
lt run --target "$A" "${COMMON[@]}" "${OPEN[@]}" --rate "$SYNC_RATE" --label sync-during --out "$OUT/sync-during" --no-png || true
wait "$SYNC_PID" || true
tail -n 2 "$DATA/sync.log"
# The same checks while sync is paced at SYNC_PACED_RATE deltas/s in batches of 1 000: what a steady registry feed
# costs the check tail (the run above saturates the machine on purpose).
lt sync --target "$A" --deltas 50000000 --for "${SYNC_FOR}s" --rate "$SYNC_PACED_RATE" --batch 1000 --json "$OUT/sync-paced.json" >"$DATA/sync-paced.log" 2>&1 &
SYNC_PID=$!
lt run --target "$A" "${COMMON[@]}" "${OPEN[@]}" --rate "$SYNC_RATE" --label sync-paced-during --out "$OUT/sync-paced-during" --no-png || true
wait "$SYNC_PID" || true
tail -n 2 "$DATA/sync-paced.log"

# --- propagation: two nodes on one Redis ------------------------------------------------------------------------
log "propagation: ack on node A -> same answer on node B ($PROP_CHANGES changes)"
B_GRPC=$(lt free-port); B_ADMIN=$(lt free-port)
start_node nodeB "$B_GRPC" "$B_ADMIN" "$REDIS"
B_PID=$NODE_PID
wait_ready "$B_ADMIN" >/dev/null
lt propagation --a "$A" --b "http://127.0.0.1:$B_GRPC" --changes "$PROP_CHANGES" --json "$OUT/propagation.json" || true
kill "$B_PID" 2>/dev/null || true

# --- h2load cross-check -----------------------------------------------------------------------------------------
h2() { # name url
  local name=$1 url=$2 text
  text=$(h2load -n 200000 -c 4 -m 32 -t 1 -d "$DATA/check.grpc" \
    -H 'content-type: application/grpc' -H 'te: trailers' "$url/imeieir.v1.EquipmentCheck/Check" 2>&1)
  echo "$text" | grep -E "finished in|requests:|status codes:|time for request:" | sed 's/^/  /'
  jq -n --arg t "$text" '
    ($t | capture("finished in (?<s>[0-9.]+)s, (?<rps>[0-9.]+) req/s")) as $f
    | ($t | capture("requests: (?<total>[0-9]+) total, [0-9]+ started, [0-9]+ done, (?<ok>[0-9]+) succeeded, (?<failed>[0-9]+) failed")) as $r
    | ($t | capture("time for request: +(?<min>[0-9.]+[mu]?s) +(?<max>[0-9.]+[mu]?s) +(?<mean>[0-9.]+[mu]?s)")) as $l
    | {requestsPerSecond: ($f.rps | tonumber), seconds: ($f.s | tonumber), succeeded: ($r.ok | tonumber), failed: ($r.failed | tonumber),
       minLatency: $l.min, maxLatency: $l.max, meanLatency: $l.mean}' >"$OUT/h2load-$name.json"
}
# h2open name url rate: h2load at a fixed request rate (--rps per connection), percentiles from its per-request log.
h2open() {
  local name=$1 url=$2 rate=$3 seconds=${DURATION%s}
  h2load -n $((rate * seconds)) -c 4 -m 64 -t 1 --rps $((rate / 4)) --log-file="$DATA/h2-$name.log" -d "$DATA/check.grpc" \
    -H 'content-type: application/grpc' -H 'te: trailers' "$url/imeieir.v1.EquipmentCheck/Check" >/dev/null 2>&1
  awk '{print $3}' "$DATA/h2-$name.log" | sort -n | awk -v r="$rate" '{a[NR]=$1} END {
    printf "{\"rate\": %d, \"requests\": %d, \"p50Us\": %d, \"p90Us\": %d, \"p99Us\": %d, \"p999Us\": %d, \"maxUs\": %d}\n",
      r, NR, a[int(NR*0.5)], a[int(NR*0.9)], a[int(NR*0.99)], a[int(NR*0.999)], a[NR] }' >"$OUT/h2load-open-$name.json"
  cat "$OUT/h2load-open-$name.json"
}
log "h2load cross-check: unary Check with a framed gRPC body (200 000 requests, 4 connections x 32 streams), each target twice (the first warms it up)"
lt grpc-frame --mix "$DATA/mix.jsonl" --out "$DATA/check.grpc"
h2 noop "$NOOP"; h2 noop "$NOOP"
h2 eir "$A"; h2 eir "$A"
h2 naive "$NAIVE"; h2 naive "$NAIVE"
log "h2load at half the peak rate ($HALF/s): an external client's view of the open-model latency"
h2open noop "$NOOP" "$HALF"
h2open eir "$A" "$HALF"

# --- hydration: a fresh node on the seeded Redis ------------------------------------------------------------------
log "hydration: a fresh node on the seeded Redis, time to /readyz 200, RSS, Redis used_memory"
hydrate nodeC "$REDIS" "$OUT/hydration.json"
fi # HYDRATE_SCALE != only

if [[ $HYDRATE_SCALE == 1 || $HYDRATE_SCALE == only ]]; then
  log "hydration at the goal's scale: 10 M registered IMEIs, ~2 M bindings, 5 M subscribers (own Redis and node)"
  [[ -n $A_PID ]] && kill "$A_PID" 2>/dev/null || true
  start_redis redis-scale; BIG=$REDIS_PORT
  S_GRPC=$(lt free-port); S_ADMIN=$(lt free-port)
  start_node scaleA "$S_GRPC" "$S_ADMIN" "$BIG" Redis__CheckpointMinInterval=00:00:20
  wait_ready "$S_ADMIN" >/dev/null
  # 8.7 M devices x 1.15 = 10 M IMEIs; amnesty 0.18 -> ~2 M bindings with the clone clusters; 0.575 -> 5 M subscribers.
  lt seed --target "http://127.0.0.1:$S_GRPC" --devices 8700000 --amnesty 0.18 --subscriber-ratio 0.575 --json "$OUT/seed-scale.json"
  sleep 25 # let node A write a checkpoint of the whole data set, as a running cluster would have
  hydrate scaleB "$BIG" "$OUT/hydration-scale.json"
fi

# --- summary ------------------------------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
jq -n --arg date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" --arg uname "$(uname -a)" --arg cpu "$CPU" --arg cmd "$CMD" \
  --arg before "$LOAD_BEFORE" --arg after "$LOAD_AFTER" \
  '{date: $date, uname: $uname, cpu: $cpu, command: $cmd, loadBefore: $before, loadAfter: $after}' \
  >"$OUT/$([[ $HYDRATE_SCALE == only ]] && echo machine-scale.json || echo machine.json)"
log "summary"
lt summary --dir "$OUT"
