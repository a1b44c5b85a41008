#!/usr/bin/env bash
# The fault suite (issue 12 §1, §4): real redis-server, redis-sentinel and node processes on loopback (and, for the
# link scenario, a network namespace), a check load and a sync client through every fault, and per scenario:
# checks served, failed checks (any error or a check later than the 2 s deadline), acked batches lost (or applied
# twice) and the time until every node serves Redis' sequence again.
#
#   bench/faults/run.sh                 # every scenario (~8 min on 2 cores); needs root for link-down and disk-full
#   bench/faults/run.sh fast            # the fast ones (also run by ./test.sh as xunit tests, tests/ImeiEir.Server.Tests/Faults)
#   bench/faults/run.sh long            # sentinel-failover, sentinel-freeze, link-down, disk-full
#   bench/faults/run.sh sentinel-failover redis-empty   # named ones
#
# Scenarios: redis-kill (Redis SIGKILLed under checks and Apply, restarted on its AOF), redis-empty (restarted empty:
# sync refused, checks served, imeieir_sync_refused = 1), node-kill (a node SIGKILLed mid-batch, the same batch retried
# on another node: applied once), slow-redis (Redis paused 3 s under load), sentinel-failover (primary + 2 replicas +
# 3 sentinels, 2 nodes with Redis:AckReplicas=1, primary SIGKILLed under load), sentinel-freeze (the same, primary
# SIGSTOPped: frozen, its connections open and silent), link-down (a node in its own network
# namespace, its veth set down for 5 s, then up), disk-full (Redis' dir on a 32 MB tmpfs filled up, then freed).
# Results: .run/faults/results.txt (one line a scenario) and the logs beside it. Exit 0 when every scenario passed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
WORK_ROOT=$ROOT/.run/faults
RESULTS=$WORK_ROOT/results.txt
RATE=${RATE:-400}            # checks/s over both nodes
DEADLINE=${DEADLINE:-2s}
# shellcheck source=lib.sh
. "$ROOT/bench/faults/lib.sh"

FAST=(redis-kill redis-empty node-kill slow-redis)
LONG=(sentinel-failover sentinel-freeze link-down disk-full)
case "${1:-all}" in
  all) SCENARIOS=("${FAST[@]}" "${LONG[@]}") ;;
  fast) SCENARIOS=("${FAST[@]}") ;;
  long) SCENARIOS=("${LONG[@]}") ;;
  *) SCENARIOS=("$@") ;;
esac

for tool in redis-server redis-sentinel redis-cli curl python3; do
  command -v "$tool" >/dev/null || [ -x "/usr/bin/$tool" ] || { echo "run.sh: $tool missing (apt-get install redis-server redis-sentinel redis-tools curl python3)" >&2; exit 2; }
done
if [ ! -f "$FL_DLL" ] || [ ! -f "$SERVER_DLL" ] || [ "${BUILD:-1}" = 1 ]; then
  log "building Release (server, fault client)"
  dotnet build src/ImeiEir.Server -c Release -nologo -v q >/dev/null
  dotnet build bench/faults/ImeiEir.FaultLoad -c Release -nologo -v q >/dev/null
fi

mkdir -p "$WORK_ROOT"
trap 'stop_all; cleanup_root' EXIT
trap 'exit 130' INT TERM
cleanup_root() { :; }

{
  echo "# bench/faults/run.sh ${*:-all}: $(date -u '+%Y-%m-%d %H:%M:%SZ'), commit $(git rev-parse --short HEAD), $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# checks: ${RATE}/s open model over 2 nodes, deadline $DEADLINE; sync: one batch of 10 RegisterDevice at a time, retried with the same id until acked"
  printf '%-4s | %-18s | %6s | %6s | %4s | %5s | %5s | %8s | %s\n' "" scenario served failed late lost twice converge note
} | tee "$RESULTS"

# two_nodes REDIS_CONFIGURATION [KEY=VALUE...]: nodes a and b, seeded; sets A, B (gRPC URLs) and A_ADMIN, B_ADMIN.
two_nodes() {
  local ga aa gb ab
  ga=$(free_port); aa=$(free_port); gb=$(free_port); ab=$(free_port)
  node_start node-a "$ga" "$aa" "$@"
  node_start node-b "$gb" "$ab" "$@"
  A=http://127.0.0.1:$ga; B=http://127.0.0.1:$gb; A_ADMIN=$aa; B_ADMIN=$ab
  fl seed --target "$A" --key "$KEY" --devices 2000 >/dev/null
  warm_up
}

# A fresh node sheds its first checks while it JIT-compiles the path at the load's rate (a cold start, not the fault):
# 3 s of checks on both nodes before the measured load.
warm_up() { fl checks --targets "$A,$B" --key "$KEY" --rate "$RATE" --for 3s >/dev/null; }

