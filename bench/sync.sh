#!/usr/bin/env bash
# The write side's figures (issue 11 §4, §5; bench/RESULTS.md "Write side"): a 2 M-IMEI sync from a client outside
# the node, for one build or two (before/after, same run, rounds interleaved). Per round and build:
#   1. a private redis-server with deploy/redis/redis.conf's settings (its own port and directory, AOF fsync
#      everysec as shipped) and one node;
#   2. `lt seed`: ~2 M IMEIs + ~0.17 M bindings through RegistrySync.Apply, 10 000-delta batches, one stream
#      (deltas/s, no checks running); node RSS after it;
#   3. check p99 (open model, CHECK_RATE checks/s, CHECK_CLIENT) idle, during a saturating `lt sync` (its deltas/s
#      with checks running), and during a sync paced at SYNC_PACED_RATE deltas/s;
#   4. a restarted node with Redis:CheckpointEveryMutations=1 and Redis:LogEntriesKeptBehindCheckpoint=0 takes 10
#      more deltas, writes a checkpoint and trims the log: Redis used_memory (after MEMORY PURGE) per record
#      (registered IMEIs + bindings) at steady state; the Redis-core ceiling is the saturating sync's deltas per
#      second of Redis CPU time (/proc);
#   5. another restart: time to /readyz 200 and RSS of a node that hydrated the same records.
# Then medians per build and the after/before ratios (bench/results/sync-summary.md).
#
#   bench/sync.sh                                   # this tree only
#   BEFORE=bench/.data/artifacts-before bench/sync.sh   # also a build of the base commit (built with --artifacts-path)
#   DEVICES=8700000 ROUNDS=1 bench/sync.sh          # the 10 M-IMEI scale (needs ~3 GB)
#
#   QUICK=1 VARIANTS='default:;conserve5:DOTNET_GCConserveMemory=5' bench/sync.sh  # runtime settings A/B, one build
#
# Knobs: DEVICES (1740000: 2.0 M IMEIs), AMNESTY (0.03), SUBSCRIBERS (0.1 per device), BATCH (10000), ROUNDS (3),
# CHECK_RATE (3000 checks/s), CHECK_CLIENT (raw: `lt run --client raw`, pre-encoded HTTP/2 frames, 50-65 µs of client CPU a
# check; grpc: Grpc.Net.Client, ~260 µs a check — at 3 000 checks/s that client alone took 80 % of one of the two
# cores the node shares, so "idle" was a machine 83 % busy and any sync work queued behind it; bench/RESULTS.md
# "Write side"), SYNC_FOR (15s), SYNC_PACED_RATE (20000), NODE_ENV (extra KEY=VALUE for the nodes of
# this tree), VARIANTS (instead of before/after: this tree's build run once per variant in each round, each with its
# own environment — `name:KEY=VALUE KEY=VALUE;name2:...`, NODE_ENV added to all), SETTLE (12: seconds between the
# seed's end, or /readyz, and reading the node's RSS — past HeapTrim:AfterQuiet, 5 s, and the trim's pause; runs before
# the trim existed used 2), QUICK (1: seed, memory and Redis figures only), REWRITE (1: also checks with an AOF rewrite and no sync), SETTLE_AOF
# (1: rewrite the AOF before each measured phase; 0: not), OUT
# (bench/results), ARTIFACTS (bench/.data/artifacts: where this tree is built). Everything on 127.0.0.1;
# Auth:Enabled=false on these nodes. Beside RSS, each round records the node's GC view at the same moment
# (/metrics: committed bytes, large-object heap size and its free space after the last collection).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-1740000}
AMNESTY=${AMNESTY:-0.03}
SUBSCRIBERS=${SUBSCRIBERS:-0.1}
BATCH=${BATCH:-10000}
ROUNDS=${ROUNDS:-3}
CHECK_RATE=${CHECK_RATE:-3000}
CHECK_CLIENT=${CHECK_CLIENT:-raw}
SYNC_FOR=${SYNC_FOR:-15s}
SYNC_PACED_RATE=${SYNC_PACED_RATE:-20000}
OUT=${OUT:-bench/results}
SETTLE=${SETTLE:-12}
DATA=bench/.data/sync
AFTER=${ARTIFACTS:-bench/.data/artifacts}
BEFORE=${BEFORE:-}
VARIANTS=${VARIANTS:-}

log() { printf '\n== %s  %s\n' "$(date +%T)" "$*"; }
command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools >/dev/null; }
command -v jq >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null; }

