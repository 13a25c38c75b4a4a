"""The transactional outbox: side effects survive a broker outage, and no one waits for the broker.

`enqueue(task, *args)` inside a service's transaction writes a row; after commit the request makes ONE quick
attempt to publish its own rows (one connection attempt, `CELERY_BROKER_CONNECTION_TIMEOUT` at most, no
retries). If that fails (Redis down) the row stays unsent, and for `OUTBOX_QUIET_SECONDS` this process does not
try again after a commit, so later requests do not wait either. The `core.tasks.relay_outbox` beat job
(every minute) publishes every unsent row once the broker is back (ADR 0014)."""

import logging
import time

from celery import current_app as celery_app  # the project's app (config/celery.py), set as current when Django loads
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

log = logging.getLogger(__name__)

# After a failed publish, requests in this process leave publishing to the relay job until this moment.
_quiet_until = 0.0


def enqueue(task, *args) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: publish_after_commit(message.pk))
    return message


def publish_after_commit(pk: int) -> int:
    """Runs in the request once its transaction has committed: one quick try, never a wait."""
    if not celery_app.conf.task_always_eager and time.monotonic() < _quiet_until:
        return 0  # the broker was just found down: the relay job will publish it
    return _publish([pk])


def relay(limit: int = 500) -> int:
    """Publish unsent messages, oldest first (the beat job). Safe to run concurrently (rows are locked,
    skip_locked)."""
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]
    return _publish(list(pending))


def _connect():
    """A broker connection made with one attempt: a broker that is down fails at once (or after the connect
    timeout) instead of Kombu's default of retrying for seconds."""
    connection = celery_app.connection_for_write()
    try:
        connection.ensure_connection(max_retries=0)
    except Exception:
        connection.release()
        raise
    return connection


def _publish(pks) -> int:
    global _quiet_until
    sent, connection = 0, None
    try:
        for pk in pks:
            with transaction.atomic():
                message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                    pk=pk, sent_at__isnull=True).first()
                if message is None:
                    continue
                try:
                    if celery_app.conf.task_always_eager:  # tests without a broker: run it here and now
                        celery_app.tasks[message.task].apply(args=message.args).get()
                    else:
                        connection = connection or _connect()
                        celery_app.send_task(message.task, args=message.args, retry=False, connection=connection)
                except Exception as exc:  # broker down or unreachable: keep the row for the relay job
                    message.attempts += 1
                    message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                    message.save(update_fields=["attempts", "last_error"])
                    if not celery_app.conf.task_always_eager:
                        _quiet_until = time.monotonic() + settings.OUTBOX_QUIET_SECONDS
                    log.warning("outbox: could not publish %s (%s); the relay job will retry", message, exc)
                    return sent
                message.sent_at = timezone.now()
                message.save(update_fields=["sent_at"])
                sent += 1
                _quiet_until = 0.0  # the broker answers again
    finally:
        if connection is not None:
            connection.release()
    return sent
