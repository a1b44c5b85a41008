#!/usr/bin/env bash
# Issue 10 §7 in one command: what TLS and each credential cost a check. Builds Release, makes a throw-away PKI
# (CA, server and client certificates, an NRF's ES256 key, an access token, an API key) under bench/.data/security
# (git-ignored; deleted at the end), starts a private redis-server and three nodes on loopback — cleartext without
# authentication (the baseline), cleartext with authentication, TLS with authentication and client certificates
# allowed — seeds a small data set, then measures in rounds that alternate every configuration:
#
#   unary gRPC Check (lt, closed model)   no-auth | key | trusted network | TLS + trusted network | TLS + key | TLS + client cert
#   N5g-eir GET (h2load)                  no-auth | key | trusted network | token | TLS + trusted network | TLS + key | TLS + token
#   N5g-eir GET (lt: h2load has no client certificates)                     no-auth | TLS + key | TLS + client cert
#
# Per run: requests/s, the node's CPU per request (/proc/PID/stat over the measured window) and bytes the node
# allocated per request (its /metrics: dotnet_gc_heap_total_allocated_bytes over imeieir_checks). Writes
# bench/results/security/{rounds/*.json, summary.json, summary.md, machine.json}.
#
#   bench/security.sh                      # ~16 min on 2 shared cores (20 at load average 30+)
#   ROUNDS=5 DURATION=20s bench/security.sh
#
# Knobs (environment): ROUNDS (3), WARMUP (3s: lt's warm-up, and an h2load pass before each measured one),
# DURATION (10s), CONCURRENCY (32 lt callers on 1 connection), H2_CONNECTIONS (4), H2_STREAMS (32 per connection),
# DEVICES (100000), KEEP_PKI (0: 1 keeps bench/.data/security/pki), OUT (bench/results/security).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
ROUNDS=${ROUNDS:-3}
WARMUP=${WARMUP:-3s}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
H2_CONNECTIONS=${H2_CONNECTIONS:-4}
H2_STREAMS=${H2_STREAMS:-32}
DEVICES=${DEVICES:-100000}
KEEP_PKI=${KEEP_PKI:-0}
OUT=${OUT:-bench/results/security}
DATA=bench/.data/security
PKI=$DATA/pki
# shellcheck source=bench/lib.sh
source bench/lib.sh
need_apt redis-server redis-server
need_apt redis-cli redis-tools
need_apt h2load nghttp2-client
need_apt jq jq
need_apt curl curl
need_apt openssl openssl

STARTED=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
T0=$(date +%s)

build_release

rm -rf "$DATA"
mkdir -p "$PKI" "$OUT/rounds" "$OUT/lt" "$OUT/h2load"
chmod 700 "$PKI"
find "$OUT" -maxdepth 2 -type f \( -name "*.json" -o -name "*.md" -o -name "*.txt" \) -delete
exec > >(tee "$OUT/console.txt") 2>&1 # the run's own log, kept with its results (no key or token is printed)

# Processes are stopped by their own pids on exit (bench/lib.sh); then the throw-away PKI goes.
cleanup_extra() { [[ $KEEP_PKI == 1 ]] || rm -rf "$PKI"; }

