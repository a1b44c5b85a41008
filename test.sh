#!/usr/bin/env bash
# Runs every test. Installs what the tests need (redis-server) when it is missing; the tests start their own
# private redis-server on free loopback ports and stop it after.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v redis-server >/dev/null 2>&1 && [ ! -x /usr/bin/redis-server ]; then
  echo "installing redis-server..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get install -y redis-server >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y redis-server >/dev/null; }
fi
# curl (N5g-eir tests over HTTP/2 and TLS), freeDiameter (the S13 interop peer nobody here wrote), redis-sentinel and
# promtool (deployment files' checks). The deployment checks also `npm ci` their pinned checkers (npm registry).
need=()
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v freeDiameterd >/dev/null 2>&1 || need+=(freediameter)
[ -x /usr/bin/redis-sentinel ] || need+=(redis-sentinel)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}..."
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${need[@]}" >/dev/null; }
fi

dotnet build ImeiEir.sln -c Release -warnaserror
# Code style as .editorconfig states it (the build enforces analyzers; this checks whitespace and usings too).
dotnet format ImeiEir.sln --verify-no-changes --no-restore
dotnet test ImeiEir.sln -c Release --no-build --logger "console;verbosity=normal" "$@"
# The check path must not allocate: lookup, policy and parse benchmarks, fast job, fail on any allocation.
bench/check-allocations.sh