# load_start SECONDS [SYNC_TARGET]: checks on both nodes and a sync client through SYNC_TARGET (default node a).
load_start() {
  fl checks --targets "$A,$B" --key "$KEY" --rate "$RATE" --for "$1s" --deadline "$DEADLINE" --samples "$WORK/checks.samples" >"$WORK/checks.out" 2>&1 &
  PID[checks]=$!
  fl sync --target "${2:-$A}" --key "$KEY" --for "$(( $1 - 2 ))s" --run "$(basename "$WORK")-$RANDOM" --acks "$WORK/acks.jsonl" --json "$WORK/sync.json" >"$WORK/sync.out" 2>&1 &
  PID[sync]=$!
}
load_wait() {
  wait "${PID[checks]}" || true; unset "PID[checks]"
  wait "${PID[sync]}" || true; unset "PID[sync]"
  cat "$WORK/checks.out" "$WORK/sync.out" >&2
}

scenario_redis-kill() {
  local port; port=$(free_port)
  redis_start redis "$port" "$WORK/redis"
  two_nodes "127.0.0.1:$port"
  load_start 20
  sleep 6; log "SIGKILL redis"; redis_kill redis
  sleep 2; log "redis restarted on its AOF"; redis_start redis "$port" "$WORK/redis"
  load_wait
  local conv; conv=$(fl converge --targets "$A,$B" --key "$KEY" --redis "127.0.0.1:$port" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result redis-kill "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")" "${conv:--}" "$(sed 's/^sync: //' "$WORK/sync.out" | head -1)"
}

scenario_redis-empty() {
  local port; port=$(free_port)
  redis_start redis "$port" "$WORK/redis"
  two_nodes "127.0.0.1:$port"
  # The acks before the wipe are lost with it (the operator's loss, what the refusal protects against): verified before it.
  fl sync --target "$A" --key "$KEY" --for 3s --run empty-before --acks "$WORK/acks.jsonl" >&2
  local before; before=$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")
  fl checks --targets "$A,$B" --key "$KEY" --rate "$RATE" --for 12s --deadline "$DEADLINE" --samples "$WORK/checks.samples" >"$WORK/checks.out" 2>&1 &
  PID[checks]=$!
  sleep 3; log "redis restarted empty"; redis_kill redis; rm -rf "$WORK/redis"; redis_start redis "$port" "$WORK/redis"
  until_ok 20 bash -c "[ \"\$(curl -fs http://127.0.0.1:$A_ADMIN/metrics | awk '/^imeieir_sync_refused/ {print \$2}')\" = 1 ]" || true
  local refused alert
  refused=$(fl sync --target "$A" --key "$KEY" --for 1s --give-up 2s --run empty-after 2>&1 | tail -1)
  alert=$(metric "$A_ADMIN" imeieir_sync_refused)
  wait "${PID[checks]}" || true; unset "PID[checks]"
  cat "$WORK/checks.out" >&2
  # Converged here means: both nodes still serve what they had (the empty Redis is not adopted).
  local note="imeieir_sync_refused=$alert; sync after the wipe refused (UNAVAILABLE)"
  grep -q "not acked" <<<"$refused" || note="EXPECTED REFUSAL MISSING: $refused"
  result redis-empty "$(cat "$WORK/checks.out")" "$before" "$( [ "$alert" = 1 ] && echo 0 || echo -)" "$note"
}

scenario_node-kill() {
  local port; port=$(free_port)
  redis_start redis "$port" "$WORK/redis"
  two_nodes "127.0.0.1:$port"
  fl checks --targets "$B" --key "$KEY" --rate "$RATE" --for 12s --deadline "$DEADLINE" --samples "$WORK/checks.samples" >"$WORK/checks.out" 2>&1 &
  PID[checks]=$!
  # A 1 000-delta batch through node a, which is SIGKILLed once the batch is sent (while the node plans, commits or
  # acks it); the client then sends the same batch to node b: accepted, or acked as a duplicate if node a committed it.
  fl sync --target "$A" --key "$KEY" --batches 1 --batch 1000 --run node-kill --give-up 1s --sent "$WORK/sent" >"$WORK/sync-a.out" 2>&1 &
  local s=$!
  until_ok 30 test -f "$WORK/sent"
  sleep "0.0$(( RANDOM % 5 ))"; log "SIGKILL node a mid-batch"; kill -KILL "${PID[node-a]}"; unset "PID[node-a]"
  wait "$s" || true
  fl sync --target "$B" --key "$KEY" --batches 1 --batch 1000 --run node-kill --acks "$WORK/acks.jsonl" >"$WORK/sync.out" 2>&1
  wait "${PID[checks]}" || true; unset "PID[checks]"
  cat "$WORK/checks.out" "$WORK/sync-a.out" "$WORK/sync.out" >&2
  local conv; conv=$(fl converge --targets "$B" --key "$KEY" --redis "127.0.0.1:$port" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result node-kill "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")" "${conv:--}" "retry on node b: $(sed 's/^sync: //' "$WORK/sync.out" | head -1)"
}

