import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("provider_concerns")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.beat_init.connect
def only_one_beat(sender=None, **kwargs):
    """A second Celery beat against the same database stops at once (config/beat_lock.py)."""
    from config.beat_lock import take_beat_lock

    take_beat_lock()
