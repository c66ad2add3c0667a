#!/usr/bin/env bash
# Installs what the Node.js end-to-end tests need: node and npm (from Debian
# when missing) and each directory's packages from its committed lockfile
# (default e2e/node; scripts/agent-clis.sh passes e2e/agents). Runs `npm ci`
# in a directory only when its node_modules is missing or its lockfile
# changed since.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || set -- e2e/node

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi

for dir in "$@"; do
  cd "$root/$dir"
  stamp=node_modules/.agentops-lock.sha256
  if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
    continue
  fi
  npm ci --no-audit --no-fund --loglevel=error
  sha256sum package-lock.json >"$stamp"
done
