#!/usr/bin/env bash
# Install everything the portal needs into this folder: .venv (Python packages) and .tools
# (bun and Node 22 from the npm registry). Safe to run again. Usage: scripts/setup.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
PROJECT_DIR="$(pwd)"
EXTRAS=""
[[ "${1:-}" == "--test" ]] && EXTRAS="[test]"

PYTHON="${PYTHON:-}"
if [[ -z "$PYTHON" ]]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
[[ -n "$PYTHON" ]] || { echo "Python 3.11 or newer is needed" >&2; exit 1; }

if [[ ! -x .venv/bin/python ]]; then
  echo "==> Creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing Python packages${EXTRAS:+ (with test extras)}"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${EXTRAS}"

echo "==> Compiling the translation catalogs (portal_app/locale/*/LC_MESSAGES/messages.mo)"
.venv/bin/pybabel -q compile -d portal_app/locale -D messages

# Japanese PDFs need a font with CJK glyphs (pdf/fonts.py): IPAex Gothic from Debian's packages.
if [[ ! -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ]]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing the IPAex Gothic font (Japanese PDFs) from Debian's packages"
    SUDO=""; [[ "$(id -u)" != 0 ]] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq fonts-ipaexfont-gothic >/dev/null
  else
    echo "warning: fonts-ipaexfont-gothic is missing: Japanese PDFs will lack their glyphs" >&2
  fi
fi

if [[ ! -x .tools/node_modules/.bin/bun || ! -x .tools/node_modules/.bin/node ]]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed to fetch bun and Node 22" >&2; exit 1; }
  echo "==> Installing bun and Node 22 into .tools from the npm registry"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error bun@1.4.4 node@22 >/dev/null
fi

if [[ -n "$EXTRAS" && ! -f .tools/node_modules/axe-core/axe.min.js ]]; then
  echo "==> Installing axe-core (accessibility checks in the browser tests)"
  npm install --prefix .tools --no-audit --no-fund --loglevel=error axe-core@4.11 >/dev/null
fi

# Activating the venv also puts bun/Node 22 first on PATH and keeps Reflex offline-friendly,
# so `source .venv/bin/activate && reflex run` works as-is.
MARKER="# client-portal tools"
if ! grep -q "$MARKER" .venv/bin/activate; then
  cat >> .venv/bin/activate <<ACTIVATE
$MARKER
export PATH="$PROJECT_DIR/.tools/node_modules/.bin:\$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_TELEMETRY_ENABLED=false
export REFLEX_CHECK_LATEST_VERSION=false
export NPM_CONFIG_REGISTRY="\${NPM_CONFIG_REGISTRY:-$(npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)}"
ACTIVATE
fi
echo "==> Setup done"
