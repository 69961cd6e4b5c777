#!/usr/bin/env bash
# Production: build the front end once, migrate once, serve from any number of hosts.
# See README "Production" and docs/deploy.md.
#
#   scripts/prod.sh build     compile the pages and build the static front end into
#                             $REFLEX_WEB_WORKDIR/build/client (default .web): once per release,
#                             on a build machine or the first host; copy the folder to the others
#   scripts/prod.sh migrate   check the configuration, then alembic upgrade head: once per release
#   scripts/prod.sh serve     check the configuration and serve the built front end, the websocket
#                             and /api with PORTAL_WORKERS Granian workers on one port: no compile,
#                             no build, no migration, so a host (re)starts in seconds
#   scripts/prod.sh           build, migrate and serve in one go (one host)
#
#   PORTAL_ENV=production PORTAL_SECRET_KEY=... DATABASE_URL=postgresql+psycopg://... \
#   REDIS_URL=redis://127.0.0.1:6379/0 PORTAL_WORKERS=2 PORTAL_BASE_URL=https://portal.example \
#   scripts/prod.sh
#
# With PORTAL_FRONTEND=external, `serve` runs the backend alone and a static server / reverse
# proxy in front serves $REFLEX_WEB_WORKDIR/build/client (same origin, see README).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck disable=SC1091
. scripts/env.sh

export PORTAL_ENV="${PORTAL_ENV:-production}"
HOST="${HOST:-0.0.0.0}"
PORT="${PORT:-8000}"
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://localhost:$PORT}"
# The built front end has the backend's address baked in: make it the public address, not
# Reflex's default http://localhost:<port>, or browsers elsewhere never reach the backend.
export REFLEX_API_URL="${REFLEX_API_URL:-$PORTAL_BASE_URL}"
# Reflex reads its redis_url from rxconfig.py (REDIS_URL via settings); a stray
# REFLEX_REDIS_URL would silently win over it, so it must agree or be unset.
if [[ -n "${REFLEX_REDIS_URL:-}" && "${REFLEX_REDIS_URL}" != "${REDIS_URL:-}" ]]; then
  echo "error: REFLEX_REDIS_URL differs from REDIS_URL; unset REFLEX_REDIS_URL" >&2
  exit 2
fi
WEB_DIR="${REFLEX_WEB_WORKDIR:-.web}"
BUILT="$WEB_DIR/build/client"
# The backend address the build was made for, written beside it by `build`.
STAMP="$WEB_DIR/build/portal-api-url"

check_config() {
  # Refuses placeholder secrets and PORTAL_WORKERS>1 without a reachable REDIS_URL, one line
  # per wrong variable. Prints the worker count.
  echo "==> Checking configuration" >&2
  python -m portal_app.cli check-config
}

build() {
  # Compiles every page and runs the front-end build (the ~30 s part of a start).
  echo "==> Building the front end into $BUILT for $REFLEX_API_URL"
  reflex export --frontend-only --no-zip --env prod
  printf '%s\n' "$REFLEX_API_URL" >"$STAMP"
}

migrate() {
  check_config >/dev/null
  # Reviewed migrations only; safe to repeat (a no-op at head).
  echo "==> Migrating the database"
  python -m portal_app.cli migrate
}

serve() {
  local workers external
  workers="$(check_config)"
  external=$([[ "${PORTAL_FRONTEND:-app}" == "external" ]] && echo 1 || echo 0)
  if [[ ! -f "$BUILT/index.html" || ! -f "$STAMP" ]]; then
    echo "error: no built front end in $BUILT; run scripts/prod.sh build first" >&2
    exit 2
  fi
  if [[ "$(cat "$STAMP")" != "$REFLEX_API_URL" ]]; then
    echo "error: the front end in $BUILT was built for $(cat "$STAMP"), not" \
      "REFLEX_API_URL=$REFLEX_API_URL; build it again with this address" >&2
    exit 2
  fi
  # What `reflex run --env prod` sets in its workers (Reflex's own internal switches): serve the
  # compiled app without compiling it again and, on one port, mount the built files at `/`.
  export REFLEX_ENV_MODE=prod
  export __REFLEX_SKIP_COMPILE=true
  if [[ "$external" == 0 ]]; then
    export __REFLEX_MOUNT_FRONTEND_COMPILED_APP=true
    echo "==> ${workers} worker(s) serving $PORTAL_BASE_URL on $HOST:$PORT (built front end, no compile)"
  else
    echo "==> ${workers} backend worker(s) on $HOST:$PORT; a static server serves $BUILT"
  fi
  echo "    state manager: $([[ -n "${REDIS_URL:-}" ]] && echo redis || echo "in process")"
  exec python -m granian --interface asgi --factory --host "$HOST" --port "$PORT" \
    --workers "$workers" portal_app.portal_app:app
}

case "${1:-all}" in
  build) build ;;
  migrate) migrate ;;
  serve) serve ;;
  all)
    migrate
    build
    serve
    ;;
  *)
    echo "usage: scripts/prod.sh [build|migrate|serve]" >&2
    exit 2
    ;;
esac