# --- throw-away PKI and credentials (private keys never leave bench/.data/security/pki) -------------------------
log "PKI: CA, server certificate (127.0.0.1), client certificates, NRF ES256 key and token, API key"
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec_key "$PKI/ca-key.pem"
openssl req -x509 -new -key "$PKI/ca-key.pem" -subj "/CN=ImeiEir Bench CA" -days 2 -sha256 -out "$PKI/ca.pem" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash"
issue() { # name cn subjectAltName extendedKeyUsage
  ec_key "$PKI/$1-key.pem"
  openssl req -new -key "$PKI/$1-key.pem" -subj "/CN=$2" -out "$PKI/$1.csr"
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\nsubjectAltName=%s\n' "$4" "$3" >"$PKI/$1.ext"
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca-key.pem" -CAcreateserial -days 2 -sha256 \
    -extfile "$PKI/$1.ext" -out "$PKI/$1.pem" 2>/dev/null
}
CLIENT_NAME=amf1.bench.test
issue server localhost "IP:127.0.0.1,DNS:localhost" serverAuth
issue client "$CLIENT_NAME" "DNS:$CLIENT_NAME" clientAuth
issue stranger stranger.bench.test "DNS:stranger.bench.test" clientAuth # valid, but names no configured client
ec_key "$PKI/nrf-key.pem"
openssl pkey -in "$PKI/nrf-key.pem" -pubout -out "$PKI/nrf-public.pem"
ec_key "$PKI/other-nrf-key.pem"
NRF_ISSUER=8f2c6a52-3c9e-4c1a-9f53-0d3cbb0f1a11
NF_INSTANCE_ID=5e1f0c3a-7d4b-4e6a-9b8c-2f1d0e3c4b5a
TOKEN=$(lt token --signing-key "$PKI/nrf-key.pem" --issuer "$NRF_ISSUER" --audience "$NF_INSTANCE_ID" --ttl 120m)
FORGED=$(lt token --signing-key "$PKI/other-nrf-key.pem" --issuer "$NRF_ISSUER" --audience "$NF_INSTANCE_ID" --ttl 120m)
KEY=$(openssl rand -hex 24)
KEY_SHA=$(printf %s "$KEY" | sha256sum | cut -d' ' -f1)

# --- Redis and the three nodes ---------------------------------------------------------------------------------
REDIS=$(lt free-port)
redis-server --port "$REDIS" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --protected-mode yes >"$DATA/redis.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do redis-cli -p "$REDIS" ping >/dev/null 2>&1 && break; sleep 0.05; done

# The same credentials on both authenticating nodes: one client known by key and by certificate name (role check),
# one NRF, and loopback as a trusted network (requests with no credential at all get role check).
AUTH=(Auth__Clients__0__Name=bench-amf Auth__Clients__0__KeySha256="$KEY_SHA" Auth__Clients__0__CertificateNames__0="$CLIENT_NAME"
  Auth__Clients__0__Roles__0=check Auth__Oauth2__Issuers__0__Issuer="$NRF_ISSUER"
  Auth__Oauth2__Issuers__0__SigningKeyPath="$ROOT/$PKI/nrf-public.pem" Nrf__NfInstanceId="$NF_INSTANCE_ID"
  Auth__TrustedNetworks__0=127.0.0.0/8)
declare -A URL PID ADMIN
start_node() { # name scheme [KEY=VALUE ...]
  local name=$1 scheme=$2 grpc admin
  shift 2
  grpc=$(lt free-port); admin=$(lt free-port)
  env Kestrel__Endpoints__Grpc__Url="$scheme://127.0.0.1:$grpc" Kestrel__Endpoints__Admin__Url="http://127.0.0.1:$admin" \
    Redis__Configuration="127.0.0.1:$REDIS" Logging__LogLevel__Default=Warning "$@" \
    dotnet "$SERVER_DLL" >"$DATA/$name.log" 2>&1 &
  PIDS+=($!)
  PID[$name]=$!
  URL[$name]=$scheme://127.0.0.1:$grpc
  ADMIN[$name]=http://127.0.0.1:$admin
}
start_node noauth http Auth__Enabled=false
start_node clear http "${AUTH[@]}"
start_node tls https "${AUTH[@]}" Kestrel__Endpoints__Grpc__Certificate__Path="$ROOT/$PKI/server.pem" \
  Kestrel__Endpoints__Grpc__Certificate__KeyPath="$ROOT/$PKI/server-key.pem" \
  Kestrel__Endpoints__Grpc__ClientCertificateMode=AllowCertificate Auth__ClientCertificates__CaPath="$ROOT/$PKI/ca.pem"
for n in noauth clear tls; do
  for _ in $(seq 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "${ADMIN[$n]}/readyz") == 200 ]] && break
    kill -0 "${PID[$n]}" 2>/dev/null || { echo "node $n exited:" >&2; cat "$DATA/$n.log" >&2; exit 1; }
    sleep 0.1
  done
done
log "redis :$REDIS; nodes: noauth ${URL[noauth]}, clear ${URL[clear]}, tls ${URL[tls]}"

