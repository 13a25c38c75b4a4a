#!/usr/bin/env bash
# Makes sure the things `make test` needs are on this machine and running:
#   - Debian packages: postgresql, redis-server, chromium, fonts-liberation, poppler-utils, libmagic1
#     (plus the WeasyPrint runtime libraries), installed with apt-get only when `dpkg -s` says one is missing;
#   - PostgreSQL (the local cluster, trust auth for 127.0.0.1 / ::1) and Redis on 127.0.0.1:6379.
# Safe to run again and again: it only installs or starts what is missing.
#
#   scripts/services.sh               everything above
#   scripts/services.sh apt PKG...    only make sure these Debian packages are installed (used by the Makefile)
#
# REQUIRE_SERVICES=1 turns every problem into a non-zero exit (CI); otherwise problems are warnings.
set -euo pipefail

REQUIRE_SERVICES="${REQUIRE_SERVICES:-0}"
PG_HOST=127.0.0.1
PG_PORT="${PG_PORT:-5432}"
PG_USER=postgres
PG_CLUSTER="${PG_CLUSTER:-main}"
PG_DB="${PG_DB:-provider_concerns}"
REDIS_HOST=127.0.0.1
REDIS_PORT="${REDIS_PORT:-6379}"
WAIT_SECONDS="${WAIT_SECONDS:-30}"

TEST_PACKAGES=(postgresql redis-server redis-tools chromium fonts-liberation poppler-utils libmagic1
               libpango-1.0-0 libpangoft2-1.0-0 systemd)

say()  { printf '[services] %s\n' "$*"; }
warn() { printf '[services] WARNING: %s\n' "$*" >&2; }
problem() {
    if [ "$REQUIRE_SERVICES" = "1" ]; then
        printf '[services] ERROR: %s (REQUIRE_SERVICES=1)\n' "$*" >&2
        exit 1
    fi
    warn "$* - tests that need it will fail or be skipped"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

# ensure_packages PKG... : install the Debian packages that `dpkg -s` does not report installed.
ensure_packages() {
    if ! command -v dpkg >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        warn "no dpkg/apt-get here: cannot check or install $*; install them by hand"
        return 1
    fi
    local missing=() p
    for p in "$@"; do
        dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    say "installing missing Debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
}

if [ "${1:-}" = "apt" ]; then
    shift
    if ! ensure_packages "$@"; then
        printf '[services] ERROR: could not install Debian packages: %s\n' "$*" >&2
        exit 1
    fi
    exit 0
fi

# wait_for DESCRIPTION COMMAND... : retry COMMAND once a second for up to WAIT_SECONDS.
wait_for() {
    local what="$1" i
    shift
    for ((i = 0; i < WAIT_SECONDS; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 1
    done
    warn "$what not ready after ${WAIT_SECONDS}s"
    return 1
}

ensure_packages "${TEST_PACKAGES[@]}" || problem "could not install Debian packages (${TEST_PACKAGES[*]})"

# ---------------------------------------------------------------------------------------------------- PostgreSQL
pg_ready() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
pg_query() { psql -w -X -q -t -A -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -c "$1"; }

pg_cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }

pg_trust_localhost() {
    # A fresh `apt-get install postgresql` uses scram-sha-256 for TCP from localhost; tests connect as
    # postgres without a password, so switch the 127.0.0.1/32 and ::1/128 `host all all` lines to trust.
    local ver hba
    ver="$(pg_cluster_version)"
    hba="/etc/postgresql/$ver/$PG_CLUSTER/pg_hba.conf"
    [ -n "$ver" ] && [ -w "$hba" ] || return 1
    say "setting trust auth for 127.0.0.1 and ::1 in $hba"
    cp -n "$hba" "$hba.orig" 2>/dev/null || true
    sed -E -i 's#^(host[[:space:]]+all[[:space:]]+all[[:space:]]+(127\.0\.0\.1/32|::1/128)[[:space:]]+)[^[:space:]]+#\1trust#' "$hba"
    grep -Eq '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba" ||
        printf 'host    all             all             127.0.0.1/32            trust\n' >>"$hba"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$PG_CLUSTER" reload
}

start_postgres() {
    if pg_ready; then
        say "PostgreSQL already accepting connections on $PG_HOST:$PG_PORT"
    else
        local ver
        ver="$(pg_cluster_version)"
        if [ -z "$ver" ] || [ ! -d "/etc/postgresql/$ver/$PG_CLUSTER" ] || ! command -v pg_ctlcluster >/dev/null 2>&1
        then
            problem "PostgreSQL is not installed (no cluster /etc/postgresql/${ver:-VERSION}/$PG_CLUSTER)"
            return 0
        fi
        say "starting PostgreSQL $ver/$PG_CLUSTER"
        pg_ctlcluster --skip-systemctl-redirect "$ver" "$PG_CLUSTER" start ||
            warn "pg_ctlcluster $ver $PG_CLUSTER start failed (see /var/log/postgresql/)"
        if ! wait_for "PostgreSQL" pg_ready; then
            problem "PostgreSQL did not come up on $PG_HOST:$PG_PORT"
            return 0
        fi
        say "PostgreSQL is up"
    fi

    if ! pg_query 'select 1' >/dev/null 2>&1; then
        pg_trust_localhost || true
        sleep 1
        if ! pg_query 'select 1' >/dev/null 2>&1; then
            problem "cannot connect to PostgreSQL as $PG_USER@$PG_HOST without a password"
            return 0
        fi
    fi
    if [ "$(pg_query "select 1 from pg_database where datname = '$PG_DB'" 2>/dev/null)" != "1" ]; then
        say "creating database $PG_DB"
        pg_query "create database \"$PG_DB\"" >/dev/null || problem "could not create database $PG_DB"
    fi
}

# ---------------------------------------------------------------------------------------------------- Redis
redis_ready() {
    command -v redis-cli >/dev/null 2>&1 &&
        [ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]
}

start_redis() {
    if redis_ready; then
        say "Redis already answering on $REDIS_HOST:$REDIS_PORT"
        return 0
    fi
    if ! command -v redis-server >/dev/null 2>&1; then
        problem "Redis is not installed (no redis-server)"
        return 0
    fi
    say "starting Redis on $REDIS_HOST:$REDIS_PORT"
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log ||
        warn "redis-server failed to start (see /var/log/redis/ci.log)"
    if ! wait_for "Redis" redis_ready; then
        problem "Redis did not come up on $REDIS_HOST:$REDIS_PORT (see /var/log/redis/ci.log)"
        return 0
    fi
    say "Redis is up"
}

start_postgres
start_redis
say "done"
