from celery import shared_task

from .services import sweep


@shared_task(acks_late=True)
def sweep_deadlines() -> dict:
    """Celery beat runs this every few minutes; it is idempotent (see deadlines.models.Reminder)."""
    return sweep()