log "seed: $DEVICES devices through the no-auth node (all three follow the same Redis)"
lt seed --target "${URL[noauth]}" --devices "$DEVICES" --mix-file "$DATA/mix.jsonl" --json "$DATA/seed.json" | tail -n 2
metric() { # admin_url name -> value (0 when absent); the exporter caches a scrape for a moment, so callers wait
  curl -s "$1/metrics" | awk -v n="$2" '$1 == n || index($1, n "{") == 1 {s += $2} END {printf "%.0f\n", s}'
}
SEQ=$(metric "${ADMIN[noauth]}" imeieir_index_sequence)
for n in clear tls; do
  for _ in $(seq 100); do [[ $(metric "${ADMIN[$n]}" imeieir_index_sequence) -ge $SEQ ]] && break; sleep 0.2; done
done

# One registered device as an N5g-eir query (h2load sends the same request every time).
QUERY=$(jq -rn 'first(inputs | select(.category == "Registered" and (.imei | test("^[0-9]{15}$"))))
  | "pei=imei-\(.imei)" + (if .imsi != "" then "&supi=\(.imsi | @uri)" else "" end)' "$DATA/mix.jsonl")
N5G=/n5g-eir-eic/v1/equipment-status?$QUERY

# --- sanity: each credential is what authorizes (and a wrong one is refused) ---------------------------------------
log "sanity: every credential accepted, wrong ones refused"
expect() { # want description curl-args...
  local want=$1 what=$2 got
  shift 2
  got=$(curl -s -o /dev/null -w '%{http_code}' --http2 --cacert "$PKI/ca.pem" "$@")
  printf '  %-48s %s\n' "$what" "$got"
  [[ $got == "$want" ]] || { echo "expected $want for: $what" >&2; exit 1; }
}
expect 200 "cleartext, key" --http2-prior-knowledge -H "authorization: Bearer $KEY" "${URL[clear]}$N5G"
expect 200 "cleartext, trusted network" --http2-prior-knowledge "${URL[clear]}$N5G"
expect 401 "cleartext, unknown key" --http2-prior-knowledge -H "authorization: Bearer x$KEY" "${URL[clear]}$N5G"
expect 200 "cleartext, token" --http2-prior-knowledge -H "authorization: Bearer $TOKEN" "${URL[clear]}$N5G"
expect 401 "cleartext, token signed by another key" --http2-prior-knowledge -H "authorization: Bearer $FORGED" "${URL[clear]}$N5G"
expect 200 "TLS, token" -H "authorization: Bearer $TOKEN" "${URL[tls]}$N5G"
expect 200 "TLS, client certificate" --cert "$PKI/client.pem" --key "$PKI/client-key.pem" "${URL[tls]}$N5G"
expect 401 "TLS, certificate naming no client" --cert "$PKI/stranger.pem" --key "$PKI/stranger-key.pem" "${URL[tls]}$N5G"
# The load tool really presents its certificate: with the stranger's, every call is refused.
for api in check n5g; do
  lt run --api "$api" --target "${URL[tls]}" --mix "$DATA/mix.jsonl" --mix-limit 100 --concurrency 1 --warmup 0s --duration 1s \
    --ca "$PKI/ca.pem" --cert "$PKI/stranger.pem" --cert-key "$PKI/stranger-key.pem" --label "sanity-$api" --out "$DATA/sanity-$api" --no-png >/dev/null || true
  refused=$(jq '.statusCodes.Unauthenticated // 0' "$DATA/sanity-$api.json")
  printf '  %-48s %s\n' "lt $api, TLS, certificate naming no client" "$refused x UNAUTHENTICATED"
  [[ $refused -gt 0 && $(jq '.statusCodes.OK // 0' "$DATA/sanity-$api.json") == 0 ]] || { echo "lt did not present its certificate" >&2; exit 1; }
done

# --- measurements --------------------------------------------------------------------------------------------------
TLS_CA=(--ca "$PKI/ca.pem")
CERT=(--cert "$PKI/client.pem" --cert-key "$PKI/client-key.pem")
# name node lt-options...
GRPC=("grpc-noauth noauth" "grpc-key clear --key $KEY" "grpc-trusted clear" "grpc-tls-trusted tls ${TLS_CA[*]}"
  "grpc-tls-key tls ${TLS_CA[*]} --key $KEY" "grpc-tls-cert tls ${TLS_CA[*]} ${CERT[*]}")
LTN5G=("ltn5g-noauth noauth" "ltn5g-tls-key tls ${TLS_CA[*]} --key $KEY" "ltn5g-tls-cert tls ${TLS_CA[*]} ${CERT[*]}")
# name node h2load-header (empty: none)
H2=("n5g-noauth noauth" "n5g-key clear authorization: Bearer $KEY" "n5g-trusted clear" "n5g-token clear authorization: Bearer $TOKEN"
  "n5g-tls-trusted tls" "n5g-tls-key tls authorization: Bearer $KEY" "n5g-tls-token tls authorization: Bearer $TOKEN")

proc_cpu() { awk '{ sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13] }' "/proc/$1/stat"; } # clock ticks
machine_busy() { awk 'NR == 1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
CLK_TCK=$(getconf CLK_TCK)

# alloc_row out node before_alloc before_checks: adds the node's allocated bytes per check to the row file.
alloc_row() {
  local out=$1 node=$2 a0=$3 c0=$4 a1 c1
  sleep 1.1
  a1=$(metric "${ADMIN[$node]}" dotnet_gc_heap_total_allocated_bytes_total)
  c1=$(metric "${ADMIN[$node]}" imeieir_checks_total)
  # A scrape that lacked the counter reads 0: such a window gets no figure rather than a wrong one.
  jq --argjson a0 "$a0" --argjson a1 "$a1" --argjson c "$((c1 - c0))" \
    '. + {nodeChecks: $c, nodeAllocatedBytes: [$a0, $a1],
          allocatedBytesPerCheck: (if $c > 0 and $a0 > 0 and $a1 > $a0 then (($a1 - $a0) / $c * 10 | round / 10) else null end)}' \
    "$out" >"$out.tmp" && mv "$out.tmp" "$out"
}

run_lt() { # round api spec...
  local r=$1 api=$2 name=$3 node=$4 a0 c0 row
  shift 4
  row=$OUT/rounds/$name-r$r.json
  a0=$(metric "${ADMIN[$node]}" dotnet_gc_heap_total_allocated_bytes_total)
  c0=$(metric "${ADMIN[$node]}" imeieir_checks_total)
  lt run --api "$api" --target "${URL[$node]}" --mix "$DATA/mix.jsonl" --concurrency "$CONCURRENCY" --channels 1 \
    --warmup "$WARMUP" --duration "$DURATION" --server-pid "${PID[$node]}" --label "$name-r$r" --out "$OUT/lt/$name-r$r" --no-png "$@" \
    | grep "calls/s" | sed 's/^/  /' || true
  rm -f "$OUT/lt/$name-r$r.md"
  jq --arg name "$name" --argjson round "$r" --arg tool lt --arg load "$(cut -d' ' -f1 /proc/loadavg)" '{name: $name, round: $round, tool: $tool, api: .api,
      requestsPerSecond: .checksPerSecond, errors: .errors, statusCodes: .statusCodes, latencyUs: .latencyUs,
      serverCpuSeconds: .cpu.serverSeconds, serverUsPerRequest: .cpu.serverUsPerCheck, clientUsPerRequest: .cpu.clientUsPerCheck,
      machineBusyCores: .cpu.machineBusyCores, loadAverage: ($load | tonumber)}' "$OUT/lt/$name-r$r.json" >"$row"
  alloc_row "$row" "$node" "$a0" "$c0"
}

