#!/usr/bin/env bash
# Installs the real coding-agent CLIs the end-to-end tests run (Claude Code,
# Codex, Gemini CLI, from e2e/agents' committed lockfile). Runs `npm ci`
# only when node_modules is missing or the lockfile changed since.
set -euo pipefail
cd "$(dirname "$0")/../e2e/agents"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nodejs npm >/dev/null
fi

stamp=node_modules/.agentops-lock.sha256
if [ -f "$stamp" ] && sha256sum --check --status "$stamp" 2>/dev/null; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
sha256sum package-lock.json >"$stamp"
