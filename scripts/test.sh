#!/usr/bin/env bash
# The whole test suite: formatting, vet, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 ./...
# Brief fuzzing of the receiver's decoders (seed corpus in receiver/testdata/fuzz/).
go test -run='^$' -fuzz='^FuzzProto$' -fuzztime=10s ./receiver/
go test -run='^$' -fuzz='^FuzzJSON$' -fuzztime=10s ./receiver/
# ... and of the gRPC message admission (prefix, gzip inflation); minimizing is slow here, so bounded.
go test -run='^$' -fuzz='^FuzzGRPCAdmission$' -fuzztime=5s -fuzzminimizetime=200x ./receiver/
# ... and of the trace protobuf reader against pdata (seeds in events/testdata/fuzz/).
go test -run='^$' -fuzz='^FuzzWireTraces$' -fuzztime=10s -fuzzminimizetime=200x ./events/
# ... and of every text path that prints telemetry (seeds in summary/testdata/fuzz/).
for target in FuzzSummary FuzzWaterfall FuzzTruncate; do
  go test -run='^$' -fuzz="^$target\$" -fuzztime=5s ./summary/
done
# ... and of the export pipeline's reader of JSON lines files (store, unsent).
go test -run='^$' -fuzz='^FuzzScanLines$' -fuzztime=5s ./exporter/
# ... and of the capture proxy's stream and request rewriting (seeds in capture/testdata/fuzz/).
for target in FuzzSSE FuzzInjectUsage; do
  go test -run='^$' -fuzz="^$target\$" -fuzztime=5s ./capture/
done