scenario_slow-redis() {
  local port; port=$(free_port)
  redis_start redis "$port" "$WORK/redis"
  two_nodes "127.0.0.1:$port"
  load_start 14
  sleep 5; log "CLIENT PAUSE 3000 (every command waits 3 s)"; redis-cli -p "$port" client pause 3000 all >/dev/null
  load_wait
  local conv; conv=$(fl converge --targets "$A,$B" --key "$KEY" --redis "127.0.0.1:$port" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result slow-redis "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")" "${conv:--}" "$(sed 's/^sync: //' "$WORK/sync.out" | head -1)"
}

scenario_sentinel-failover() { failover sentinel-failover KILL; }
# The primary frozen (SIGSTOP) instead: its connections stay open and answer nothing, as when its host hangs or is cut
# off (no connection reset reaches the nodes), so a command already sent to it gets no reply at all.
scenario_sentinel-freeze() { failover sentinel-freeze STOP; }

# failover NAME SIGNAL: the Sentinel scenario, the primary sent SIGNAL (KILL: it dies, connections reset; STOP: frozen).
failover() {
  local name=$1 signal=$2
  local p1 p2 p3 s1 s2 s3
  p1=$(free_port); p2=$(free_port); p3=$(free_port); s1=$(free_port); s2=$(free_port); s3=$(free_port)
  redis_start redis1 "$p1" "$WORK/redis1"
  redis_start redis2 "$p2" "$WORK/redis2" --replicaof 127.0.0.1 "$p1"
  redis_start redis3 "$p3" "$WORK/redis3" --replicaof 127.0.0.1 "$p1"
  until_ok 20 bash -c "redis-cli -p $p1 info replication | grep -q '^connected_slaves:2'"
  sentinel_start sentinel1 "$s1" "$p1"; sentinel_start sentinel2 "$s2" "$p1"; sentinel_start sentinel3 "$s3" "$p1"
  until_ok 30 bash -c "redis-cli -p $s1 sentinel ckquorum eir | grep -q 'OK 3 usable'"
  two_nodes "127.0.0.1:$s1,127.0.0.1:$s2,127.0.0.1:$s3,serviceName=eir" Redis__AckReplicas=1
  load_start 40
  sleep 10
  local kill_ms; kill_ms=$(now_ms); log "SIG$signal the primary (port $p1)"
  if [ "$signal" = KILL ]; then redis_kill redis1; else kill -"$signal" "${PID[redis1]}"; fi
  if [ -n "${DIAG:-}" ]; then  # DIAG=1: both nodes' managed stacks every ~0.5 s through the failover (dotnet-stack)
    for i in $(seq 1 14); do
      for n in a b; do ~/.dotnet/tools/dotnet-stack report -p "${PID[node-$n]}" >"$WORK/stack-$n-$i.txt" 2>&1; echo "$(now_ms)" >>"$WORK/stack-$n-$i.txt"; done
      sleep 0.3
    done &
  fi
  until_ok 30 bash -c "[ \"\$(redis-cli --raw -p $s1 sentinel get-master-addr-by-name eir | sed -n 2p)\" != $p1 ]"
  local promoted_ms new; promoted_ms=$(now_ms); new=$(redis-cli --raw -p "$s1" sentinel get-master-addr-by-name eir | sed -n 2p)
  log "sentinels promoted port $new after $(( promoted_ms - kill_ms )) ms"
  load_wait
  local first_fail first_ack window
  first_fail=$(python3 -c "import json,sys; f=[x['ms'] for x in json.load(open('$WORK/sync.json'))['failures'] if x['ms']>=$kill_ms]; print(min(f) if f else $kill_ms)")
  first_ack=$(python3 -c "import json; a=[json.loads(l)['ms'] for l in open('$WORK/acks.jsonl') if json.loads(l)['ms']>$first_fail]; print(min(a) if a else 0)")
  window=$(fl report --samples "$WORK/checks.samples" --from "$kill_ms" --to "$(( first_ack + 1000 ))" --deadline "$DEADLINE")
  local statuses; statuses=$(python3 -c "import json; print(json.load(open('$WORK/sync.json'))['failedByStatus'])")
  log "kill -> first accepted batch: $(( first_ack - kill_ms )) ms; checks from the kill to 1 s after: $window; sync failures: $statuses"
  local conv; conv=$(fl converge --targets "$A,$B" --key "$KEY" --redis "127.0.0.1:$new" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result "$name" "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$new" --acks "$WORK/acks.jsonl")" "${conv:--}" \
    "promoted after $(( promoted_ms - kill_ms )) ms; first batch accepted $(( first_ack - kill_ms )) ms after the kill; sync failures $statuses; during the failover: $(sed 's/;.*p99 \([0-9.]*\) ms.*max \([0-9.]*\) ms.*/: p99 \1 ms, max \2 ms/' <<<"$window")"
}

