# Shared start-up of the single-machine benchmark scripts (bench/events.sh, bench/overload.sh, bench/security.sh): build the node and
# the load tool into bench/.data/artifacts, start processes that are stopped by their own pids on exit, a private
# redis-server and nodes on loopback. Source it after setting ROOT (the repository) and DATA (a scratch folder).
# Provides: log, need_apt, need_tools, build_release (SERVER_DLL, LT_DLL, lt), PIDS + cleanup trap (then the script's own cleanup_extra, if it defines one), start_redis (REDIS port), start_node.

ARTIFACTS=${ARTIFACTS:-bench/.data/artifacts}

log() { printf '\n== %s  %s\n' "$(date +%T)" "$*"; }

need_apt() { # command package: installs the Debian package when the command is missing
  command -v "$1" >/dev/null 2>&1 && return
  log "installing $2"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}

need_tools() { # installs redis-server, redis-cli, jq, curl when one is missing (Debian)
  for tool in redis-server redis-cli jq curl; do
    command -v "$tool" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server redis-tools jq curl >/dev/null; break; }
  done
}

build_release() { # builds Release into $ARTIFACTS; sets SERVER_DLL, LT_DLL
  log "building Release"
  dotnet build src/ImeiEir.Server/ImeiEir.Server.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn|Elapsed" || true
  dotnet build bench/ImeiEir.LoadTest/ImeiEir.LoadTest.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn|Elapsed" || true
  SERVER_DLL=$ARTIFACTS/bin/ImeiEir.Server/release/ImeiEir.Server.dll
  LT_DLL=$ARTIFACTS/bin/ImeiEir.LoadTest/release/ImeiEir.LoadTest.dll
  [[ -f $SERVER_DLL && -f $LT_DLL ]] || { echo "build failed" >&2; exit 1; }
}

lt() { dotnet "$LT_DLL" "$@"; }

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 2
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  # Only our own processes: a bare `wait` would also wait for a script's `tee` of its console, which waits for us.
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
}
trap cleanup EXIT INT TERM

start_redis() { # [redis-server options...]: a private redis-server on a free loopback port; sets REDIS, REDIS_PID
  REDIS=$(lt free-port)
  redis-server --port "$REDIS" --bind 127.0.0.1 --dir "$ROOT/$DATA" --save "" --daemonize no --protected-mode yes "$@" \
    >"$DATA/redis.log" 2>&1 &
  PIDS+=($!)
  REDIS_PID=$!
  for _ in $(seq 100); do redis-cli -p "$REDIS" ping >/dev/null 2>&1 && return; sleep 0.05; done
  echo "redis-server never answered" >&2; exit 1
}

start_node() { # name grpc-port admin-port [KEY=VALUE ...]: a node on $REDIS, authentication off (on the cores NODE_CPUS if set); waits for /readyz
  local name=$1 grpc=$2 admin=$3
  shift 3
  env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$grpc" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$admin" \
    Redis__Configuration="127.0.0.1:$REDIS" Auth__Enabled=false Logging__LogLevel__Default=Warning "$@" \
    ${NODE_CPUS:+taskset -c "$NODE_CPUS"} dotnet "$SERVER_DLL" >"$DATA/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1200); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$admin/readyz") == 200 ]] && return
    sleep 0.1
  done
  echo "node $name never became ready" >&2
  exit 1
}
