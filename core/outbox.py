"""The transactional outbox: side effects survive a broker outage.

`enqueue(task, *args)` inside a service's transaction writes a row; after commit the row is published to
Celery. If publishing fails (Redis down) the row stays unsent and `relay()` publishes it later: on the next
commit that enqueues anything, and from the `core.tasks.relay_outbox` beat job once the broker is back."""

import logging

from django.db import transaction
from django.utils import timezone

from config.celery import app as celery_app

from .models import OutboxMessage

log = logging.getLogger(__name__)


def enqueue(task, *args) -> OutboxMessage:
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(relay)
    return message


def relay(limit: int = 500) -> int:
    """Publish unsent messages, oldest first. Safe to run concurrently (rows are locked, skip_locked)."""
    sent = 0
    pending = OutboxMessage.objects.filter(sent_at__isnull=True).values_list("pk", flat=True)[:limit]
    for pk in list(pending):
        with transaction.atomic():
            message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
                pk=pk, sent_at__isnull=True).first()
            if message is None:
                continue
            try:
                if celery_app.conf.task_always_eager:  # tests without a broker: run it here and now
                    celery_app.tasks[message.task].apply(args=message.args).get()
                else:
                    celery_app.send_task(message.task, args=message.args, retry=False)
            except Exception as exc:  # broker down or unreachable: keep the row for the next relay
                message.attempts += 1
                message.last_error = f"{type(exc).__name__}: {exc}"[:500]
                message.save(update_fields=["attempts", "last_error"])
                log.warning("outbox: could not publish %s (%s); will retry", message, exc)
                return sent
            message.sent_at = timezone.now()
            message.save(update_fields=["sent_at"])
            sent += 1
    return sent
