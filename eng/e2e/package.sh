#!/usr/bin/env bash
# End-to-end package test: the packages as users meet them, through the real dotnet CLI.
#
# Packs ContextAnalyzers and ContextAnalyzers.Runtime with a unique prerelease version (so the global NuGet cache can
# never serve a stale copy) into a local folder feed, copies the consumer in eng/e2e/consumer to a temporary folder
# with a nuget.config (that feed + nuget.org), and checks, one PASS/FAIL line per check:
#   host folders     every host from Roslyn 4.8 on (this SDK, Roslyn 4.8 and 4.13 hosts) takes analyzers/dotnet/roslyn4.8
#                    (analyzers + fixes); a Roslyn 4.7 host takes nothing; the build as a 4.8 host gives the same
#                    diagnostics (applying the fixes on a Roslyn 4.8 workspace: eng/e2e/roslyn48.sh)
#   build            the CTX warnings are exactly the "expect:" markers of the consumer's files (file, line, id), and
#                    there is no other warning: no analyzer load warning (CS8032 ...), no AD0001
#   severity         .editorconfig error, -warnaserror and -warnaserror:IDs break the build; #pragma and
#                    [SuppressMessage] suppress (proven against a control build without them)
#   SARIF            -p:ErrorLog writes SARIF whose rules carry the help links of existing docs pages
#   presets          ContextAnalyzersMode None / Recommended / Strict, an unknown mode, .editorconfig over a preset
#   dotnet format    --verify-no-changes fails before, the fixes apply, the project then builds clean
# The commands are the README's ("Use it in CI"), run as written. Last line: "N passed, N failed".
# CTX_E2E_KEEP=1 keeps the temporary folder for inspection.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_UI_LANGUAGE=en
export MSBUILDTERMINALLOGGER=off MSBUILDDISABLENODEREUSE=1
# The consumer is a user's project, not ours: nothing of a CI environment may leak into how it builds.
unset CTX_PACKAGES_DIR

started=$(date +%s)
passed=0; failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/ctx-e2e.XXXXXX")
feed="$work/feed"; consumer="$work/Consumer"; logs="$work/logs"
mkdir -p "$feed" "$logs"
base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
version="${base:-0.1.0}-e2e.$(date +%s).$$"
globalPackages=$(dotnet nuget locals global-packages --list 2>/dev/null | sed -n 's/^global-packages: *//p')

