#!/usr/bin/env bash
# Overload on N5g-eir (issue 12 §3) with a client that can offer twice a node's rate: the node (with overload control,
# and one without) on core NODE_CPUS, h2load (C, nghttp2) and Redis on core CLIENT_CPUS. First three closed runs
# (h2load -c 4 -m 64) on the node without control, for reference; then, per round, open load (h2load --rps, 4
# connections x 1 000 streams, latency per request from its log) at RATE and at twice it on both nodes: the p99 of the
# 200 answers and the share answered 429 (ProblemDetails). RATE must be a rate the node sustains (bounded p99): the
# closed runs understate it (they warm up), so it is a knob. Latency is h2load's, from each request's sending.
#
#   RATE=36000 bench/overload-n5g.sh          # ~4 min; results in bench/results/overload-n5g/
#
# Knobs: RATE (36000), ROUNDS (2), SECONDS_EACH (15), CONNS (4 connections of the open load), NODE_CPUS (0),
# CLIENT_CPUS (1), DEVICES (300000), OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
RATE=${RATE:-${PEAK:-36000}}; ROUNDS=${ROUNDS:-2}; SECONDS_EACH=${SECONDS_EACH:-15}; CONNS=${CONNS:-4}
NODE_CPUS=${NODE_CPUS:-0}; CLIENT_CPUS=${CLIENT_CPUS:-1}; DEVICES=${DEVICES:-300000}
DATA=bench/.data/overload-n5g; OUTP=${OUT:-bench/results/overload-n5g}
source bench/lib.sh
need_tools; need_apt h2load nghttp2-client; build_release
rm -rf "$DATA" "$OUTP"; mkdir -p "$DATA" "$OUTP"
echo "$(date -u "+%F %T UTC") RATE=$RATE CONNS=$CONNS ROUNDS=$ROUNDS NODE_CPUS=$NODE_CPUS CLIENT_CPUS=$CLIENT_CPUS bench/overload-n5g.sh" >"$OUTP/summary.txt"
start_redis --appendonly no
taskset -a -p -c "$CLIENT_CPUS" "$REDIS_PID" >/dev/null
G=$(lt free-port); A=$(lt free-port); G2=$(lt free-port); A2=$(lt free-port)
start_node on "$G" "$A"
start_node off "$G2" "$A2" Overload__Enabled=false
lt seed --target "http://127.0.0.1:$G" --devices "$DEVICES" --mix-file "$ROOT/$DATA/mix.jsonl" | tail -1
sleep 3
QUERY=$(jq -rn 'first(inputs | select(.category == "Registered" and (.imei | test("^[0-9]{15}$"))))
  | "pei=imei-\(.imei)" + (if .imsi != "" then "&supi=\(.imsi | @uri)" else "" end)' "$DATA/mix.jsonl")
N5G=/n5g-eir-eic/v1/equipment-status?$QUERY
for u in "http://127.0.0.1:$G" "http://127.0.0.1:$G2"; do curl -s --http2-prior-knowledge -o /dev/null -w "%{http_code}\n" "$u$N5G"; done
closed() { taskset -c "$CLIENT_CPUS" h2load -D "$2" -c 4 -m 64 -t 1 "$1$N5G" 2>&1 | grep -E "^finished in|^status codes" ; }
open() { # name url rate seconds
  taskset -c "$CLIENT_CPUS" h2load -n $(($3 * $4)) -c "$CONNS" -m 1000 -t 1 --rps $(($3 / CONNS)) --log-file="$OUTP/$1.log" "$2$N5G" >"$OUTP/$1.txt" 2>&1 || true
  python3 - "$OUTP/$1.log" "$1" "$3" <<'PY'
import sys
ok=[]; shed=0; other=0; n=0
for line in open(sys.argv[1]):
    p=line.split()
    if len(p) < 3: continue
    n+=1
    if p[1]=='200': ok.append(int(p[2]))
    elif p[1]=='429': shed+=1
    else: other+=1
ok.sort(); k=len(ok)
q=lambda f: ok[min(k-1,int(k*f))] if k else 0
print(f"{sys.argv[2]} rate {sys.argv[3]}: {n} requests, 200: {k}, 429: {shed} ({100*shed/max(n,1):.1f} %), other {other}; 200s p50 {q(0.5)} p99 {q(0.99)} max {ok[-1] if k else 0} us")
PY
  grep -E "^finished in" "$OUTP/$1.txt" || echo "  (h2load did not finish on schedule: it fell behind the rate)"
  rm -f "$OUTP/$1.log" # a line per request
}
echo "warm-up"; closed "http://127.0.0.1:$G" 5 >/dev/null; closed "http://127.0.0.1:$G2" 5 >/dev/null
for r in 1 2 3; do echo "closed, node without control, r$r: $(closed "http://127.0.0.1:$G2" 10 | tr '\n' ' ')" | tee -a "$OUTP/summary.txt"; done
PEAK=$RATE
for r in $(seq "$ROUNDS"); do
  for spec in "on-peak http://127.0.0.1:$G $PEAK" "off-peak http://127.0.0.1:$G2 $PEAK" "on-2x http://127.0.0.1:$G $((PEAK * 2))" "off-2x http://127.0.0.1:$G2 $((PEAK * 2))"; do
    set -- $spec
    open "$1-r$r" "$2" "$3" "$SECONDS_EACH" | tee -a "$OUTP/summary.txt"
  done
done
