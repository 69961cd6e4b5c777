#!/usr/bin/env bash
# One command for the whole suite: installs what tests need (Chromium and poppler from Debian
# when missing), checks style, runs unit/service tests on SQLite and PostgreSQL, then the
# browser tests against a real running portal.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/pdftotext ]]; then
  echo "==> Installing Chromium and poppler-utils from Debian's packages"
  SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium poppler-utils >/dev/null
fi

# shellcheck disable=SC1091
. scripts/env.sh
export PORTAL_ENV=test

echo "==> ruff"
ruff check .
ruff format --check .

echo "==> import contracts (pyproject.toml [tool.importlinter])"
lint-imports

echo "==> types (pyright; strict paths must be clean, the rest is counted per package)"
python scripts/typecheck.py

echo "==> unit and service tests (SQLite and PostgreSQL)"
python -m pytest tests --ignore=tests/e2e -q -p no:cacheprovider "$@"

echo "==> browser tests (Chromium against a running portal)"
python -m pytest tests/e2e -q -p no:cacheprovider "$@"

# These read .web's installed packages (Radix Themes' CSS, PostCSS), which the unit phase runs
# before (there they skip); now the browser phase has built .web, so a missing one fails.
echo "==> front-end build checks (.web's packages, installed by the browser phase's build)"
PORTAL_REQUIRE_FRONT_END=1 python -m pytest tests/reflex_ext/test_radix_css.py \
  tests/reflex_ext/test_radix_css_components.py -q -p no:cacheprovider "$@"
