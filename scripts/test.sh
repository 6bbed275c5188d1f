#!/usr/bin/env bash
# make test: install what is missing, start a throwaway PostgreSQL and Redis, run lint and the
# whole pytest suite against them, and stop both whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

# shellcheck source=scripts/throwaway.sh
. scripts/throwaway.sh

# --- 1. Debian packages -------------------------------------------------------------------------
missing=$(missing_server_packages)
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v pdftoppm >/dev/null 2>&1 || missing="$missing poppler-utils"
# shellcheck disable=SC2086  # one word per package
install_packages "make test" $missing

# The single sign-on tests' OpenID provider (tests/oidc_provider) needs Node.js 20.19 or newer
# with npm; Debian 12's nodejs package (18) is too old, these machines ship 20.
node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; }
if ! node_ok || ! command -v npm >/dev/null 2>&1; then
  echo "make test needs Node.js 20.19 or newer with npm (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# --- 2. Python and npm packages -----------------------------------------------------------------
make --no-print-directory venv-dev PYTHON="$PYTHON"
PY="$ROOT/$VENV/bin/python"
say "Installing the test OpenID provider and axe-core (npm ci)"
npm ci --prefix tests/oidc_provider --no-audit --no-fund --loglevel=error
npm ci --prefix tests/e2e/axe --no-audit --no-fund --loglevel=error

# --- 3. Throwaway PostgreSQL and Redis ----------------------------------------------------------
TMP=$(mktemp -d /tmp/pbr-test.XXXXXX)
chmod 755 "$TMP"
PGPORT=$(free_port)
REDISPORT=$(free_port)
while [ "$REDISPORT" = "$PGPORT" ]; do REDISPORT=$(free_port); done

cleanup() {
  set +e
  stop_postgres immediate
  stop_redis
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say "Starting PostgreSQL on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDISPORT"
start_postgres "$PGPORT" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
start_redis "$REDISPORT"

export DJANGO_ENV=test
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/pbr"
export REDIS_URL="redis://127.0.0.1:$REDISPORT/0"
export VAR_DIR="$TMP/var"
# The broker-outage drill stops this Redis and starts it again exactly as it was.
export TEST_REDIS_PORT="$REDISPORT" TEST_REDIS_DIR="$TMP"
export CHROMIUM_PATH=${CHROMIUM_PATH:-$(command -v chromium)}

# --- 4. Lint ------------------------------------------------------------------------------------
say "Lint: ruff, mypy, manage.py check, makemigrations --check"
"$VENV/bin/ruff" check .
"$VENV/bin/ruff" format --check .
"$VENV/bin/mypy" .
DJANGO_SETTINGS_MODULE=config.test_settings "$PY" manage.py check --fail-level WARNING
DJANGO_SETTINGS_MODULE=config.test_settings "$PY" manage.py makemigrations --check --dry-run

# --- 5. Tests -----------------------------------------------------------------------------------
say "pytest against PostgreSQL and Redis"
set +e
"$PY" -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure of the suite, not a pass." >&2
  exit 1
fi
exit "$status"
