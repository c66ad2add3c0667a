#!/usr/bin/env bash
# bench/forward/run.sh: agentops forwarding a session to a real OpenTelemetry
# Collector, side by side with a Collector forwarding the same load (see
# bench/forward/main.go). Builds the Collector (bench/collector/build.sh),
# agentops and the load generator, then prints delivered / duplicated / lost
# spans, in-doubt ones, log records and data points, spans/s, and the
# forwarder's CPU time and peak RSS.
#
#   bash bench/forward/run.sh                       # 1M spans, default flags
#   SPANS=200000 FLAGS="--export-consumers 8" bash bench/forward/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
otelcol=$(bash bench/collector/build.sh)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/agentops" .
go build -o "$bin/loadgen" ./bench/loadgen
go run ./bench/forward -otelcol "$otelcol" -agentops "$bin/agentops" -loadgen "$bin/loadgen" \
  -spans "${SPANS:-1000000}" -flags "${FLAGS:-}" -peer="${PEER:-true}"
