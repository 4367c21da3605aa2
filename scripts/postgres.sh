#!/usr/bin/env bash
# Start the machine's PostgreSQL 15 server (stopped on the base image) and make sure the
# role and database used by `make test-postgres` and `make bench` exist. Idempotent.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null; then
    echo "PostgreSQL server tools are missing: apt-get install postgresql-15" >&2
    exit 1
fi
if ! pg_lsclusters --no-header | awk '$1 == "15" && $2 == "main" && $4 == "online" {found=1} END {exit !found}'; then
    pg_ctlcluster 15 main start
fi
as_postgres() { if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
as_postgres "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='apis'\" | grep -q 1 || psql -qc \"CREATE ROLE apis LOGIN SUPERUSER PASSWORD 'apis'\""
as_postgres "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='apis'\" | grep -q 1 || createdb -O apis apis"
