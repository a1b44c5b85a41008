#!/usr/bin/env bash
# What a refusal costs against an answer (issue 12 §3, bench/RESULTS.md "Overload"): at twice the rate a node can
# answer, it must also afford to refuse the excess, so refusing must cost under half an answer. One node on core
# NODE_CPUS, h2load (C, nghttp2) and Redis on core CLIENT_CPUS; closed loop (h2load -c 4 -m 64, gRPC unary Check with
# a pre-encoded request), 30 s of warm-up, then ROUNDS x (answered for SECONDS_EACH, refused for SECONDS_EACH). A call
# is refused by sending it with `grpc-timeout: 1n`: the admission middleware answers DEADLINE_EXCEEDED from fixed
# bytes before any work, the same path (and the same trailers-only answer) as a check shed for overload. Per phase:
# calls/s and the node's CPU time per call (/proc/<pid>/stat).
#
#   bench/refusal-cost.sh          # ~2 min; results in bench/results/refusal-cost.txt
#
# Knobs: ROUNDS (3), SECONDS_EACH (8), NODE_CPUS (0), CLIENT_CPUS (1), DEVICES (300000), OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}; SECONDS_EACH=${SECONDS_EACH:-8}; NODE_CPUS=${NODE_CPUS:-0}; CLIENT_CPUS=${CLIENT_CPUS:-1}
DEVICES=${DEVICES:-300000}; DATA=bench/.data/refusal-cost; OUTF=${OUT:-bench/results/refusal-cost.txt}
source bench/lib.sh
need_tools; need_apt h2load nghttp2-client; build_release
rm -rf "$DATA"; mkdir -p "$DATA" "$(dirname "$OUTF")"
start_redis --appendonly no
taskset -a -p -c "$CLIENT_CPUS" "$REDIS_PID" >/dev/null
G=$(lt free-port); A=$(lt free-port)
start_node node "$G" "$A"
NODE=${PIDS[-1]}
lt seed --target "http://127.0.0.1:$G" --devices "$DEVICES" --mix-file "$ROOT/$DATA/mix.jsonl" | tail -1
IMEI=$(jq -rn 'first(inputs | select(.category == "Registered" and (.imei | test("^[0-9]{15}$")))) | .imei' "$DATA/mix.jsonl")
# CheckRequest { imei = 1 } behind gRPC's 5-byte message prefix.
python3 - "$IMEI" "$DATA/body" <<'PY'
import sys
imei = sys.argv[1].encode()
msg = b'\x0a' + bytes([len(imei)]) + imei
open(sys.argv[2], 'wb').write(b'\x00' + len(msg).to_bytes(4, 'big') + msg)
PY
URL=http://127.0.0.1:$G/imeieir.v1.EquipmentCheck/Check
cpu_cs() { awk '{print $14 + $15}' "/proc/$NODE/stat"; }
phase() { # seconds [extra h2load args] -> "calls/s cpu-us-per-call"
  local c0 out calls
  c0=$(cpu_cs)
  out=$(taskset -c "$CLIENT_CPUS" h2load -D "$1" -c 4 -m 64 -t 1 -d "$DATA/body" -H "content-type: application/grpc" -H "te: trailers" "${@:2}" "$URL" 2>&1)
  calls=$(grep -E "^requests:" <<<"$out" | awk '{print $8}')
  awk -v c="$calls" -v s="$1" -v cs="$(($(cpu_cs) - c0))" 'BEGIN {printf "%.0f %.2f\n", c / s, cs * 10000 / c}'
}
phase 30 >/dev/null
{
  echo "$(date -u "+%F %T UTC") ROUNDS=$ROUNDS SECONDS_EACH=$SECONDS_EACH NODE_CPUS=$NODE_CPUS CLIENT_CPUS=$CLIENT_CPUS bench/refusal-cost.sh"
  echo "round answered/s cpu-us/answer refused/s cpu-us/refusal refusal/answer(cpu) refused/answered(rate)"
  for r in $(seq "$ROUNDS"); do
    read -r a ac < <(phase "$SECONDS_EACH")
    read -r f fc < <(phase "$SECONDS_EACH" -H "grpc-timeout: 1n")
    awk -v r="$r" -v a="$a" -v ac="$ac" -v f="$f" -v fc="$fc" 'BEGIN {printf "%d %d %.2f %d %.2f %.2f %.2f\n", r, a, ac, f, fc, fc / ac, f / a}'
  done
} | tee "$OUTF"