log "building Release"
dotnet build src/ImeiEir.Server/ImeiEir.Server.csproj -c Release --artifacts-path "$AFTER" -v q -nologo | grep -E " error |rror\(s\)" || true
dotnet build bench/ImeiEir.LoadTest/ImeiEir.LoadTest.csproj -c Release --artifacts-path "$AFTER" -v q -nologo | grep -E " error |rror\(s\)" || true
LT_DLL=$AFTER/bin/ImeiEir.LoadTest/release/ImeiEir.LoadTest.dll
lt() { dotnet "$LT_DLL" "$@"; }
BUILDS=(after)
[[ -n $BEFORE ]] && BUILDS=(before after)
declare -A VARIANT_ENV=()
if [[ -n $VARIANTS ]]; then
  BUILDS=()
  IFS=';' read -ra specs <<<"$VARIANTS"
  for spec in "${specs[@]}"; do BUILDS+=("${spec%%:*}"); VARIANT_ENV[${spec%%:*}]=${spec#*:}; done
fi
dll_of() { [[ $1 == before ]] && echo "$BEFORE/bin/ImeiEir.Server/release/ImeiEir.Server.dll" || echo "$AFTER/bin/ImeiEir.Server/release/ImeiEir.Server.dll"; }
for b in "${BUILDS[@]}"; do [[ -f $(dll_of "$b") ]] || { echo "no server build for $b: $(dll_of "$b")" >&2; exit 1; }; done

rm -rf "$DATA"; mkdir -p "$DATA" "$OUT/sync"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 2
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

# The request mix (expected answers of the seeded data set), generated once.
lt seed --devices "$DEVICES" --amnesty "$AMNESTY" --subscriber-ratio "$SUBSCRIBERS" --mix-file "$DATA/mix.jsonl" --mix-count 100000 | tail -2

start_redis() { # dir -> REDIS_PORT, REDIS_PID
  local dir=$1
  REDIS_PORT=$(lt free-port); mkdir -p "$dir"
  redis-server deploy/redis/redis.conf --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$ROOT/$dir" --save "" --daemonize no >"$dir/redis.log" 2>&1 &
  REDIS_PID=$!; PIDS+=("$REDIS_PID")
  for _ in $(seq 100); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
}

start_node() { # build redis_port log [KEY=VALUE...] -> NODE_PID, GRPC, ADMIN
  local build=$1 redis=$2 out=$3 extra=()
  shift 3
  GRPC=$(lt free-port); ADMIN=$(lt free-port)
  # shellcheck disable=SC2206 # NODE_ENV holds KEY=VALUE words
  [[ $build != before ]] && extra=(${NODE_ENV:-} ${VARIANT_ENV[$build]:-})
  env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$GRPC" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$ADMIN" \
    Redis__Configuration="127.0.0.1:$redis" Auth__Enabled=false Logging__LogLevel__Default=Warning \
    Logging__LogLevel__ImeiEir.Storage=Information "${extra[@]}" "$@" dotnet "$(dll_of "$build")" >"$out" 2>&1 &
  NODE_PID=$!; PIDS+=("$NODE_PID")
}

wait_ready() { # -> ms to /readyz 200 since T0
  for _ in $(seq 6000); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ADMIN/readyz") == 200 ]] && { echo $((($(date +%s%N) - T0) / 1000000)); return; }
    sleep 0.05
  done
  echo "node never became ready" >&2; exit 1
}

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
gc_view() { # -> {committedMiB, lohMiB, lohFreeMiB} of the node's last collection (admin /metrics)
  curl -s "http://127.0.0.1:$ADMIN/metrics" | awk -F'[ ]' '
    /^dotnet_gc_last_collection_memory_committed_size_bytes/ {c = $NF}
    /^dotnet_gc_last_collection_heap_size_bytes.*"loh"/ {l = $NF}
    /^dotnet_gc_last_collection_heap_fragmentation_size_bytes.*"loh"/ {f = $NF}
    END {printf "{\"committedMiB\":%d,\"lohMiB\":%d,\"lohFreeMiB\":%d}\n", c / 1048576, l / 1048576, f / 1048576}'
}
redis_cpu() { awk '{print $14+$15}' "/proc/$REDIS_PID/stat"; } # centiseconds
# Each measured phase starts from a rewritten AOF, so that it does not pay for the previous phase's writes: the seed and
# the saturating sync grow the AOF towards Redis' auto-rewrite threshold (100 % growth), and the rewrite then fell due
# in the next phase — in every round of the 2026-12-07 09:08 run inside the paced window, 1.4-1.8 s of a core taken by
# the rewrite child on the two cores the node shares with Redis here (bench/RESULTS.md "Write side"). The rewrite's own
# cost to checks is measured apart (REWRITE=1). SETTLE_AOF=0 keeps the old behaviour.
settle_aof() {
  [[ ${SETTLE_AOF:-1} == 1 ]] || return 0
  wait_aof_idle
  redis-cli -p "$REDIS_PORT" bgrewriteaof >/dev/null
  sleep 0.2
  wait_aof_idle
}
wait_aof_idle() { # until no AOF rewrite runs or is scheduled (at most 60 s)
  for _ in $(seq 600); do
    [[ $(redis-cli -p "$REDIS_PORT" info persistence | tr -d '\r' | awk -F: '/^aof_rewrite_(in_progress|scheduled):/ {s += $2} END {print s + 0}') == 0 ]] && return
    sleep 0.1
  done
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
checks() { # duration label: an open-model check run -> $R/label.json
  lt run --target "http://127.0.0.1:$GRPC" --mix "$DATA/mix.jsonl" --model open --client "$CHECK_CLIENT" --tick 500us --rate "$CHECK_RATE" \
    --warmup 5s --duration "$1" --label "$2" --out "$R/$2" --no-png >/dev/null 2>&1 || true
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$ROUNDS"); do
  for b in "${BUILDS[@]}"; do
    log "round $r/$ROUNDS, build $b (load $(cut -d' ' -f1-3 /proc/loadavg))"
    R=$OUT/sync/$b-r$r; D=$DATA/$b-r$r; mkdir -p "$R" "$D"; rm -f "$R"/rewrite-checks.*
    start_redis "$D/redis"
    T0=$(date +%s%N); start_node "$b" "$REDIS_PORT" "$D/node.log"; wait_ready >/dev/null
    lt seed --target "http://127.0.0.1:$GRPC" --devices "$DEVICES" --amnesty "$AMNESTY" --subscriber-ratio "$SUBSCRIBERS" \
      --batch "$BATCH" --window 4 --json "$R/seed.json" | tr '\r' '\n' | grep -v '^seed \[' | tail -1
    sleep "$SETTLE"
    RSS_SYNC=$(rss_kib "$NODE_PID"); GC_SYNC=$(gc_view)
    if [[ ${QUICK:-0} == 1 ]]; then
      # Memory and Redis figures only (GC settings compared): the check and sync phases are skipped.
      echo '{"latencyUs":{"p99":0}}' | tee "$R/idle.json" "$R/during.json" >"$R/paced-checks.json"
      echo '{"result":{"deltas":0,"deltasPerSecond":0}}' | tee "$R/sync.json" >"$R/paced-sync.json"
      R0=0; REDIS_CS=0
    else
    settle_aof
    checks 10s idle
    # The single-Redis-core ceiling: deltas of the saturating sync per second of Redis CPU (all its work: commands,
    # network, AOF) — the rate at which Redis alone would be busy all the time.
    R0=$(redis_cpu)
    # Each sync runs through its check run's 5 s warm-up, its measured window and 2 s beyond (the tools' start-up), so
    # every measured check meets the sync: before, the last 5 s of each window had none, and a node's post-burst heap
    # trim (5 s after the last batch) fell into the window it did not belong to.
    COVER="$(( ${SYNC_FOR%s} + 7 ))s"
    lt sync --target "http://127.0.0.1:$GRPC" --deltas 50000000 --batch "$BATCH" --for "$COVER" --json "$R/sync.json" >"$D/sync.log" 2>&1 &
    SP=$!; checks "${SYNC_FOR%s}s" during; wait "$SP" || true
    REDIS_CS=$(( $(redis_cpu) - R0 ))
    settle_aof
    lt sync --target "http://127.0.0.1:$GRPC" --deltas 50000000 --batch 1000 --rate "$SYNC_PACED_RATE" --for "$COVER" --json "$R/paced-sync.json" >"$D/paced.log" 2>&1 &
    SP=$!; checks "${SYNC_FOR%s}s" paced-checks; wait "$SP" || true
    if [[ ${REWRITE:-0} == 1 ]]; then
      # What an AOF rewrite alone costs checks on these shared cores: no sync, a rewrite started 3 s into the window.
      settle_aof
      checks "${SYNC_FOR%s}s" rewrite-checks &
      CP=$!; sleep 8; redis-cli -p "$REDIS_PORT" bgrewriteaof >/dev/null; wait "$CP" || true
    fi
    fi
    sleep 7 # the last burst's heap trim (HeapTrim:AfterQuiet 5 s, polled each second), logged with its pause
    TRIMS=$( (grep -o 'pause [0-9]* ms' "$D/node.log" || true) | awk '{print $2}' | paste -sd, -)
    stop "$NODE_PID"
    # Steady state: a node that checkpoints right after hydrating and keeps no log behind the checkpoint.
    T0=$(date +%s%N); start_node "$b" "$REDIS_PORT" "$D/ckpt.log" Redis__CheckpointEveryMutations=1 Redis__CheckpointMinInterval=00:00:00 Redis__LogEntriesKeptBehindCheckpoint=0
    wait_ready >/dev/null
    # A few deltas make sure it has something to checkpoint (the first node may have checkpointed at the head, with
    # the log kept behind it); steady state is the log trimmed to its last entry.
    lt sync --target "http://127.0.0.1:$GRPC" --deltas 10 --batch 10 >/dev/null 2>&1 || true
    for _ in $(seq 600); do (( $(redis-cli -p "$REDIS_PORT" xlen eir:log | tr -d '\r') <= 1 )) && break; sleep 0.2; done
    redis-cli -p "$REDIS_PORT" memory purge >/dev/null
    USED=$(redis-cli -p "$REDIS_PORT" info memory | tr -d '\r' | awk -F: '/^used_memory:/ {print $2}')
    KEYS=$(redis-cli -p "$REDIS_PORT" dbsize | tr -d '\r')
    LOGLEN=$(redis-cli -p "$REDIS_PORT" xlen eir:log | tr -d '\r')
    stop "$NODE_PID"
    T0=$(date +%s%N); start_node "$b" "$REDIS_PORT" "$D/hydrate.log"; READY_MS=$(wait_ready); sleep "$SETTLE"
    RSS_HYD=$(rss_kib "$NODE_PID"); GC_HYD=$(gc_view)
    LOADED=$(grep -o 'Index loaded from Redis at sequence [0-9]*: [0-9]* registered IMEIs, [0-9]* bindings' "$D/hydrate.log" | tail -1)
    stop "$NODE_PID"; stop "$REDIS_PID"
    jq -n --arg loaded "$LOADED" --argjson rssSync "$RSS_SYNC" --argjson rssHyd "$RSS_HYD" --argjson used "$USED" \
      --argjson keys "$KEYS" --argjson loglen "$LOGLEN" --argjson ready "$READY_MS" --argjson redisCs "$REDIS_CS" \
      --argjson gcSync "$GC_SYNC" --argjson gcHyd "$GC_HYD" --argjson trims "[${TRIMS:-}]" \
      --slurpfile seed "$R/seed.json" --slurpfile sync "$R/sync.json" --slurpfile paced "$R/paced-sync.json" \
      --slurpfile idle "$R/idle.json" --slurpfile during "$R/during.json" --slurpfile pacedChecks "$R/paced-checks.json" \
      --slurpfile rewriteChecks <(cat "$R/rewrite-checks.json" 2>/dev/null || echo null) '
      ($loaded | capture("(?<reg>[0-9]+) registered IMEIs, (?<b>[0-9]+) bindings")) as $h
      | (($h.reg | tonumber) + ($h.b | tonumber)) as $records
      | {records: $records, registeredImeis: ($h.reg | tonumber), bindings: ($h.b | tonumber),
         seedDeltasPerSecond: $seed[0].sync.deltasPerSecond, syncDeltasPerSecondWithChecks: $sync[0].result.deltasPerSecond,
         pacedDeltasPerSecond: $paced[0].result.deltasPerSecond,
         redisCpuSeconds: ($redisCs / 100), redisCeilingDeltasPerSecond: (if $redisCs > 0 then $sync[0].result.deltas / ($redisCs / 100) | floor else null end),
         p99IdleUs: $idle[0].latencyUs.p99, p99DuringSyncUs: $during[0].latencyUs.p99, p99PacedUs: $pacedChecks[0].latencyUs.p99,
         p99AofRewriteUs: ($rewriteChecks[0].latencyUs.p99 // null),
         shedDuringSync: ($during[0].shed // 0), shedPaced: ($pacedChecks[0].shed // 0),
         checkClientUsPerCheck: ($idle[0].cpu.clientUsPerCheck // null), machineBusyCoresIdle: ($idle[0].cpu.machineBusyCores // null),
         machineBusyCoresPaced: ($pacedChecks[0].cpu.machineBusyCores // null),
         rssAfterSyncMiB: ($rssSync / 1024 | floor), rssHydratedMiB: ($rssHyd / 1024 | floor),
         gcAfterSync: $gcSync, gcHydrated: $gcHyd,
         rssSyncBytesPerRecord: ($rssSync * 1024 / $records | floor), rssHydratedBytesPerRecord: ($rssHyd * 1024 / $records | floor),
         redisUsedBytes: $used, redisBytesPerRecord: ($used / $records * 10 | floor / 10), redisKeys: $keys, logEntriesLeft: $loglen,
         heapTrimPausesMs: $trims, secondsToReady: ($ready / 1000)}' >"$R/round.json" 2>/dev/null || echo "round $r $b: incomplete (see $D)" >&2
    cat "$R/round.json" 2>/dev/null || true
  done
done

# Medians per build; ratios after/before.
SUMMARY=$OUT/sync-summary.md
{
  echo "# bench/sync.sh — $(date -u +%F) — $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo
  echo "Command: \`DEVICES=$DEVICES AMNESTY=$AMNESTY SUBSCRIBERS=$SUBSCRIBERS BATCH=$BATCH ROUNDS=$ROUNDS CHECK_RATE=$CHECK_RATE CHECK_CLIENT=$CHECK_CLIENT SYNC_FOR=$SYNC_FOR SYNC_PACED_RATE=$SYNC_PACED_RATE ${BEFORE:+BEFORE=$BEFORE }${NODE_ENV:+NODE_ENV=\"$NODE_ENV\" }${VARIANTS:+VARIANTS=\"$VARIANTS\" }SETTLE=$SETTLE ${QUICK:+QUICK=$QUICK }${REWRITE:+REWRITE=$REWRITE }${SETTLE_AOF:+SETTLE_AOF=$SETTLE_AOF }bench/sync.sh\`; load average before $LOAD_BEFORE, after $(cut -d' ' -f1-3 /proc/loadavg). Medians of $ROUNDS rounds."
  echo
  echo "| build | records | seed deltas/s | sync deltas/s (checks running) | Redis-core ceiling deltas/s | p99 idle µs | p99 during sync | ×idle | p99 paced | ×idle | p99 with an AOF rewrite (REWRITE=1) | ×idle | RSS after sync MiB | RSS hydrated MiB | sync/hydrated | GC committed / LOH / LOH free after sync MiB | GC committed hydrated MiB | Redis B/record | ready s | check client µs/check | machine busy cores idle / paced |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  for b in "${BUILDS[@]}"; do
    files=("$OUT"/sync/"$b"-r*/round.json)
    jq -rs --arg b "$b" '
      def med(f): [.[] | f] | sort | .[(length / 2 | floor)];
      "| \($b) | \(med(.records)) | \(med(.seedDeltasPerSecond) | floor) | \(med(.syncDeltasPerSecondWithChecks) | floor) | \(med(.redisCeilingDeltasPerSecond // 0)) | \(med(.p99IdleUs) | floor) | \(med(.p99DuringSyncUs) | floor) | \(med(if .p99IdleUs > 0 then .p99DuringSyncUs / .p99IdleUs else 0 end) * 10 | floor / 10) | \(med(.p99PacedUs) | floor) | \(med(if .p99IdleUs > 0 then .p99PacedUs / .p99IdleUs else 0 end) * 10 | floor / 10) | \(if any(.[]; .p99AofRewriteUs != null) then (med(.p99AofRewriteUs // 0) | floor | tostring) else "–" end) | \(if any(.[]; .p99AofRewriteUs != null) then (med(if .p99IdleUs > 0 then (.p99AofRewriteUs // 0) / .p99IdleUs else 0 end) * 10 | floor / 10 | tostring) else "–" end) | \(med(.rssAfterSyncMiB)) | \(med(.rssHydratedMiB)) | \(med(.rssAfterSyncMiB / .rssHydratedMiB) * 100 | floor / 100) | \(med(.gcAfterSync.committedMiB)) / \(med(.gcAfterSync.lohMiB)) / \(med(.gcAfterSync.lohFreeMiB)) | \(med(.gcHydrated.committedMiB)) | \(med(.redisBytesPerRecord)) | \(med(.secondsToReady)) | \(med(.checkClientUsPerCheck // 0) | floor) | \(med(.machineBusyCoresIdle // 0)) / \(med(.machineBusyCoresPaced // 0)) |"' "${files[@]}"
  done
  if [[ -n $VARIANTS ]]; then
    echo
    for b in "${BUILDS[@]}"; do echo "- \`$b\`: ${VARIANT_ENV[$b]:-(no extra environment)}"; done
  fi
} >"$SUMMARY"
cat "$SUMMARY"
