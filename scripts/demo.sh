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
fi

# Without real Stripe keys the demo pays through localstripe, a fake Stripe on this machine
# (its Stripe.js too); the portal shows a "test mode" banner.
if [[ -z "${STRIPE_SECRET_KEY:-}" ]]; then
  LOCALSTRIPE_PORT="${LOCALSTRIPE_PORT:-8420}"
  export STRIPE_SECRET_KEY=sk_test_demo STRIPE_PUBLISHABLE_KEY=pk_test_demo
  export STRIPE_WEBHOOK_SECRET=whsec_demo_localstripe
  export STRIPE_API_BASE="http://localhost:$LOCALSTRIPE_PORT"
  export STRIPE_JS_URL="http://localhost:$LOCALSTRIPE_PORT/js.stripe.com/v3/"
  if ! (exec 3<>/dev/tcp/127.0.0.1/"$LOCALSTRIPE_PORT") 2>/dev/null; then
    localstripe --port "$LOCALSTRIPE_PORT" >.data/localstripe.log 2>&1 &
    for _ in $(seq 1 50); do
      (exec 3<>/dev/tcp/127.0.0.1/"$LOCALSTRIPE_PORT") 2>/dev/null && break
      sleep 0.2
    done
  fi
  python - <<PY
import httpx
httpx.post(
    "$STRIPE_API_BASE/_config/webhooks/portal-demo",
    data={"url": "$PORTAL_BASE_URL/api/webhooks/stripe", "secret": "$STRIPE_WEBHOOK_SECRET"},
    timeout=5,
)
PY
  echo "==> Test mode: payments go to localstripe at $STRIPE_API_BASE (card 4242 4242 4242 4242)"
fi

echo "==> Starting the portal at $PORTAL_BASE_URL (first start builds the front end: ~1 min)"
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
reflex run --env prod --single-port --frontend-port "$PORT" --backend-port "$PORT"