run_h2() { # round name node [header]
  local r=$1 name=$2 node=$3 header=${4:-} row text a0 c0 p0 p1 m0 m1 secs
  row=$OUT/rounds/$name-r$r.json
  secs=${DURATION%s}
  local args=(-c "$H2_CONNECTIONS" -m "$H2_STREAMS" -t 1)
  [[ -n $header ]] && args+=(-H "$header")
  h2load "${args[@]}" -D "${WARMUP%s}" "${URL[$node]}$N5G" >/dev/null 2>&1 || true
  a0=$(metric "${ADMIN[$node]}" dotnet_gc_heap_total_allocated_bytes_total)
  c0=$(metric "${ADMIN[$node]}" imeieir_checks_total)
  p0=$(proc_cpu "${PID[$node]}"); m0=$(machine_busy)
  text=$(h2load "${args[@]}" -D "$secs" "${URL[$node]}$N5G" 2>&1 || true)
  p1=$(proc_cpu "${PID[$node]}"); m1=$(machine_busy)
  printf '%s\n' "$text" >"$OUT/h2load/$name-r$r.txt"
  jq -n --arg t "$text" --arg name "$name" --argjson round "$r" --argjson cpu "$(((p1 - p0)))" --argjson busy "$((m1 - m0))" \
    --argjson tck "$CLK_TCK" --argjson secs "$secs" --arg load "$(cut -d' ' -f1 /proc/loadavg)" '
    ($t | capture("finished in (?<s>[0-9.]+)s, (?<rps>[0-9.]+) req/s")) as $f
    | ($t | capture("requests: (?<total>[0-9]+) total, [0-9]+ started, [0-9]+ done, (?<ok>[0-9]+) succeeded, (?<failed>[0-9]+) failed")) as $q
    | ($t | capture("status codes: (?<s2>[0-9]+) 2xx, (?<s3>[0-9]+) 3xx, (?<s4>[0-9]+) 4xx, (?<s5>[0-9]+) 5xx")) as $c
    | ($t | capture("time for request: +(?<min>[0-9.]+[mu]?s) +(?<max>[0-9.]+[mu]?s) +(?<mean>[0-9.]+[mu]?s)")) as $l
    | ($q.ok | tonumber) as $ok
    | {name: $name, round: $round, tool: "h2load", api: "n5g", requestsPerSecond: ($f.rps | tonumber),
       errors: (($q.failed | tonumber) + ($c.s3 | tonumber) + ($c.s4 | tonumber) + ($c.s5 | tonumber)),
       statusCodes: {"2xx": ($c.s2 | tonumber), "4xx": ($c.s4 | tonumber), "5xx": ($c.s5 | tonumber)},
       latency: {min: $l.min, mean: $l.mean, max: $l.max},
       serverCpuSeconds: ($cpu / $tck), serverUsPerRequest: (if $ok > 0 then ($cpu / $tck * 1e6 / $ok * 100 | round / 100) else null end),
       machineBusyCores: ($busy / $tck / $secs * 100 | round / 100), loadAverage: ($load | tonumber)}' >"$row"
  alloc_row "$row" "$node" "$a0" "$c0"
  jq -r '"  \(.name): \(.requestsPerSecond | floor) req/s, node \(.serverUsPerRequest) µs/request, errors \(.errors)"' "$row"
}