cleanup() {
  # The unique version is never used again: drop it from the global cache so runs do not pile up.
  if [ -n "$globalPackages" ]; then
    rm -rf "$globalPackages/contextanalyzers/$version" "$globalPackages/contextanalyzers.runtime/$version"
  fi
  if [ "${CTX_E2E_KEEP:-0}" = "1" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

pass() { passed=$((passed + 1)); echo "PASS  $1"; }
fail() {
  failed=$((failed + 1)); echo "FAIL  $1"
  shift
  [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/      /'
  return 0
}
# check NAME CONDITION-RESULT DETAILS...
check() { local name=$1 ok=$2; shift 2; if [ "$ok" = 1 ]; then pass "$name"; else fail "$name" "$@"; fi; }
finish() {
  echo "end-to-end package test: $(($(date +%s) - started)) s"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# run LOG CMD...: runs in the consumer folder, output to logs/LOG.log; returns the command's exit code.
run() {
  local log="$logs/$1.log"; shift
  echo "$*" >>"$work/commands.txt"
  (cd "$consumer" && timeout 600 "$@") >"$log" 2>&1
}
log() { printf '%s/%s.log' "$logs" "$1"; }
tail_of() { tail -n 25 "$(log "$1")"; }
# Every compile starts from changed sources, as a clean CI checkout does, so the commands stay the README's.
fresh() { touch "$consumer"/*.cs; }

# diagnostics LOG [SEVERITY-REGEX]: "File.cs:line:severity:ID" for every diagnostic MSBuild printed (deduplicated).
diagnostics() {
  grep -E '\([0-9]+,[0-9]+\): (warning|error|info) [A-Za-z]+[0-9]+' "$(log "$1")" \
    | sed -E 's#^ *([^ ].*/)?([^/(]+)\(([0-9]+),[0-9]+\): (warning|error|info) ([A-Za-z]+[0-9]+):.*#\2:\3:\4:\5#' \
    | sort -u
}
# ctx LOG SEVERITY: "File.cs:line:ID" of the CTX diagnostics with that severity.
ctx() { diagnostics "$1" | awk -F: -v sev="$2" '$3 == sev && $4 ~ /^CTX/ { print $1 ":" $2 ":" $4 }' | sort -u; }
# others LOG: every warning or error that is not a CTX diagnostic, including ones without a location
# (analyzer load failures such as CS8032 are reported without a file).
others() {
  grep -E '(warning|error) [A-Z]+[0-9]+' "$(log "$1")" | grep -vE '(warning|error) CTX[0-9]+' | sed -E 's/ +\[[^]]*\]$//' | sort -u
}
# markers KINDS: "File.cs:line:ID" for every "// KIND: ID ..." marker of the consumer's files (KINDS: a|b regex).
markers() {
  (cd "$consumer" && awk -v kinds="$1" '
    match($0, "// (" kinds "): CTX[0-9]+( CTX[0-9]+)*") {
      s = substr($0, RSTART, RLENGTH); sub(/^\/\/ [a-z]+: /, "", s)
      n = split(s, ids, " "); for (i = 1; i <= n; i++) print FILENAME ":" FNR ":" ids[i]
    }' *.cs) | sort -u
}
# same NAME EXPECTED ACTUAL: a check that two sorted lists are equal, with a readable difference.
same() {
  local name=$1 expected=$2 actual=$3
  if [ "$expected" = "$actual" ]; then pass "$name"; return; fi
  fail "$name" "expected (file:line:id):" "${expected:-<none>}" "actual:" "${actual:-<none>}"
}

echo "==> pack ContextAnalyzers and ContextAnalyzers.Runtime $version into $feed"
if dotnet build package/ContextAnalyzers/ContextAnalyzers.Package.csproj -c Release -nologo -v:q >"$logs/build-packages.log" 2>&1 \
  && dotnet build src/Runtime/ContextAnalyzers.Runtime.csproj -c Release -nologo -v:q >>"$logs/build-packages.log" 2>&1 \
  && dotnet pack package/ContextAnalyzers/ContextAnalyzers.Package.csproj -c Release --no-build -p:Version="$version" -o "$feed" -nologo -v:q >>"$logs/build-packages.log" 2>&1 \
  && dotnet pack src/Runtime/ContextAnalyzers.Runtime.csproj -c Release --no-build -p:Version="$version" -o "$feed" -nologo -v:q >>"$logs/build-packages.log" 2>&1 \
  && [ -f "$feed/ContextAnalyzers.$version.nupkg" ] && [ -f "$feed/ContextAnalyzers.Runtime.$version.nupkg" ]; then
  pass "pack: both packages in the local feed ($version)"
else
  fail "pack: both packages in the local feed" "$(tail -n 30 "$logs/build-packages.log")"
  finish
fi

# The package as published: presets byte-identical to the repository's, release notes naming every new rule.
nupkg="$feed/ContextAnalyzers.$version.nupkg"
preset_problems=""
for mode in Recommended Strict None; do
  entry="buildTransitive/config/ContextAnalyzers.$mode.globalconfig"
  if ! unzip -p "$nupkg" "$entry" 2>/dev/null | cmp -s - "package/ContextAnalyzers/$entry"; then preset_problems="$preset_problems $entry"; fi
done
for entry in build/ContextAnalyzers.props build/ContextAnalyzers.targets buildTransitive/ContextAnalyzers.props buildTransitive/ContextAnalyzers.targets; do
  unzip -l "$nupkg" "$entry" >/dev/null 2>&1 || preset_problems="$preset_problems $entry"
done
analyzer_files=$(unzip -Z1 "$nupkg" 'analyzers/*' 2>/dev/null | grep -v '/$' | sort | tr '\n' ' ')
if [ "$analyzer_files" != "analyzers/dotnet/roslyn4.8/cs/ContextAnalyzers.Analyzers.dll analyzers/dotnet/roslyn4.8/cs/ContextAnalyzers.CodeFixes.dll " ]; then
  preset_problems="$preset_problems (analyzers/ should hold exactly the analyzers and the fixes in roslyn4.8/cs, holds: $analyzer_files)"
fi
check "package: ships build/, buildTransitive/, the three preset configs as in the repository, analyzers and fixes in analyzers/dotnet/roslyn4.8/cs" "$([ -z "$preset_problems" ] && echo 1)" "missing or different:$preset_problems"
notes=$(unzip -p "$nupkg" ContextAnalyzers.nuspec | tr -d '\r' | sed -n '/<releaseNotes>/,/<\/releaseNotes>/p')
unshipped=$(grep -oE '^CTX[0-9]{3}' src/Analyzers/AnalyzerReleases.Unshipped.md | sort -u)
missing_notes=$(for id in $unshipped; do printf '%s\n' "$notes" | grep -q "^$id " || echo "$id"; done)
check "package: release notes list every rule of AnalyzerReleases.Unshipped.md ($(printf '%s\n' $unshipped | grep -c . ) rules)" \
  "$(printf '%s' "$notes" | grep -q 'Rule ID' && [ -n "$unshipped" ] && [ -z "$missing_notes" ] && echo 1)" "missing: $missing_notes" "$notes"

metadata_problems=""
for pkg in ContextAnalyzers ContextAnalyzers.Runtime; do
  nuspec=$(unzip -p "$feed/$pkg.$version.nupkg" "$pkg.nuspec" | tr -d '\r')
  for tag in "<id>$pkg</id>" "<version>$version</version>" '<description>..' '<tags>..' '<license type="expression">MIT</license>' \
    '<projectUrl>https://' '<readme>README.md</readme>' '<repository type="git" url="https://' '<authors>..' '<copyright>..'; do
    printf '%s' "$nuspec" | grep -qF -- "${tag%..}" || metadata_problems="$metadata_problems $pkg:${tag%..}"
  done
  unzip -l "$feed/$pkg.$version.nupkg" README.md >/dev/null 2>&1 || metadata_problems="$metadata_problems $pkg:README.md-file"
done
check "package: metadata complete in both packages (id, version, description, tags, MIT license, project URL, repository, README)" \
  "$([ -z "$metadata_problems" ] && echo 1)" "missing:$metadata_problems"

echo "==> consumer in $consumer"
mkdir -p "$consumer"
cp "$root"/eng/e2e/consumer/*.cs "$consumer"/
sed "s|__VERSION__|$version|g" "$root/eng/e2e/consumer/Consumer.csproj.in" >"$consumer/Consumer.csproj"
sed "s|__FEED__|$feed|g" "$root/eng/e2e/consumer/nuget.config.in" >"$consumer/nuget.config"
cp -r "$consumer" "$work/Consumer.original"

if run restore dotnet restore && grep -q "\"ContextAnalyzers/$version\"" "$consumer/obj/project.assets.json" \
  && grep -q "\"ContextAnalyzers.Runtime/$version\"" "$consumer/obj/project.assets.json"; then
  pass "restore: the consumer gets both packages by PackageReference from the local feed"
else
  fail "restore: the consumer gets both packages by PackageReference from the local feed" "$(tail_of restore)"
  finish
fi

# ---- which host gets which folder ----
# The SDK picks analyzers/dotnet/roslynX.Y by its CompilerApiVersion; setting it stands in for an older host.
analyzers_for() { # LOG [CompilerApiVersion]: the package's analyzer files the SDK resolves, as "roslynX.Y/cs/File.dll"
  local name=$1; shift
  run "$name" dotnet msbuild -nologo -t:ResolvePackageAssets -getItem:ResolvedAnalyzers "$@" || { echo "<dotnet msbuild failed: $(log "$name")>"; return 1; }
  grep -oE 'analyzers/dotnet/roslyn[0-9.]+/cs/ContextAnalyzers\.[A-Za-z]+\.dll' "$(log "$name")" | sed 's#analyzers/dotnet/##' | sort -u | tr '\n' ' '
}
both="roslyn4.8/cs/ContextAnalyzers.Analyzers.dll roslyn4.8/cs/ContextAnalyzers.CodeFixes.dll "
sdk=$(analyzers_for items-sdk)
check "host: this SDK ($(dotnet --version)) loads roslyn4.8 (analyzers + code fixes)" \
  "$([ "$sdk" = "$both" ] && echo 1)" "resolved: ${sdk:-<none>}" "$(tail_of items-sdk)"
old48=$(analyzers_for items-48 -p:CompilerApiVersion=roslyn4.8)
old413=$(analyzers_for items-413 -p:CompilerApiVersion=roslyn4.13)
check "host: Roslyn 4.8 and 4.13 hosts load roslyn4.8 (analyzers + code fixes)" \
  "$([ "$old48" = "$both" ] && [ "$old413" = "$old48" ] && echo 1)" "roslyn4.8: ${old48:-<none>}" "roslyn4.13: ${old413:-<none>}"
old47=$(analyzers_for items-47 -p:CompilerApiVersion=roslyn4.7)
check "host: a Roslyn 4.7 host loads nothing (no folder it could fail to load)" "$([ -z "$old47" ] && echo 1)" "resolved: $old47"

# ---- the build ----
expected=$(markers expect)
fresh; run build dotnet build; rc=$?
check "build: succeeds with warnings only" "$([ $rc -eq 0 ] && echo 1)" "$(tail_of build)"
same "build: CTX warnings exactly at the marked lines" "$expected" "$(ctx build warning)"
check "build: no other warning or error (no CS8032/CS8784/CS9057 analyzer load warning, no AD0001)" \
  "$([ -z "$(others build)" ] && grep -q 'Build succeeded' "$(log build)" && echo 1)" "$(others build)"

fresh; run build-roslyn48 dotnet build -p:CompilerApiVersion=roslyn4.8; rc=$?
same "build: as a Roslyn 4.8 host (CompilerApiVersion=roslyn4.8) the same warnings" "$expected" "$(ctx build-roslyn48 warning)"
check "build: as a Roslyn 4.8 host the analyzers and fixes load without any other warning" "$([ $rc -eq 0 ] && [ -z "$(others build-roslyn48)" ] && echo 1)" "$(others build-roslyn48)"

# ---- severity and suppression ----
first_id=$(printf '%s\n' "$expected" | head -n 1 | cut -d: -f3)
printf '[*.cs]\ndotnet_diagnostic.%s.severity = error\n' "$first_id" >"$consumer/.editorconfig"
fresh; run editorconfig-error dotnet build; rc=$?
rm -f "$consumer/.editorconfig"
want=$(printf '%s\n' "$expected" | grep ":$first_id\$")
check "severity: .editorconfig dotnet_diagnostic.$first_id.severity = error fails the build" "$([ $rc -ne 0 ] && echo 1)" "exit code $rc"
same "severity: .editorconfig error reports $first_id as an error at its lines" "$want" "$(ctx editorconfig-error error)"

fresh; run warnaserror dotnet build -warnaserror; rc=$?
check "severity: dotnet build -warnaserror fails, every CTX warning an error" \
  "$([ $rc -ne 0 ] && [ "$(ctx warnaserror error)" = "$expected" ] && echo 1)" "exit code $rc" "errors: $(ctx warnaserror error)"

ids=$(printf '%s\n' "$expected" | cut -d: -f3 | sort -u | paste -sd, -)
fresh; run warnaserror-ids dotnet build -warnaserror:"$ids"; rc=$?
check "severity: dotnet build -warnaserror:$ids fails with those rules as errors" \
  "$([ $rc -ne 0 ] && [ "$(ctx warnaserror-ids error)" = "$expected" ] && echo 1)" "exit code $rc" "errors: $(ctx warnaserror-ids error)"

# Control build: the suppression lines blanked out (line numbers kept), so the suppressed mistakes must show.
cp -r "$consumer" "$work/Control"
sed -i -E 's#^.*// e2e:suppression$#// (suppression removed for the control build)#' "$work/Control"/*.cs
(cd "$work/Control" && touch ./*.cs && timeout 600 dotnet build) >"$logs/control.log" 2>&1
for kind in pragma attribute; do
  suppressed=$(markers "$kind")
  shown=$(ctx control warning | grep -F -x -f <(printf '%s\n' "$suppressed") || true)
  quiet=$(ctx build warning | grep -F -x -f <(printf '%s\n' "$suppressed") || true)
  label=$([ "$kind" = pragma ] && echo "#pragma warning disable" || echo "[SuppressMessage]")
  check "suppression: $label silences what the control build reports" \
    "$([ -n "$suppressed" ] && [ "$shown" = "$suppressed" ] && [ -z "$quiet" ] && echo 1)" \
    "marked: ${suppressed:-<none>}" "control build reports: ${shown:-<none>}" "build with the suppression reports: ${quiet:-<none>}"
done

# ---- SARIF ----
fresh; run sarif dotnet build -p:ErrorLog=ctx.sarif%2Cversion=2.1; rc=$?
sarif_check=$(python3 - "$consumer/ctx.sarif" "$root" "$expected" <<'PY' 2>&1
import json, os, sys
path, root, expected = sys.argv[1], sys.argv[2], sys.argv[3].split()
log = json.load(open(path, encoding="utf-8"))
problems = []
run = log["runs"][0]
rules = {r["id"]: r for r in run["tool"]["driver"].get("rules", [])}
results = [r for r in run.get("results", []) if r["ruleId"].startswith("CTX")]
for want in sorted({e.split(":")[2] for e in expected}):
    if not any(r["ruleId"] == want for r in results):
        problems.append(f"no result for {want}")
for rid in sorted({r["ruleId"] for r in results}):
    uri = rules.get(rid, {}).get("helpUri", "")
    page = f"docs/rules/{rid}.md"
    if not uri.endswith("/" + page):
        problems.append(f"{rid}: helpUri '{uri}' does not point at {page}")
    elif not os.path.isfile(os.path.join(root, page)):
        problems.append(f"{rid}: helpUri points at {page}, which does not exist in the repository")
    if not rules.get(rid, {}).get("shortDescription", {}).get("text"):
        problems.append(f"{rid}: no title (shortDescription)")
print("\n".join(problems) if problems else f"ok: {len(results)} CTX results, rules {sorted({r['ruleId'] for r in results})}")
PY
)
check "SARIF: -p:ErrorLog writes SARIF 2.1 whose CTX rules link to their docs pages" \
  "$([ $rc -eq 0 ] && [ "${sarif_check#ok:}" != "$sarif_check" ] && echo 1)" "$sarif_check"

# ---- presets ----
fresh; run mode-none dotnet build -p:ContextAnalyzersMode=None; rc=$?
# (meaningful only because the default build reported the marked warnings: checked non-empty here)
check "preset: ContextAnalyzersMode=None reports no CTX diagnostic" \
  "$([ $rc -eq 0 ] && [ -n "$(ctx build warning)" ] && [ -z "$(ctx mode-none warning)$(ctx mode-none error)" ] && echo 1)" \
  "exit code $rc" "default build: $(ctx build warning | paste -sd' ')" "None: $(ctx mode-none warning | paste -sd' ')"
fresh; run mode-recommended dotnet build -p:ContextAnalyzersMode=Recommended; rc=$?
same "preset: ContextAnalyzersMode=Recommended reports the default warnings" "$expected" "$(ctx mode-recommended warning)"
fresh; run mode-strict dotnet build -p:ContextAnalyzersMode=Strict; rc=$?
strict_only=$(markers strict)
if [ -z "$strict_only" ]; then
  fail "preset: ContextAnalyzersMode=Strict raises the Info rules to warnings" "the consumer has no \"strict:\" marker (an Info rule's mistake): nothing to prove it with"
else
  same "preset: ContextAnalyzersMode=Strict raises the Info rules ($(printf '%s\n' "$strict_only" | cut -d: -f3 | sort -u | paste -sd' ')) to warnings" "$(markers 'expect|strict')" "$(ctx mode-strict warning)"
fi
fresh; run mode-bogus dotnet build -p:ContextAnalyzersMode=Everything; rc=$?
check "preset: an unknown ContextAnalyzersMode fails the build with a message naming the valid ones" \
  "$([ $rc -ne 0 ] && grep -q 'Recommended, Strict, None' "$(log mode-bogus)" && echo 1)" "$(tail_of mode-bogus)"
printf '[*.cs]\ndotnet_diagnostic.%s.severity = warning\n' "$first_id" >"$consumer/.editorconfig"
fresh; run mode-none-editorconfig dotnet build -p:ContextAnalyzersMode=None; rc=$?
rm -f "$consumer/.editorconfig"
same "preset: .editorconfig wins over the preset (None + $first_id = warning)" "$want" "$(ctx mode-none-editorconfig warning)"

# ---- dotnet format: the code fixes through the SDK's own command ----
run format-verify dotnet format analyzers --verify-no-changes --diagnostics $(printf '%s\n' "$expected" | cut -d: -f3 | sort -u); rc=$?
check "format: dotnet format analyzers --verify-no-changes fails while those diagnostics are reported" "$([ $rc -ne 0 ] && echo 1)" "exit code $rc" "$(tail_of format-verify)"
# The preset must reach design-time hosts too (the IDE, dotnet format's MSBuild workspace), not only the command-line build.
printf '<Project>\n  <PropertyGroup>\n    <ContextAnalyzersMode>None</ContextAnalyzersMode>\n  </PropertyGroup>\n</Project>\n' >"$consumer/Directory.Build.props"
run format-verify-none dotnet format analyzers --verify-no-changes --diagnostics $(printf '%s\n' "$expected" | cut -d: -f3 | sort -u); rc=$?
rm -f "$consumer/Directory.Build.props"
check "preset: dotnet format's workspace (a design-time host like the IDE) honours ContextAnalyzersMode=None" "$([ $rc -eq 0 ] && echo 1)" "exit code $rc" "$(tail_of format-verify-none)"
run format dotnet format analyzers --diagnostics $(printf '%s\n' "$expected" | cut -d: -f3 | sort -u); rc=$?
changed=$(cd "$work" && diff -rq Consumer.original Consumer --exclude=obj --exclude=bin --exclude='*.sarif' | grep -c '\.cs ' || true)
check "format: dotnet format analyzers --diagnostics $(printf '%s\n' "$expected" | cut -d: -f3 | sort -u | paste -sd' ') applies the code fixes" \
  "$([ $rc -eq 0 ] && [ "$changed" -gt 0 ] && ! grep -q 'Unable to fix' "$(log format)" && echo 1)" "exit code $rc, $changed file(s) changed" "$(tail_of format)"
fresh; run after-format dotnet build; rc=$?
check "format: the fixed project builds with none of those diagnostics and no new warning or error" \
  "$([ $rc -eq 0 ] && [ -z "$(ctx after-format warning)$(ctx after-format error)" ] && [ -z "$(others after-format)" ] && echo 1)" \
  "exit code $rc" "$(ctx after-format warning)" "$(others after-format)" "$(cd "$work" && diff -ru Consumer.original Consumer --exclude=obj --exclude=bin --exclude='*.sarif' | head -n 80)"
run format-verify-after dotnet format analyzers --verify-no-changes --diagnostics $(printf '%s\n' "$expected" | cut -d: -f3 | sort -u); rc=$?
check "format: dotnet format analyzers --verify-no-changes passes on the fixed project" "$([ $rc -eq 0 ] && echo 1)" "exit code $rc" "$(tail_of format-verify-after)"

# ---- the README's "Use it in CI" block is what this script ran ----
readme_commands=$(sed -n '/^## Use it in CI/,/^## /p' README.md | sed -n '/^```bash/,/^```/p' | grep '^dotnet ' \
  | sed -E 's/ {2,}#.*$//; s/[[:space:]]+$//')
not_run=$(printf '%s\n' "$readme_commands" | while IFS= read -r c; do [ -z "$c" ] || grep -qxF -- "$c" "$work/commands.txt" || echo "$c"; done)
check "README: every command of \"Use it in CI\" ran here, as written ($(printf '%s\n' "$readme_commands" | grep -c .) commands)" \
  "$([ -n "$readme_commands" ] && [ -z "$not_run" ] && echo 1)" "not run by this script:" "${not_run:-<README block not found>}" "ran:" "$(cat "$work/commands.txt")"

finish
