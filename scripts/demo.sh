#!/usr/bin/env bash
# One command for a fresh machine: install, migrate SQLite, load demo data, serve on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# shellcheck disable=SC1091
. scripts/env.sh
export PORT="${PORT:-8000}"
export PORTAL_BASE_URL="${PORTAL_BASE_URL:-http://localhost:$PORT}"

python -m portal_app.cli migrate
python -m portal_app.cli seed-demo

# A local mail catcher so password-reset e-mails of the demo print here instead of vanishing.
if ! (exec 3<>/dev/tcp/127.0.0.1/"${SMTP_PORT:-1025}") 2>/dev/null; then
  python -m aiosmtpd -n -l "127.0.0.1:${SMTP_PORT:-1025}" -c aiosmtpd.handlers.Debugging stdout &
  trap 'kill $! 2>/dev/null || true' EXIT
fi

echo "==> Starting the portal at $PORTAL_BASE_URL (first start builds the front end: ~1 min)"
reflex run --env prod --single-port --frontend-port "$PORT" --backend-port "$PORT"
