#!/usr/bin/env bash
# The real-code precision run (docs/precision.md). Not part of the test run: it needs snapshots of public repositories.
#   bash eng/realworld.sh MIRROR [ROOT] [OUT]
# MIRROR holds one bare git directory per repository, named owner+name/repo (what the team's fetch tool writes, or any
# `git clone --bare` renamed that way). Each row of the dev set (key, repo, commit, paths) is extracted at its commit
# under ROOT/key, then every project is compiled and analysed; every finding lands in OUT (a TSV) to be read and judged.
set -euo pipefail
cd "$(dirname "$0")/.."
mirror=${1:?usage: eng/realworld.sh MIRROR [ROOT] [OUT]}
root=${2:-artifacts/realworld}
out=${3:-artifacts/realworld-findings.tsv}
devset=${DEV_SET:-../shared/realworld-dev-set.tsv}
mkdir -p "$root"
grep -v '^#' "$devset" | tail -n +2 | while IFS=$'\t' read -r key repo commit paths; do
  [ -n "$key" ] || continue
  [ -d "$root/$key" ] && continue
  include=(); exclude=()
  for p in $paths; do
    if [[ $p == !* ]]; then exclude+=(":(exclude)${p#!}"); else include+=("$p"); fi
  done
  mkdir -p "$root/$key"
  git --git-dir="$mirror/${repo/\//+}/repo" archive "$commit" "${include[@]}" "${exclude[@]}" | tar -x -C "$root/$key"
  echo "$key: $(find "$root/$key" -name '*.cs' | wc -l) C# files at $commit"
done
dotnet run -c Release --project tests/ContextAnalyzers.Benchmarks -- realworld --dev-set "$devset" --root "$root" --out "$out"
