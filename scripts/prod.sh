#!/usr/bin/env bash
# Production start: check the configuration, migrate, build the front end once, then serve it
# and the backend with PORTAL_WORKERS worker processes on one port. See README "Production".
#
#   PORTAL_ENV=production PORTAL_SECRET_KEY=... DATABASE_URL=postgresql+psycopg://... \
#   REDIS_URL=redis://127.0.0.1:6379/0 PORTAL_WORKERS=2 PORTAL_BASE_URL=https://portal.example \
#   scripts/prod.sh
#
# With PORTAL_FRONTEND=external it builds the static front end into .web/build/client and runs
# the backend alone, for a static server / reverse proxy in front (same origin, see README).
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

# 1. Configuration: refuses placeholder secrets and PORTAL_WORKERS>1 without a reachable
#    REDIS_URL, one line per wrong variable. Prints the worker count.
echo "==> Checking configuration"
WORKERS="$(python -m portal_app.cli check-config)"

# 2. Database schema: alembic upgrade head (reviewed migrations only).
echo "==> Migrating the database"
python -m portal_app.cli migrate

# 3. Workers. Reflex 0.10 serves the production backend with Granian; GRANIAN_WORKERS is the
#    process count (without it Reflex picks 2*CPUs+1 whenever Redis is configured).
export REFLEX_USE_GRANIAN=true
export GRANIAN_WORKERS="$WORKERS"
echo "==> ${WORKERS} backend worker(s), state manager: $([[ -n "${REDIS_URL:-}" ]] && echo redis || echo "in process")"

if [[ "${PORTAL_FRONTEND:-app}" == "external" ]]; then
  # Static files for any web server; it must proxy /_event (websocket), /ping, /_health,
  # /_upload, /_all_routes and /api to the backend so front end and backend share one origin.
  echo "==> Building the front end into .web/build/client"
  reflex export --frontend-only --no-zip --env prod
  echo "==> Backend only on $HOST:$PORT"
  exec reflex run --env prod --backend-only --backend-host "$HOST" --backend-port "$PORT"
fi

# One port for everything: `reflex run --env prod --single-port` compiles the pages and builds
# the front end once in this supervisor process, then forks the workers, which skip compiling
# and serve the built files beside /_event, /ping and /api.
echo "==> Building the front end once, then serving $PORTAL_BASE_URL on $HOST:$PORT"
exec reflex run --env prod --single-port --backend-host "$HOST" \
  --frontend-port "$PORT" --backend-port "$PORT"
