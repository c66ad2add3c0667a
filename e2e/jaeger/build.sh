#!/usr/bin/env bash
# e2e/jaeger/build.sh: builds Jaeger (github.com/jaegertracing/jaeger/cmd/jaeger,
# the version go.mod pins, a Go tool dependency of this module) from the Go
# module proxy into a cache directory outside the repository, and prints the
# binary's path on stdout:
#
#   JAEGER=$(bash e2e/jaeger/build.sh)
#
# Jaeger has a module of its own here: it is built on an older OpenTelemetry
# Collector (v0.140) than agentops' pdata (v1.71), and one module cannot hold
# both. The cache is $AGENTOPS_E2E_CACHE (default ~/.cache/agentops-e2e); a
# binary built from the same go.sum and Go version is reused (the first build
# takes several minutes on 2 cores). Nothing here is committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/local/go/bin"
cache=${AGENTOPS_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agentops-e2e}
bin="$cache/jaeger"
stamp="$cache/jaeger.sha256"
sum=$( (cat "$here/go.mod" "$here/go.sum"; go version) | sha256sum | cut -d' ' -f1)
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ]; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache"
echo "e2e/jaeger/build.sh: building Jaeger into $bin (several minutes) ..." >&2
(cd "$here" && go build -trimpath -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger) >&2
mv "$bin.tmp" "$bin"
echo "$sum" >"$stamp"
echo "$bin"