# Node a in a network namespace of its own, with two links to the root namespace: one to Redis (cut here) and one
# its clients use (kept), so the checks on node a go on while it cannot reach Redis.
NS=eirf-node
cleanup_root() { [ "$(id -u)" -eq 0 ] && ip netns del "$NS" 2>/dev/null || true; }
scenario_link-down() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIP link-down: needs root (ip netns, veth)" | tee -a "$RESULTS"; return 0; }
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"; ip -n "$NS" link set lo up
  ip link add vfr-root type veth peer name vfr-node netns "$NS"
  ip link add vfc-root type veth peer name vfc-node netns "$NS"
  ip addr add 10.78.1.1/30 dev vfr-root; ip link set vfr-root up
  ip addr add 10.78.2.1/30 dev vfc-root; ip link set vfc-root up
  ip -n "$NS" addr add 10.78.1.2/30 dev vfr-node; ip -n "$NS" link set vfr-node up
  ip -n "$NS" addr add 10.78.2.2/30 dev vfc-node; ip -n "$NS" link set vfc-node up
  local port; port=$(free_port)
  BIND="127.0.0.1 10.78.1.1" redis_start redis "$port" "$WORK/redis"
  local ga aa gb ab; ga=$(free_port); aa=$(free_port); gb=$(free_port); ab=$(free_port)
  NETNS_EXEC="ip netns exec $NS" NODE_BIND=10.78.2.2 node_start node-a "$ga" "$aa" "10.78.1.1:$port"
  node_start node-b "$gb" "$ab" "127.0.0.1:$port"
  A=http://10.78.2.2:$ga; B=http://127.0.0.1:$gb
  fl seed --target "$B" --key "$KEY" --devices 2000 >/dev/null
  warm_up
  load_start 24 "$B"
  sleep 6; log "link node a - Redis down"; ip link set vfr-root down
  sleep 5; local behind; behind=$(NODE_BIND=10.78.2.2 metric "$aa" imeieir_redis_connected)
  log "link up (node a redis_connected while cut: $behind)"; ip link set vfr-root up
  load_wait
  local conv; conv=$(fl converge --targets "$A,$B" --key "$KEY" --redis "127.0.0.1:$port" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result link-down "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")" "${conv:--}" "sync through node b: $(sed 's/^sync: //' "$WORK/sync.out" | head -1)"
  ip netns del "$NS"
}

# Redis' dir on a 32 MB tmpfs (appendfsync everysec, as deploy/redis/redis.conf), filled while nodes sync: Redis refuses
# writes (MISCONF), the node answers UNAVAILABLE, checks go on; space freed, sync resumes.
scenario_disk-full() {
  [ "$(id -u)" -eq 0 ] || { echo "SKIP disk-full: needs root (mount tmpfs)" | tee -a "$RESULTS"; return 0; }
  mkdir -p "$WORK/disk"; mount -t tmpfs -o size=32m tmpfs "$WORK/disk"
  cleanup_root() { umount "$WORK/disk" 2>/dev/null || true; }
  local port; port=$(free_port)
  redis_start redis "$port" "$WORK/disk" --appendfsync everysec
  two_nodes "127.0.0.1:$port"
  load_start 24
  sleep 5; log "disk full"; dd if=/dev/zero of="$WORK/disk/filler" bs=64k 2>/dev/null || true
  sleep 6; local err; err=$(redis-cli -p "$port" set fault:probe 1 2>&1 | head -c 80)
  log "Redis while full: $err; freeing"; rm -f "$WORK/disk/filler"
  load_wait
  local conv; conv=$(fl converge --targets "$A,$B" --key "$KEY" --redis "127.0.0.1:$port" | sed -n 's/^converge: \([0-9.]*\) s.*/\1/p')
  result disk-full "$(cat "$WORK/checks.out")" "$(fl verify --redis "127.0.0.1:$port" --acks "$WORK/acks.jsonl")" "${conv:--}" "Redis while full: ${err}; $(sed 's/^sync: //' "$WORK/sync.out" | head -1)"
  stop_all; umount "$WORK/disk"
}

failures=0
for s in "${SCENARIOS[@]}"; do
  declare -F "scenario_$s" >/dev/null || { echo "unknown scenario '$s'" >&2; exit 2; }
  WORK=$WORK_ROOT/$s; rm -rf "$WORK"; mkdir -p "$WORK"
  log "== $s"
  "scenario_$s" 2>"$WORK/scenario.log" || failures=$((failures + 1))
  stop_all
done
echo "results: $RESULTS ($failures failed)"
[ "$failures" -eq 0 ]
