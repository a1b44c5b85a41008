# Shared pieces of the fault suite (sourced by run.sh): processes started and stopped by their own pids, a private
# redis-server / redis-sentinel / node on loopback ports, the fault client, and the result line of a scenario.
# shellcheck shell=bash

FL_DLL=$ROOT/bench/faults/ImeiEir.FaultLoad/bin/Release/net10.0/ImeiEir.FaultLoad.dll
SERVER_DLL=$ROOT/src/ImeiEir.Server/bin/Release/net10.0/ImeiEir.Server.dll
KEY=fault-suite-key-$RANDOM$RANDOM
KEY_HASH=$(printf '%s' "$KEY" | sha256sum | cut -d' ' -f1)

fl() { dotnet "$FL_DLL" "$@"; }
now_ms() { date +%s%3N; }
log() { printf '%s  %s\n' "$(date +%T)" "$*" >&2; }

# Every process a scenario starts: name -> pid. stop_all kills them (TERM, then KILL), by pid only.
declare -A PID=()
stop_all() {
  local n
  for n in "${!PID[@]}"; do kill -TERM "${PID[$n]}" 2>/dev/null || true; done
  sleep 1
  for n in "${!PID[@]}"; do kill -KILL "${PID[$n]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PID=()
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# redis_start NAME PORT DIR [ARGS...]: AOF on (fsync every write: an ack is on disk); bind/address from BIND (default 127.0.0.1).
redis_start() {
  local name=$1 port=$2 dir=$3; shift 3
  mkdir -p "$dir"
  ${NETNS_EXEC:-} /usr/bin/redis-server --port "$port" --bind "${BIND:-127.0.0.1}" --dir "$dir" --appendonly yes --appendfsync always \
    --save "" --daemonize no --protected-mode no "$@" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  until_ok 10 redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null
}
redis_kill() { kill -KILL "${PID[$1]}" 2>/dev/null || true; wait "${PID[$1]}" 2>/dev/null || true; unset "PID[$1]"; }

# sentinel_start NAME PORT PRIMARY_PORT: quorum 2, down after 2 s (production: 5 s), as deploy/netns/up.sh does.
sentinel_start() {
  local name=$1 port=$2 primary=$3
  cat >"$WORK/$name.conf" <<CONF
port $port
bind 127.0.0.1
protected-mode no
dir $WORK
sentinel monitor eir 127.0.0.1 $primary 2
sentinel down-after-milliseconds eir 2000
sentinel failover-timeout eir 10000
sentinel parallel-syncs eir 1
CONF
  /usr/bin/redis-sentinel "$WORK/$name.conf" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
}

# node_start NAME GRPC ADMIN REDIS_CONFIGURATION [KEY=VALUE...]: a node process, waits for /readyz.
node_start() {
  local name=$1 grpc=$2 admin=$3 redis=$4; shift 4
  ${NETNS_EXEC:-} env Kestrel__Endpoints__Grpc__Url="http://${NODE_BIND:-127.0.0.1}:$grpc" Kestrel__Endpoints__Admin__Url="http://${NODE_BIND:-127.0.0.1}:$admin" \
    Redis__Configuration="$redis" Redis__FollowPollInterval=00:00:00.200 \
    Auth__Clients__0__Name=fault Auth__Clients__0__KeySha256="$KEY_HASH" \
    Auth__Clients__0__Roles__0=check Auth__Clients__0__Roles__1=sync Auth__Clients__0__Roles__2=selfservice \
    Logging__LogLevel__Default=Information Logging__Console__TimestampFormat="HH:mm:ss.fff " "$@" dotnet "$SERVER_DLL" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!
  until_ok 120 curl -fs -o /dev/null "http://${NODE_BIND:-127.0.0.1}:$admin/readyz" || { echo "node $name not ready" >&2; return 1; }
}

# until_ok SECONDS command...: retries every 0.1 s.
until_ok() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@" 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

metric() { curl -fs "http://${NODE_BIND:-127.0.0.1}:$1/metrics" | awk -v m="$2" '$1 ~ "^"m"($|\\{)" {print $2; exit}'; }

# result SCENARIO CHECKS_SUMMARY_LINE VERIFY_LINE CONVERGE_SECONDS [NOTE]: one line of the results table.
result() {
  local served failed late lost
  served=$(sed -n 's/.*served \([0-9]*\).*/\1/p' <<<"$2"); failed=$(sed -n 's/.*failed \([0-9]*\).*/\1/p' <<<"$2")
  late=$(sed -n 's/.*late \([0-9]*\).*/\1/p' <<<"$2"); lost=$(sed -n 's/.* \([0-9]*\) lost.*/\1/p' <<<"$3")
  local twice; twice=$(sed -n 's/.* \([0-9]*\) applied more than once.*/\1/p' <<<"$3")
  local ok=PASS
  [ "${failed:-1}" = 0 ] && [ "${late:-1}" = 0 ] && [ "${lost:-1}" = 0 ] && [ "${twice:-1}" = 0 ] && [ "$4" != "-" ] || ok=FAIL
  grep -q "giving up\|refused:\|MISSING" <<<"${5:-}" && ok=FAIL
  printf '%-4s | %-18s | %6s | %6s | %4s | %5s | %5s | %6s s | %s\n' "$ok" "$1" "${served:-?}" "${failed:-?}" "${late:-?}" "${lost:-?}" "${twice:-?}" "$4" "${5:-}" | tee -a "$RESULTS"
  [ "$ok" = PASS ]
}
