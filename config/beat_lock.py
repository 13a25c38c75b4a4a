"""Celery beat must run exactly once in a deployment: a second beat would not double the work (the jobs are
idempotent), but it should not exist. The deployment has a single beat unit; this lock also makes a second
beat, started by mistake on another machine, refuse to run.

The lock is a PostgreSQL session advisory lock held on a private connection for the life of the beat
process, so every machine that shares the database sees it. PostgreSQL releases it when the process (or
its connection) goes away. SQLite (`make run`) has one beat inside the one worker, so there is nothing to
lock."""

import logging
import sys

from django.db import connections

log = logging.getLogger(__name__)

# An arbitrary constant, the same for every process of this app: "pcbeat" in ASCII.
BEAT_LOCK_KEY = 0x706362656174

_holder = None  # the connection that holds the lock; kept open until the process exits


def take_beat_lock() -> bool:
    """Take the beat lock or stop the process. Returns False when there is nothing to lock (not PostgreSQL)."""
    global _holder
    if connections["default"].vendor != "postgresql":
        return False
    conn = connections.create_connection("default")
    conn.ensure_connection()
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY])
        (got_it,) = cursor.fetchone()
    if not got_it:
        conn.close()
        message = ("Another Celery beat is already running against this database. Run exactly one beat in the "
                   "deployment (one provider-concerns-beat unit on one machine); this one is stopping.")
        log.critical(message)
        sys.exit(message)
    _holder = conn
    log.info("beat: holding the single-beat lock in PostgreSQL")
    return True
