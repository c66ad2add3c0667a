#!/usr/bin/env bash
# bench/collector/build.sh: builds the OpenTelemetry Collector of
# builder-config.yaml with the Collector's own builder (ocb), both taken from
# the Go module proxy, into a cache directory outside the repository, and
# prints the binary's path on stdout:
#
#   OTELCOL=$(bash bench/collector/build.sh)
#   "$OTELCOL" --config bench/collector/nop.yaml
#
# The cache is $AGENTOPS_BENCH_CACHE (default ~/.cache/agentops-bench). A
# binary built from the same manifest is reused: the first build takes a few
# minutes on 2 cores, later calls return at once. Nothing here is committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/local/go/bin"
cache=${AGENTOPS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentops-bench}
manifest="$here/builder-config.yaml"
# The builder's release is the manifest's: every Collector module at one.
release=$(sed -n 's/^  version: *"\{0,1\}\([0-9.]*\)"\{0,1\}$/v\1/p' "$manifest")
[ -n "$release" ] || { echo "build.sh: no dist.version in $manifest" >&2; exit 1; }
src="$cache/otelcol-bench-src"
bin="$cache/otelcol-bench"
stamp="$cache/otelcol-bench.sha256"

sum=$( (cat "$manifest"; go version) | sha256sum | cut -d' ' -f1)
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
  echo "$bin"
  exit 0
fi

mkdir -p "$cache/bin"
if [ "$("$cache/bin/builder" version 2>&1 | sed -n 's/.*\(v[0-9.]*\).*/\1/p')" != "$release" ]; then
  echo "build.sh: installing the Collector builder $release ..." >&2
  GOBIN="$cache/bin" go install "go.opentelemetry.io/collector/cmd/builder@$release" >&2
fi

echo "build.sh: building the Collector into $bin (a few minutes) ..." >&2
rm -rf "$src"
mkdir -p "$src"
# The builder expands no variables in dist.output_path: write it in a copy.
sed "s|^dist:\$|dist:\n  output_path: $src|" "$manifest" >"$cache/builder-config.yaml"
# GOFLAGS=-e: the builder's `go mod tidy` also resolves the components'
# test-only imports, and the file exporter's tests import an encoding
# extension the module proxy does not serve at this release; -e (a flag only
# go mod tidy knows) resolves everything the Collector itself imports and
# skips that one. A module the Collector really needs still fails the build.
(cd "$cache" && GOFLAGS="-e ${GOFLAGS:-}" "$cache/bin/builder" --config "$cache/builder-config.yaml" >"$cache/build.log" 2>&1) ||
  { tail -20 "$cache/build.log" >&2; echo "build.sh: the Collector build failed: see $cache/build.log" >&2; exit 1; }
mv "$src/otelcol-bench" "$bin"
echo "$sum" >"$stamp"
echo "$bin"
