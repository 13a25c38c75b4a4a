from celery import shared_task

from .outbox import relay


@shared_task
def relay_outbox() -> int:
    """Beat runs this every minute: publishes anything queued while the broker was unreachable."""
    return relay()


@shared_task
def forget_used_form_tokens() -> int:
    """Beat runs this daily: used one-time form tokens older than a token may live (core.once) are deleted."""
    from .once import forget_used_tokens

    return forget_used_tokens()
