#!/usr/bin/env bash
# Tears down what deploy/netns/up.sh built: stops the processes it started (by the pids it recorded, then any
# process still inside one of its namespaces), deletes the namespaces (their veths and the bridge go with them).
# Safe to run any number of times; touches nothing that is not in an eir-* namespace of the topology.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=topology.sh
. "$here/topology.sh"
run=${EIR_NETNS_RUN:-$root/.run/netns}
quiet=false; [ "${1:-}" = "--quiet" ] && quiet=true

[ "$(id -u)" -eq 0 ] || { echo "down.sh: needs root (ip netns)" >&2; exit 1; }

# 1. The pids up.sh recorded, politely, then firmly.
if compgen -G "$run/pids/*.pid" >/dev/null; then
  for f in "$run"/pids/*.pid; do kill -TERM "$(cat "$f")" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for f in "$run"/pids/*.pid; do kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for f in "$run"/pids/*.pid; do kill -KILL "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; done
fi

# 2. Anything else still inside our namespaces (e.g. left by a run whose pid files were lost), then the namespaces.
removed=0
for ns in "${ALL_NS[@]}"; do
  if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || { sleep 0.5; ip netns del "$ns"; }
    removed=$((removed + 1))
  fi
done

left=0
for ns in "${ALL_NS[@]}"; do ip netns list | awk '{print $1}' | grep -qx "$ns" && left=$((left + 1)); done
$quiet || echo "down.sh: removed $removed namespaces; topology namespaces left: $left"
[ "$left" -eq 0 ]
