#!/usr/bin/env bash
# Installs the real coding-agent CLIs the end-to-end tests run (Claude Code,
# Codex, Gemini CLI, from e2e/agents' committed lockfile, about 900 MB), only
# when node_modules is missing or the lockfile changed since.
set -euo pipefail
exec "$(dirname "$0")/node-deps.sh" e2e/agents
