#!/usr/bin/env bash
# Runs the runtime tests (tests/ContextAnalyzers.Tests/Runtime and Stress) against several OpenTelemetry versions:
# the runtime declares OpenTelemetry.Api >= 1.15.3, relies on its private baggage slot and counts baggage the way the
# loaded propagator encodes it (1.15.x URL-encodes, later versions percent-encode), so the lowest and the newest
# served versions are both checked. Each version builds in its own artifacts folder (nothing shared with the usual build).
# usage: bash eng/runtime-otel-versions.sh [version...]   (default: 1.15.3 1.21.0)
set -euo pipefail
cd "$(dirname "$0")/.."
versions=("$@")
if [ ${#versions[@]} -eq 0 ]; then versions=(1.15.3 1.21.0); fi
status=0
for v in "${versions[@]}"; do
  echo "== OpenTelemetry $v"
  if ! dotnet test tests/ContextAnalyzers.Tests -c Release -p:OpenTelemetryTestVersion="$v" \
      --artifacts-path "artifacts/otel-$v" \
      --filter "FullyQualifiedName~ContextAnalyzers.Tests.Runtime|FullyQualifiedName~ContextAnalyzers.Tests.Stress"; then
    status=1
  fi
done
exit $status
