#!/usr/bin/env bash
# Coverage-guided fuzzing with SharpFuzz + AFL++ (persistent loop): tests/ImeiEir.Fuzz/fuzz.sh [target|all] [executions]
# Default: every target in ALL, 1 000 000 executions each, one at a time at low priority. Installs afl++ (apt) and the
# SharpFuzz tool (into .work/, gitignored) when missing, builds Release, instruments copies of the assemblies under
# test, runs afl-fuzz until the executions are reached, prints a table, replays any crash with its stack, and exits
# non-zero on a crash. Findings stay in .work/findings/<target>/. See docs/fuzzing.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$here/.work"
ALL=(identifiers n5g-query diameter credential jwt)
# Only the code under test is instrumented: our assemblies and, for the jwt target, Microsoft.IdentityModel's
# parser. Never System.* (the runtime's assemblies are not IL-only, and their coverage would be noise).
INSTRUMENT=(ImeiEir.Core ImeiEir.Diameter ImeiEir.Server Microsoft.IdentityModel.JsonWebTokens Microsoft.IdentityModel.Tokens)
SHARPFUZZ_VERSION=2.3.0

target="${1:-all}"
executions="${2:-1000000}"
if [ "$target" = all ]; then targets=("${ALL[@]}"); else targets=("$target"); fi
[[ "$executions" =~ ^[0-9]+$ ]] || { echo "executions must be a number, not '$executions'" >&2; exit 2; }

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
if ! command -v afl-fuzz >/dev/null 2>&1; then
  echo "installing afl++..."
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y afl++ >/dev/null 2>&1 || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y afl++ >/dev/null; }
fi
if [ ! -x "$work/tools/sharpfuzz" ]; then
  echo "installing SharpFuzz.CommandLine $SHARPFUZZ_VERSION into $work/tools..."
  dotnet tool install --tool-path "$work/tools" SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION" >/dev/null
fi

echo "building..."
dotnet build "$here/ImeiEir.Fuzz.csproj" -c Release -warnaserror -nologo -v quiet >/dev/null
build="$here/bin/Release/net10.0"
for t in "${targets[@]}"; do
  dotnet "$build/ImeiEir.Fuzz.dll" --list | grep -qx -- "$t" || { echo "unknown target '$t'" >&2; dotnet "$build/ImeiEir.Fuzz.dll" --list >&2; exit 2; }
done

# Instrumented copy of the build: the plain one in bin/ stays for replay (instrumented code outside afl-fuzz has no
# shared memory to write its coverage to).
rm -rf "$work/instrumented"
cp -r "$build" "$work/instrumented"
for assembly in "${INSTRUMENT[@]}"; do
  "$work/tools/sharpfuzz" "$work/instrumented/$assembly.dll" >/dev/null
done

export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1
# One field of fuzzer_stats; older AFL++ releases name some differently (the second name).
field() { grep -E "^($1|${3:-$1}) " "$2" | head -1 | sed 's/.*: *//'; }
rows=()
crashed=0
for t in "${targets[@]}"; do
  corpus="$here/corpus/$t"
  [ -d "$corpus" ] || corpus="$here/corpus/identifiers"   # imei, imsi, msisdn share the identifiers seeds
  out="$work/findings/$t"
  rm -rf "$out"; mkdir -p "$out"
  dict=(); [ -f "$here/dict/$t.dict" ] && dict=(-x "$here/dict/$t.dict")
  echo "fuzzing $t: $executions executions (log: $out/afl.log)..."
  nice -n 10 afl-fuzz -i "$corpus" -o "$out" -t 5000 -m none -E "$executions" "${dict[@]}" \
    -- dotnet "$work/instrumented/ImeiEir.Fuzz.dll" "$t" >"$out/afl.log" 2>&1 || { echo "afl-fuzz failed on $t:"; tail -20 "$out/afl.log"; exit 1; }
  s="$out/default/fuzzer_stats"
  done_=$(field execs_done "$s"); time_=$(field run_time "$s"); corpus_=$(field corpus_count "$s" paths_total)
  crashes=$(field saved_crashes "$s" unique_crashes); hangs=$(field saved_hangs "$s" unique_hangs)
  rate=$(( time_ > 0 ? done_ / time_ : done_ ))
  rows+=("$(printf '| %-11s | %12s | %8s | %6s | %7s | %5s | %6s |' "$t" "$done_" "$rate" "$corpus_" "$crashes" "$hangs" "${time_}s")")
  if [ "$crashes" != 0 ]; then
    crashed=1
    echo "CRASHES in $t: replaying them (uninstrumented build) for their stacks:"
    dotnet "$build/ImeiEir.Fuzz.dll" "$t" --replay "$out/default/crashes" || true
  fi
done

echo
echo "SharpFuzz $SHARPFUZZ_VERSION, $(afl-fuzz -h 2>&1 | grep -o 'afl-fuzz++[0-9a-z.]*' | head -1), $(nproc) cores, $(date -u +%Y-%m-%d)"
echo "| target      |   executions | execs/s  | corpus | crashes | hangs | time   |"
echo "|-------------|--------------|----------|--------|---------|-------|--------|"
printf '%s\n' "${rows[@]}"
exit $crashed
