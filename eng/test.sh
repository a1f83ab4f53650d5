#!/usr/bin/env bash
# The one test command (README and .ci/run): packs both packages, runs every test project, then the
# end-to-end package tests (eng/e2e/*.sh, when present), and prints one summary line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en
root=$(pwd)
results="$root/artifacts/test-results"
packages="$root/artifacts/packages"
rm -rf "$results" "$packages"
mkdir -p "$results" "$packages"
passed=0; failed=0; skipped=0; status=0

step() { printf '\n==> %s\n' "$*"; }

step "pack ContextAnalyzers and ContextAnalyzers.Runtime into artifacts/packages"
if ! dotnet pack ContextAnalyzers.sln -c Release -o "$packages" -warnaserror:NU1603 -nologo -v:q; then
  echo "pack failed"; failed=$((failed + 1)); status=1
fi

step "dotnet test ContextAnalyzers.sln"
export CTX_PACKAGES_DIR="$packages"
dotnet test ContextAnalyzers.sln -c Release --nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" || status=1

for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { printf '%s' "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  p=$(get passed); f=$(get failed); n=$(get notExecuted)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
if ! ls "$results"/*.trx >/dev/null 2>&1; then
  echo "no test results were written"; failed=$((failed + 1)); status=1
fi

# End-to-end scripts print their own "N passed, N failed" line as their last line.
for e2e in eng/e2e/*.sh; do
  [ -f "$e2e" ] || continue
  step "end-to-end: $e2e"
  out=$(mktemp)
  bash "$e2e" 2>&1 | tee "$out"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
  p=$(printf '%s' "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p'); f=$(printf '%s' "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ] || [ -z "$line" ]; then status=1; [ "${f:-0}" -gt 0 ] || failed=$((failed + 1)); fi
  rm -f "$out"
done

[ "$failed" -eq 0 ] || status=1
echo
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
