# Sourced by scripts/test.sh (make test) and scripts/bench.sh (make bench): what both need to
# install Debian packages and run a throwaway PostgreSQL and Redis on free loopback ports.
# The caller sets PY (the venv's python) before calling free_port, and TMP before the servers.

say() { printf '\n==> %s\n' "$*"; }

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# The Debian packages both need: PostgreSQL, Redis, and WeasyPrint's and python-magic's
# libraries. Prints the missing ones' names.
missing_server_packages() {
  local missing=()
  [ -n "$(pg_bindir)" ] && [ -x "$(pg_bindir)/initdb" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
  ldconfig -p 2>/dev/null | grep -q 'libmagic.so.1' || missing+=(libmagic1)
  ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset.so' || missing+=(libharfbuzz-subset0)
  [ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
  echo "${missing[*]}"
}

# install_packages WHO PACKAGE...: as root, install them; otherwise name them and stop.
install_packages() {
  local who=$1
  shift
  [ $# -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "$who needs these Debian packages: $*" >&2
    echo "Install them as root: apt-get update && apt-get install -y $*" >&2
    exit 1
  fi
  say "Installing Debian packages: $*"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# PostgreSQL refuses to run as root: as root, as_pg runs it as an unprivileged user.
as_pg() { "$@"; }
if [ "$(id -u)" -eq 0 ]; then
  PGUSER_OS=pbrtest
  id "$PGUSER_OS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PGUSER_OS"
  as_pg() { runuser -u "$PGUSER_OS" -- "$@"; }
fi

# start_postgres PORT "SERVER OPTIONS": a cluster in $TMP/pg with a database `pbr`.
start_postgres() {
  local port=$1 options=$2
  PGBIN=$(pg_bindir)
  mkdir -p "$TMP/pg" "$TMP/sock"
  [ "$(id -u)" -eq 0 ] && chown -R "$PGUSER_OS" "$TMP/pg" "$TMP/sock"
  as_pg "$PGBIN/initdb" -D "$TMP/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$TMP/pg" -l "$TMP/sock/postgres.log" -w -t 60 start \
    -o "-p $port -k $TMP/sock -c listen_addresses=127.0.0.1 $options" >/dev/null
  as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U postgres pbr
}

stop_postgres() {
  [ -f "$TMP/pg/postmaster.pid" ] && as_pg "$(pg_bindir)/pg_ctl" -D "$TMP/pg" -m "${1:-immediate}" stop >/dev/null 2>&1
}

# start_redis PORT: no persistence, pid and log in $TMP.
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$TMP/redis.pid" --logfile "$TMP/redis.log" --dir "$TMP"
  for _ in $(seq 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

stop_redis() { [ -f "$TMP/redis.pid" ] && kill "$(cat "$TMP/redis.pid")" 2>/dev/null; }
