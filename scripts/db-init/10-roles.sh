#!/bin/bash
# The two database roles of docs/operations.md, for docker-compose.yml's db service.
#
# The postgres image runs the scripts of /docker-entrypoint-initdb.d once, as its superuser,
# when it initialises an empty data volume (never again afterwards: an existing volume is
# upgraded by hand, see docs/operations.md). It creates:
#   pbr      the owner: owns the database and every table, runs `migrate` and `db_grant_runtime`
#   pbr_app  the runtime role of web, worker and beat: granted by `db_grant_runtime` only
# Neither is a superuser, and neither may create roles or databases.
set -euo pipefail

: "${PBR_OWNER_PASSWORD:?PBR_OWNER_PASSWORD is not set}"
: "${PBR_APP_PASSWORD:?PBR_APP_PASSWORD is not set}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_password="$PBR_OWNER_PASSWORD" -v app_password="$PBR_APP_PASSWORD" <<'SQL'
CREATE ROLE pbr LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
CREATE ROLE pbr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE pbr OWNER pbr ENCODING 'UTF8';
\connect pbr
REVOKE ALL ON DATABASE pbr FROM PUBLIC;
GRANT CONNECT ON DATABASE pbr TO pbr_app;
ALTER SCHEMA public OWNER TO pbr;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO pbr_app;
SQL
