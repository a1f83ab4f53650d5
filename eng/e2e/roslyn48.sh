#!/usr/bin/env bash
# End-to-end: the packaged code fixes in a Roslyn 4.8 workspace (the host of Visual Studio 17.8 and the .NET 8 SDK).
#
# eng/e2e/roslyn48 is a console pinned to Microsoft.CodeAnalysis.CSharp.Workspaces 4.8.0. It loads
# analyzers/dotnet/roslyn4.8/cs of the packed ContextAnalyzers .nupkg (analyzers and code fixes) and applies one fix per
# rule that has one, on eng/e2e/roslyn48/cases/CTXnnn.cs: the case must report CTXnnn, the fixed code must compile
# against OpenTelemetry and the packed ContextAnalyzers.Runtime with fewer CTXnnn, and no analyzer may throw.
# The packages: CTX_PACKAGES_DIR (eng/test.sh packs there), or packed here into a temporary folder.
# One PASS/FAIL line per check; last line "N passed, N failed". CTX_E2E_SHOW=1 prints every fixed case.
set -uo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en
export MSBUILDTERMINALLOGGER=off
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/ctx-roslyn48.XXXXXX")
trap 'rm -rf "$work"' EXIT

packages="${CTX_PACKAGES_DIR:-}"
if [ -z "$packages" ] || ! ls "$packages"/ContextAnalyzers.[0-9]*.nupkg "$packages"/ContextAnalyzers.Runtime.[0-9]*.nupkg >/dev/null 2>&1; then
  packages="$work/packages"
  echo "==> pack ContextAnalyzers and ContextAnalyzers.Runtime into $packages"
  if ! { dotnet pack package/ContextAnalyzers/ContextAnalyzers.Package.csproj -c Release -o "$packages" -nologo -v:q \
      && dotnet pack src/Runtime/ContextAnalyzers.Runtime.csproj -c Release -o "$packages" -nologo -v:q; } >"$work/pack.log" 2>&1; then
    tail -n 30 "$work/pack.log"; echo "FAIL  pack"; echo "0 passed, 1 failed"; exit 1
  fi
fi

echo "==> build eng/e2e/roslyn48 (Microsoft.CodeAnalysis.CSharp.Workspaces 4.8.0)"
if ! dotnet build eng/e2e/roslyn48/Roslyn48Fixes.csproj -c Release -nologo -v:q -o "$work/bin" >"$work/build.log" 2>&1; then
  tail -n 30 "$work/build.log"; echo "FAIL  build eng/e2e/roslyn48"; echo "0 passed, 1 failed"; exit 1
fi

echo "==> the packaged fixes from $packages on Roslyn 4.8"
show=(); [ "${CTX_E2E_SHOW:-0}" = "1" ] && show=(--show)
dotnet "$work/bin/Roslyn48Fixes.dll" --packages "$packages" --cases eng/e2e/roslyn48/cases "${show[@]}"
rc=$?
echo "end-to-end Roslyn 4.8 fixes: $(($(date +%s) - started)) s"
exit $rc
