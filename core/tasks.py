from celery import shared_task

from .outbox import relay


@shared_task
def relay_outbox() -> int:
    """Beat runs this every minute: publishes anything queued while the broker was unreachable."""
    return relay()
