#!/usr/bin/env bash
# `make test`'s suites: the whole test suite on SQLite and on PostgreSQL at the same time, in two processes
# (much of the PostgreSQL run waits on the server, so on 2 cores the pair takes far less than one after the
# other). Each run writes var/test-logs/<database>.log; the progress of both is printed every 30 s and both
# logs in full once both have ended. Exits non-zero if either run failed.
# Usage: scripts/test-both.sh PYTEST POSTGRES_URL [PYTEST_ARGS...]
set -uo pipefail
pytest=$1 postgres_url=$2
shift 2
logs=var/test-logs
mkdir -p "$logs"
# A background job of a script starts with SIGINT ignored; give it back its default so that Ctrl-C (and the
# trap below) stops pytest the way it stops a run in the foreground, with its fixtures torn down.
with_sigint() {
    "$(dirname "$pytest")/python" -c \
        'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
        "$@"
}
# A run that hangs is interrupted after TEST_TIMEOUT_SEC (pytest then prints what it has), so that CI shows
# the logs instead of running into its own time limit silently.
limit=${TEST_TIMEOUT_SEC:-1500}
suite() { with_sigint timeout --signal=INT --kill-after=120 "$limit" "$pytest" -p no:cacheprovider "$@"; }
APIS_DATABASE_URL= suite "$@" >"$logs/sqlite.log" 2>&1 &
sqlite=$!
APIS_DATABASE_URL="$postgres_url" suite "$@" >"$logs/postgresql.log" 2>&1 &
postgres=$!
trap 'kill -INT "$sqlite" "$postgres" 2>/dev/null; wait; exit 130' INT TERM
progress() { grep -o '\[ *[0-9]*%\]' "$logs/$1.log" 2>/dev/null | tail -1 | tr -d '[] '; }
while kill -0 "$sqlite" 2>/dev/null || kill -0 "$postgres" 2>/dev/null; do
    sleep 30
    echo "$(date +%H:%M:%S) sqlite $(progress sqlite) postgresql $(progress postgresql)"
done
wait "$sqlite"
sqlite_status=$?
wait "$postgres"
postgres_status=$?
for database in sqlite postgresql; do
    echo "===== $database"
    cat "$logs/$database.log"
done
echo "sqlite: exit $sqlite_status, postgresql: exit $postgres_status"
exit $((sqlite_status || postgres_status))