log "warm-up pass: every node, both APIs (JIT tiering before round 1)"
for n in noauth clear tls; do
  h2load -c "$H2_CONNECTIONS" -m "$H2_STREAMS" -t 1 -D 3 -H "authorization: Bearer $KEY" "${URL[$n]}$N5G" >/dev/null 2>&1 || true
  tls=(); [[ $n == tls ]] && tls=("${TLS_CA[@]}")
  lt run --target "${URL[$n]}" --mix "$DATA/mix.jsonl" --concurrency "$CONCURRENCY" --warmup 0s --duration 3s --key "$KEY" "${tls[@]}" \
    --label "warm-$n" --no-png >/dev/null || true
done

for r in $(seq "$ROUNDS"); do
  log "round $r/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  # The order rotates each round, so no configuration always runs first or right after another.
  for k in $(seq 0 $((${#GRPC[@]} - 1))); do
    i=$(((k + r - 1) % ${#GRPC[@]}))
    # shellcheck disable=SC2086 # a spec is "name node options..."
    run_lt "$r" check ${GRPC[$i]}
  done
  for k in $(seq 0 $((${#H2[@]} - 1))); do
    i=$(((k + r - 1) % ${#H2[@]}))
    read -r name node header <<<"${H2[$i]}"
    run_h2 "$r" "$name" "$node" "$header"
  done
  for k in $(seq 0 $((${#LTN5G[@]} - 1))); do
    i=$(((k + r - 1) % ${#LTN5G[@]}))
    # shellcheck disable=SC2086
    run_lt "$r" n5g ${LTN5G[$i]}
  done
done

# --- summary -------------------------------------------------------------------------------------------------------
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench || echo "+uncommitted")
jq -n --arg date "$STARTED" --arg ended "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" --arg uname "$(uname -a)" \
  --arg cpu "$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores" --arg commit "$COMMIT" \
  --arg cmd "bench/security.sh (ROUNDS=$ROUNDS WARMUP=$WARMUP DURATION=$DURATION CONCURRENCY=$CONCURRENCY H2_CONNECTIONS=$H2_CONNECTIONS H2_STREAMS=$H2_STREAMS DEVICES=$DEVICES)" \
  --arg before "$LOAD_BEFORE" --arg after "$LOAD_AFTER" --argjson seconds "$(($(date +%s) - T0))" \
  --arg dotnet "$(dotnet --version)" --arg h2load "$(h2load --version | head -1)" --arg openssl "$(openssl version)" \
  '{date: $date, ended: $ended, seconds: $seconds, commit: $commit, uname: $uname, cpu: $cpu, dotnetSdk: $dotnet, h2load: $h2load,
    openssl: $openssl, command: $cmd, loadBefore: $before, loadAfter: $after}' >"$OUT/machine.json"

# Per configuration: medians over rounds of requests/s, of the ratio to the same round's baseline, of the node's CPU
# per request and its difference to the same round's baseline; the bytes allocated per request are the largest of the
# rounds, because the runtime's counter can only under-count: the imprecise GC.GetTotalAllocatedBytes keeps a
# high-water mark, and was seen to stand still for a while in some runs (a window then reads too little or nothing).
jq -s '
  def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def r2: if . == null then null else (. * 100 | round / 100) end;
  def group: if .tool == "h2load" then "n5g-h2load" elif .api == "n5g" then "n5g-lt" else "grpc-lt" end;
  def baseline: {"grpc-lt": "grpc-noauth", "n5g-h2load": "n5g-noauth", "n5g-lt": "ltn5g-noauth"}[group];
  . as $all
  | [group_by(.name)[] | . as $runs | $runs[0] as $first
     | [ $runs[] | . as $x | ($all[] | select(.name == ($x | baseline) and .round == $x.round)) as $b
         | {ratio: ($x.requestsPerSecond / $b.requestsPerSecond), dus: ($x.serverUsPerRequest - $b.serverUsPerRequest)} ] as $vs
     | {name: $first.name, group: ($first | group), tool: $first.tool, baseline: ($first | baseline), rounds: ($runs | length),
        requestsPerSecond: ([$runs[].requestsPerSecond] | median | round), perRound: [$runs | sort_by(.round)[].requestsPerSecond | round],
        ratioToBaseline: ([$vs[].ratio] | median | r2),
        serverUsPerRequest: ([$runs[].serverUsPerRequest] | median | r2), serverUsPerRound: [$runs | sort_by(.round)[].serverUsPerRequest],
        serverUsOverBaseline: ([$vs[].dus] | median | r2),
        allocatedBytesPerCheck: ([$runs[].allocatedBytesPerCheck | select(. != null)] | max | if . == null then null else (. * 10 | round / 10) end),
        clientUsPerRequest: ([$runs[].clientUsPerRequest | select(. != null)] | median | r2),
        machineBusyCores: ([$runs[].machineBusyCores] | median), errors: ([$runs[].errors] | add)}]
' "$OUT"/rounds/*.json >"$OUT/summary.json"

{
  echo "# Security: TLS and credentials ($STARTED, $COMMIT)"
  echo
  echo "$(jq -r .command "$OUT/machine.json"); load average $LOAD_BEFORE before, $LOAD_AFTER after; $(jq -r .cpu "$OUT/machine.json")"
  echo
  echo "| configuration | tool | requests/s (median) | per round | ratio to baseline | node µs/request | Δ µs vs baseline | node B/request | client µs/request | busy cores | errors |"
  echo "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
  jq -r '.[] | "| \(.name) | \(.tool) | \(.requestsPerSecond) | \(.perRound | map(tostring) | join(", ")) | \(.ratioToBaseline) | \(.serverUsPerRequest) | \(.serverUsOverBaseline) | \(.allocatedBytesPerCheck // "") | \(.clientUsPerRequest // "") | \(.machineBusyCores) | \(.errors) |"' "$OUT/summary.json"
} >"$OUT/summary.md"
log "summary ($(($(date +%s) - T0)) s)"
cat "$OUT/summary.md"
