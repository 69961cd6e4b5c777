# Environment for running Reflex offline from this project folder. Source it: `. scripts/env.sh`.
PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$PROJECT_DIR/.venv/bin:$PROJECT_DIR/.tools/node_modules/.bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
if command -v npm >/dev/null 2>&1; then
  NPM_CONFIG_REGISTRY="$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)"
  export NPM_CONFIG_REGISTRY
fi
