#!/usr/bin/env bash
# make test: install what is missing, start a throwaway PostgreSQL and Redis, run lint and the
# whole pytest suite against them, and stop both whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

say() { printf '\n==> %s\n' "$*"; }

# --- 1. Debian packages -------------------------------------------------------------------------
pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
missing=()
[ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
# WeasyPrint renders with Pango.
ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || missing+=(libmagic1)
ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make test needs these Debian packages: ${missing[*]}" >&2
    echo "Install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  say "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
PGBIN=$(pg_bindir)
PGPORT=$(free_port)
REDISPORT=$(free_port)
while [ "$REDISPORT" = "$PGPORT" ]; do REDISPORT=$(free_port); done

# PostgreSQL refuses to run as root: run it as an unprivileged user.
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=pbrtest
  id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  as_pg() { runuser -u "$PGUSER_OS" -- "$@"; }
fi
mkdir -p "$TMP/pg" "$TMP/sock"
[ "$(id -u)" -eq 0 ] && chown -R "$PGUSER_OS" "$TMP/pg" "$TMP/sock"

cleanup() {
  set +e
  [ -f "$TMP/pg/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -m immediate stop >/dev/null 2>&1
  [ -f "$TMP/redis.pid" ] && kill "$(cat "$TMP/redis.pid")" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say "Starting PostgreSQL on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDISPORT"
as_pg "$PGBIN/initdb" -D "$TMP/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/sock/postgres.log" -w -t 60 start \
  -o "-p $PGPORT -k $TMP/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >/dev/null
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres pbr
redis-server --port "$REDISPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log" --dir "$TMP"
for _ in $(seq 50); do redis-cli -p "$REDISPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

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
