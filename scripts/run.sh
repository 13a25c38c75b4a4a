#!/usr/bin/env bash
# `make run`: the development server on http://127.0.0.1:8000 plus a Celery worker with beat (embedded
# SQLite broker in var/, no Redis). Stopping either one (or Ctrl-C) stops both.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
HOST_PORT="${HOST_PORT:-127.0.0.1:8000}"
# Links in emails and calendar feeds point at the server this starts, unless SITE_URL says otherwise.
export SITE_URL="${SITE_URL:-http://$HOST_PORT}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings.local}"
export PYTHONUNBUFFERED=1
mkdir -p var

worker_pid=""
server_pid=""

stop() {
    local pid
    for pid in "$server_pid" "$worker_pid"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
    done
    # Give Celery a moment for a warm shutdown, then make sure nothing is left behind.
    for _ in $(seq 1 10); do
        kill -0 "$worker_pid" 2>/dev/null || kill -0 "$server_pid" 2>/dev/null || break
        sleep 1
    done
    for pid in "$server_pid" "$worker_pid"; do
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done
    worker_pid=""
    server_pid=""
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "[run] starting Celery worker + beat (log below, prefixed by Celery)"
"$VENV/bin/celery" -A config worker -B --loglevel=INFO --concurrency=1 \
    -s var/celerybeat-schedule &
worker_pid=$!

echo "[run] starting http://$HOST_PORT/  (Ctrl-C stops the server and the worker)"
"$VENV/bin/python" manage.py runserver "$HOST_PORT" &
server_pid=$!

# Whichever stops first ends the session; the EXIT trap stops the other one.
set +e
wait -n "$server_pid" "$worker_pid"
status=$?
set -e
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "[run] the web server stopped (exit $status); stopping the Celery worker" >&2
else
    echo "[run] the Celery worker stopped (exit $status); stopping the web server" >&2
fi
exit "$status"
