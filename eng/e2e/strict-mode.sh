#!/usr/bin/env bash
# End-to-end: static and dynamic agree. The sample service (samples/ContextAnalyzers.Sample) runs under strict mode
# before and after `dotnet format analyzers` applies the packaged code fixes.
#
# The sample's sources are copied to a temporary folder as a library that gets ContextAnalyzers and
# ContextAnalyzers.Runtime BY PACKAGE from the packed .nupkgs (CTX_PACKAGES_DIR, which eng/test.sh sets to
# artifacts/packages; else artifacts/packages; else packed here). A driver (eng/e2e/strict-mode/Program.cs) runs
# scenarios of the sample, each inside a ContextGuard that throws ContextLeakException, and prints the rule IDs
# strict mode found per scenario. Checks, one PASS/FAIL line each:
#   before  each scenario reports the expected rule IDs (CTX101, CTX102, CTX204, CTX206), and every ID strict mode
#           reports is one the analyzers report on the same sources
#   fix     dotnet format analyzers --diagnostics CTX101 CTX102 CTX204 CTX205 CTX206 changes the sources
#   after   the fixed sources build and no scenario reports anything
# Packages are restored into a folder of the run (NUGET_PACKAGES), so a package of the same version cached by an earlier
# run is never used. Last line: "N passed, N failed". CTX_E2E_KEEP=1 keeps the temporary folder.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en
export MSBUILDTERMINALLOGGER=off MSBUILDDISABLENODEREUSE=1
started=$(date +%s)
passed=0; failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ctx-strict-e2e.XXXXXX")
cleanup() { if [ "${CTX_E2E_KEEP:-0}" = "1" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi; }
trap cleanup EXIT
export NUGET_PACKAGES="$work/nuget-packages"

pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() {
  failed=$((failed + 1)); echo "FAIL  $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/      /'
  return 0
}
finish() {
  echo "end-to-end strict mode: $(($(date +%s) - started)) s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# What strict mode must find in each scenario before the fixes (the rule IDs the analyzers give the code it runs).
expected_before=$(cat <<'EOF'
OrderHandler.Handle-empty-order: CTX101 CTX102
OrderHandler.Handle-failing-order: CTX101 CTX102
OrderHandler.Resume: CTX101
OrderWorker.Accept: CTX101
OrderWorker.Start-consume-stop: CTX204 CTX206
EOF
)
fixed_ids="CTX101 CTX102 CTX204 CTX205 CTX206"

# ---- the packages ----
packages="${CTX_PACKAGES_DIR:-}"
has_packages() { ls "$1"/ContextAnalyzers.[0-9]*.nupkg "$1"/ContextAnalyzers.Runtime.[0-9]*.nupkg >/dev/null 2>&1; }
if [ -z "$packages" ] || ! has_packages "$packages"; then packages="$root/artifacts/packages"; fi
if ! has_packages "$packages"; then
  packages="$work/packages"
  echo "==> pack ContextAnalyzers and ContextAnalyzers.Runtime into $packages"
  if ! { dotnet pack package/ContextAnalyzers/ContextAnalyzers.Package.csproj -c Release -o "$packages" -nologo -v:q \
      && dotnet pack src/Runtime/ContextAnalyzers.Runtime.csproj -c Release -o "$packages" -nologo -v:q; } >"$work/pack.log" 2>&1; then
    fail "pack" "$(tail -n 30 "$work/pack.log")"; finish
  fi
fi
runtime_nupkg=$(ls -t "$packages"/ContextAnalyzers.Runtime.[0-9]*.nupkg | head -n 1)
version=$(basename "$runtime_nupkg" .nupkg); version=${version#ContextAnalyzers.Runtime.}
otel=$(sed -n 's:.*<OpenTelemetryTestVersion>\(.*\)</OpenTelemetryTestVersion>.*:\1:p' Directory.Packages.props | head -n 1)
echo "==> ContextAnalyzers $version from $packages, OpenTelemetry $otel"

# ---- the sample as a user's project, and the driver ----
before="$work/before"; after="$work/after"
mkdir -p "$before/Sample" "$before/Driver"
# Its sources and key schema, not its build output nor its project file (Sample.csproj replaces it).
tar -C samples/ContextAnalyzers.Sample -cf - --exclude=./obj --exclude=./bin --exclude='*.csproj' . | tar -C "$before/Sample" -xf -
sed -e "s|__VERSION__|$version|g" -e "s|__OTEL_VERSION__|$otel|g" eng/e2e/strict-mode/Sample.csproj.in >"$before/Sample/Sample.csproj"
cp eng/e2e/strict-mode/Driver.csproj.in "$before/Driver/Driver.csproj"
cp eng/e2e/strict-mode/Program.cs "$before/Driver/"
sed "s|__FEED__|$packages|g" eng/e2e/consumer/nuget.config.in >"$work/nuget.config"
cp -R "$before" "$after"

# ---- the fixes ----
(cd "$after/Sample" && timeout 600 dotnet format analyzers --diagnostics $fixed_ids) >"$work/format.log" 2>&1; rc=$?
changed=$(diff -rq "$before/Sample" "$after/Sample" --exclude=obj --exclude=bin | wc -l)
if [ $rc -eq 0 ] && [ "$changed" -gt 0 ] && ! grep -q 'Unable to fix' "$work/format.log"; then
  pass "fix: dotnet format analyzers --diagnostics $fixed_ids changes $changed file(s) of the sample"
else
  fail "fix: dotnet format analyzers --diagnostics $fixed_ids" "exit code $rc, $changed file(s) changed" "$(tail -n 25 "$work/format.log")"
fi

# run STATE: builds the driver (and the sample) of STATE, runs it; output in $work/STATE.out, build log in STATE.build.log.
run() {
  local state=$1
  if ! (cd "$work/$state/Driver" && timeout 600 dotnet build -c Release -nologo -v:q -clp:NoSummary) >"$work/$state.build.log" 2>&1; then
    fail "$state: the driver and the sample build" "$(grep -E 'error' "$work/$state.build.log" | sort -u | head -n 20)"
    return 1
  fi
  (cd "$work/$state/Driver" && timeout 120 dotnet bin/Release/net10.0/Driver.dll) >"$work/$state.out" 2>&1
}
# scenarios STATE: the "scenario NAME: IDs" lines the driver printed.
scenarios() { sed -n 's/^scenario //p' "$work/$1.out"; }

if run before; then
  actual=$(scenarios before)
  if [ "$actual" = "$expected_before" ]; then
    pass "before: strict mode reports the leaks of every scenario ($(sed -n 's/^findings: //p' "$work/before.out"))"
  else
    fail "before: strict mode reports the leaks of every scenario" "expected:" "$expected_before" "actual:" "$(cat "$work/before.out")"
  fi
  static=$(grep -oE 'warning CTX[0-9]+' "$work/before.build.log" | sed 's/warning //' | sort -u)
  unflagged=""
  for id in $(sed -n 's/^findings: //p' "$work/before.out"); do
    [ "$id" = none ] && continue
    printf '%s\n' "$static" | grep -qx "$id" || unflagged="$unflagged $id"
  done
  if [ -n "$static" ] && [ -z "$unflagged" ]; then
    pass "before: every rule strict mode reports is reported by the analyzers on the same sources"
  else
    fail "before: every rule strict mode reports is reported by the analyzers on the same sources" "not reported statically:${unflagged:- (no analyzer warning at all)}"
  fi
fi

if run after; then
  pass "after: the fixed sample builds"
  leftover=$(scenarios after | grep -v ': none$')
  if [ -z "$leftover" ] && [ "$(scenarios after | wc -l)" -eq "$(printf '%s\n' "$expected_before" | wc -l)" ]; then
    pass "after: no scenario reports anything"
  else
    fail "after: no scenario reports anything" "$(cat "$work/after.out")" \
      "$(cd "$work" && diff -ru before/Sample after/Sample --exclude=obj --exclude=bin | head -n 60)"
  fi
fi

finish
