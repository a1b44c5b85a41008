#!/usr/bin/env bash
# Runs one ImeiEir node on this machine with demo data. Starts a private local Redis (installing redis-server if
# missing) unless Redis__Configuration is set, builds the solution, starts the node, imports deploy/demo/demo.csv
# and prints how to query it. Ctrl-C stops the node and the Redis it started.
set -euo pipefail
cd "$(dirname "$0")"
root=$(pwd)
mkdir -p .run

if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  echo "installing redis-server..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y redis-server >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y redis-server >/dev/null; }
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

if [ -z "${Redis__Configuration:-}" ]; then
  port=${EIR_REDIS_PORT:-6390}
  mkdir -p .run/redis
  /usr/bin/redis-server "$root/deploy/redis/redis.conf" --port "$port" --dir "$root/.run/redis" --daemonize no \
    --save "" >.run/redis.log 2>&1 &
  pids+=($!)
  export Redis__Configuration="127.0.0.1:$port"
  for _ in $(seq 1 100); do (echo PING >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
  echo "Redis: 127.0.0.1:$port (data in .run/redis, log .run/redis.log)"
fi

echo "building (Release)..."
dotnet build src/ImeiEir.Server -c Release -v quiet -nologo | grep -E "error|warn" || true
dotnet build src/ImeiEir.Cli -c Release -v quiet -nologo | grep -E "error|warn" || true

key=${EIR_DEMO_KEY:-demo-key-change-me}
hash=$(printf '%s' "$key" | sha256sum | cut -d' ' -f1)
export Auth__Clients__0__Name=demo Auth__Clients__0__KeySha256="$hash"
export Auth__Clients__0__Roles__0=check Auth__Clients__0__Roles__1=selfservice Auth__Clients__0__Roles__2=sync
grpc=${EIR_GRPC_URL:-http://127.0.0.1:5080}
admin=${EIR_ADMIN_URL:-http://127.0.0.1:5081}
export Kestrel__Endpoints__Grpc__Url="$grpc" Kestrel__Endpoints__Admin__Url="$admin"

dotnet src/ImeiEir.Server/bin/Release/net10.0/ImeiEir.Server.dll &
pids+=($!)
for _ in $(seq 1 300); do curl -fs "$admin/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fs "$admin/readyz" >/dev/null || { echo "the node did not become ready"; exit 1; }

eir="dotnet src/ImeiEir.Cli/bin/Release/net10.0/eir.dll"
$eir import deploy/demo/demo.csv --server "$grpc" --key "$key"

cat <<MSG

ImeiEir is running: gRPC + N5g-eir on $grpc, admin (metrics, healthz, readyz) on $admin.
  export EIR_SERVER=$grpc EIR_KEY=$key
  $eir status
  $eir check 490154204653424 --msisdn 996700123456          # registered: ALLOW
  $eir check 00000000000000 --msisdn 996700000001           # null IMEI, unbound number: grace (GREYLISTED)
  $eir check 86753090999999 --msisdn 996700123456           # unknown: DENY not registered
  $eir check 86753090999999 --imsi 250011234567890          # roaming SIM: ALLOW
  $eir device 00000000000000
  curl "$admin/metrics"
  curl --http2-prior-knowledge -H "authorization: Bearer $key" "$grpc/n5g-eir-eic/v1/equipment-status?pei=imei-490154204653424"
Ctrl-C stops everything.
MSG
wait "${pids[-1]}"
