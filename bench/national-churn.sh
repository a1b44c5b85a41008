#!/usr/bin/env bash
# Sync throughput at national scale (bench/RESULTS.md, "At national scale"): a private redis-server (appendfsync
# always, the deploy config's listpack limits) and one node on loopback, seeded with the hydration goal's data set
# (8.7 M devices, ~16 M deltas through RegistrySync.Apply), then 1 M churn deltas to warm up and 1 M measured.
# Prints deltas/s, CPU seconds of node and Redis per million (from /proc), Redis' per-command cost, the node's GC
# counts (its /metrics) and RSS. ~6 min on the 2-core machine; needs ~2.5 GB of memory.
#
#   bench/national-churn.sh
#   DEVICES=1000000 bench/national-churn.sh          # smaller
#   NODE_ENV="Index__CompactionFractionOfSnapshot=4" bench/national-churn.sh   # any node setting or DOTNET_ variable
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
DEVICES=${DEVICES:-8700000}
DATA=bench/.data/national
ARTIFACTS=bench/.data/artifacts
command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; }

dotnet build src/ImeiEir.Server/ImeiEir.Server.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn" || true
dotnet build bench/ImeiEir.LoadTest/ImeiEir.LoadTest.csproj -c Release --artifacts-path "$ARTIFACTS" -v q -nologo | grep -E "error|Warn" || true
LT=(dotnet "$ARTIFACTS/bin/ImeiEir.LoadTest/release/ImeiEir.LoadTest.dll")

rm -rf "$DATA"; mkdir -p "$DATA"
RP=$("${LT[@]}" free-port); GP=$("${LT[@]}" free-port); AP=$("${LT[@]}" free-port)
redis-server --port "$RP" --bind 127.0.0.1 --dir "$ROOT/$DATA" --appendonly yes --appendfsync always --save "" \
  --hash-max-listpack-entries 1024 --hash-max-listpack-value 128 >"$DATA/redis.log" 2>&1 &
RPID=$!
# shellcheck disable=SC2086 # NODE_ENV holds KEY=VALUE words
env Kestrel__Endpoints__Grpc__Url="http://127.0.0.1:$GP" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$AP" \
  Redis__Configuration="127.0.0.1:$RP" Auth__Enabled=false Logging__LogLevel__Default=Warning ${NODE_ENV:-} \
  dotnet "$ARTIFACTS/bin/ImeiEir.Server/release/ImeiEir.Server.dll" >"$DATA/node.log" 2>&1 &
NPID=$!
trap 'kill $NPID $RPID 2>/dev/null || true' EXIT
for _ in $(seq 300); do [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$AP/readyz") == 200 ]] && break; sleep 0.1; done
T=http://127.0.0.1:$GP

"${LT[@]}" seed --target "$T" --devices "$DEVICES" --amnesty 0.18 --subscriber-ratio 0.575 --json "$DATA/seed.json" 2>&1 | tr '\r' '\n' | tail -1
echo "redis: $(redis-cli -p "$RP" info keyspace | tail -1), $(redis-cli -p "$RP" info memory | grep used_memory_human | tr -d '\r')"
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
gc() { curl -s "http://127.0.0.1:$AP/metrics" | grep -E '^dotnet_gc_collections_total' | sed -E 's/.*generation="(gen[0-9])"\} ([0-9]+)/\1 \2/' | tr '\n' ' '; }
echo "GC collections after the seed: $(gc)"
for run in warm-up measured; do
  redis-cli -p "$RP" config resetstat >/dev/null
  n0=$(cpu $NPID); r0=$(cpu $RPID)
  "${LT[@]}" sync --target "$T" --deltas 1000000 --batch 5000 2>&1 | tr '\r' '\n' | grep -v '^sync \[' | tail -1
  n1=$(cpu $NPID); r1=$(cpu $RPID)
  echo "$run: node $(( n1 - n0 )) cs, redis $(( r1 - r0 )) cs of CPU for 1 000 000 deltas"
  redis-cli -p "$RP" info commandstats | grep -E 'evalsha|hget:|hset:' | tr -d '\r' | sed 's/^/  /'
done
echo "GC collections at the end: $(gc)"
grep VmRSS "/proc/$NPID/status"
