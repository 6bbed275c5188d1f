#!/usr/bin/env bash
# make bench: install what is missing, start a throwaway PostgreSQL and Redis, load the benchmark
# volume (100,000 incidents: generated once, then restored from var/bench/ while the generator and
# the migrations are unchanged), serve the register with production settings under gunicorn, and
# measure it (bench/bench.py). docs/performance.md explains the table and the settings below.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
INCIDENTS=${BENCH_INCIDENTS:-100000}
WORKERS=${BENCH_WORKERS:-2}
export BENCH_PASSWORD=${BENCH_PASSWORD:-bench-password-2026}
CACHE_DIR="$ROOT/var/bench"

# shellcheck source=scripts/throwaway.sh
. scripts/throwaway.sh

# --- 1. Debian packages (as make test, without the browser and Node.js) ----------------------
# shellcheck disable=SC2046  # one word per package
install_packages "make bench" $(missing_server_packages)

# --- 2. Python packages (the dev extras bring pypdf, which counts the report's pages) ---------
case "$VENV" in /*) ;; *) VENV="$ROOT/$VENV" ;; esac
make --no-print-directory venv-dev PYTHON="$PYTHON" VENV="$VENV"
PY="$VENV/bin/python"

# --- 3. Throwaway PostgreSQL and Redis ----------------------------------------------------------
TMP=$(mktemp -d /tmp/pbr-bench.XXXXXX)
chmod 755 "$TMP"
PGPORT=$(free_port)
REDISPORT=$(free_port)
while [ "$REDISPORT" = "$PGPORT" ]; do REDISPORT=$(free_port); done
APPPORT=$(free_port)
while [ "$APPPORT" = "$PGPORT" ] || [ "$APPPORT" = "$REDISPORT" ]; do APPPORT=$(free_port); done

cleanup() {
  set +e
  [ -f "$TMP/gunicorn.pid" ] && kill "$(cat "$TMP/gunicorn.pid")" 2>/dev/null && sleep 1
  stop_postgres fast
  stop_redis
  rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

say "Starting PostgreSQL on 127.0.0.1:$PGPORT and Redis on 127.0.0.1:$REDISPORT"
# Durable, as in production (fsync, synchronous commit and full-page writes on); only the
# loading sessions below turn synchronous commit off for themselves (PGOPTIONS).
start_postgres "$PGPORT" "-c shared_buffers=256MB -c max_connections=100"
start_redis "$REDISPORT"

# Production settings (config/settings.py), on plain HTTP on loopback: no redirect to HTTPS.
# The second factor is off: the bench signs in with a password (docs/performance.md).
export DJANGO_ENV=production
SECRET_KEY="bench-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(40))')"
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1,localhost,testserver
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/pbr"
export REDIS_URL="redis://127.0.0.1:$REDISPORT/0"
export SECURE_SSL_REDIRECT=false
export MFA_REQUIRED=false
export VAR_DIR="$TMP/var" STATIC_ROOT="$TMP/static"
export SITE_URL="http://127.0.0.1:$APPPORT"
export EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend
# One person sends thousands of API requests in a few minutes: above production's 2000/hour.
export API_THROTTLE_USER=1000000/hour
export BENCH_WORKERS="$WORKERS"

# --- 4. The benchmark volume: restored from the cache, or generated and cached ---------------
# The cache is keyed by everything that decides its contents: the generator, the triage engine
# it runs, the migrations, the volume, the password, the quarter it was generated in (its
# dates run up to that day) and the PostgreSQL version.
cache_key() {
  {
    for f in bench/generate.py bench/scenarios.py bench/story.py \
      $(find breaches/triage/engine -name '*.py' | LC_ALL=C sort) \
      $(ls -1 ./*/migrations/*.py | LC_ALL=C sort); do
      printf '%s\n' "$f"
      cat "$f"
    done
    printf 'incidents=%s password=%s quarter=%s %s\n' "$INCIDENTS" "$BENCH_PASSWORD" \
      "$(TZ=Pacific/Auckland date +%Y)Q$((($(TZ=Pacific/Auckland date +%-m) - 1) / 3 + 1))" \
      "$("$PGBIN/pg_dump" --version)"
  } | sha256sum | cut -c1-16
}
case "$INCIDENTS" in
  *000) NAME="pbr-$((INCIDENTS / 1000))k" ;;
  *) NAME="pbr-$INCIDENTS" ;;
esac
DUMP="$CACHE_DIR/$NAME.dump"
KEY=$(cache_key)
mkdir -p "$CACHE_DIR"
started=$SECONDS
if [ -f "$DUMP" ] && [ "$(cat "$DUMP.key" 2>/dev/null)" = "$KEY" ]; then
  say "Restoring $INCIDENTS incidents from $DUMP (pg_restore -j 2)"
  PGOPTIONS="-c synchronous_commit=off" "$PGBIN/pg_restore" -j 2 --no-owner \
    -h 127.0.0.1 -p "$PGPORT" -U postgres -d pbr "$DUMP"
  "$PY" manage.py migrate --noinput -v0
  "$PY" -m bench.bench analyze
  export BENCH_PREPARED=restored
else
  say "Generating $INCIDENTS incidents (cached in $DUMP for the next run)"
  "$PY" manage.py migrate --noinput -v0
  PGOPTIONS="-c synchronous_commit=off" "$PY" -m bench.bench generate --incidents "$INCIDENTS"
  "$PGBIN/pg_dump" -Fc -h 127.0.0.1 -p "$PGPORT" -U postgres -f "$TMP/$NAME.dump" pbr
  mv "$TMP/$NAME.dump" "$DUMP"
  printf '%s\n' "$KEY" >"$DUMP.key"
  export BENCH_PREPARED=generated
fi
export BENCH_PREPARE_SECONDS=$((SECONDS - started))
echo "Database ready in ${BENCH_PREPARE_SECONDS} s ($BENCH_PREPARED)"

# --- 5. Serve with production settings: gunicorn, as the Dockerfile does, with $WORKERS workers --
"$PY" manage.py collectstatic --noinput -v0
say "Serving on 127.0.0.1:$APPPORT with gunicorn ($WORKERS workers)"
# gunicorn 27 opens a control socket under ~/.gunicorn by default: not for a throwaway server.
extra=()
"$VENV/bin/gunicorn" --help | grep -q -- --no-control-socket && extra+=(--no-control-socket)
"$VENV/bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$APPPORT" --workers "$WORKERS" \
  --timeout 120 --pid "$TMP/gunicorn.pid" --access-logfile "$TMP/access.log" --error-logfile "$TMP/gunicorn.log" \
  --daemon "${extra[@]}"
ready=""
for _ in $(seq 120); do
  if "$PY" -c "import sys, requests; sys.exit(requests.get('$SITE_URL/login/', timeout=2).status_code != 200)" 2>/dev/null; then
    ready=1
    break
  fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  echo "gunicorn did not answer on $SITE_URL/login/:" >&2
  tail -n 40 "$TMP/gunicorn.log" >&2
  exit 1
fi

# --- 6. Measure ---------------------------------------------------------------------------------
say "Measuring (BENCH_REQUESTS=${BENCH_REQUESTS:-100} requests a case)"
set +e
"$PY" -m bench.bench run --url "$SITE_URL" --gunicorn-pid "$(cat "$TMP/gunicorn.pid")"
status=$?
set -e
if [ "$status" -ne 0 ] && [ -s "$TMP/gunicorn.log" ]; then
  echo "--- gunicorn's log (last 40 lines) ---" >&2
  tail -n 40 "$TMP/gunicorn.log" >&2
fi
exit "$status"
