"""Kill the worker in the middle of a sweep: after a restart every reminder is sent exactly once."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from config.celery import app as celery_app
from deadlines import services as deadline_services
from deadlines.models import Reminder
from deadlines.tasks import sweep_deadlines
from tests.conftest import need_service
from tests.factories import CaseFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
N = 120


def start_worker(queue):
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER, "CELERY_RESULT_BACKEND": BROKER, "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1", "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "EMAIL_BACKEND": "tests.slow_email.SlowEmailBackend",
    }
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
                             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@test"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def wait_for(predicate, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_killing_the_worker_mid_sweep_loses_nothing_and_sends_nothing_twice():
    need_service("Redis", "127.0.0.1", 6379)
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    cqm = UserFactory(roles=[roles.CQM], email="cqm@example.gov.uk")
    case = CaseFactory(level="ppm", owner=cqm)
    for i in range(N):
        deadline_services.schedule(key=f"kill:{i}", kind="plan_review", case=case, due_date=timezone.localdate())
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    worker = start_worker(queue)
    try:
        sweep_deadlines.delay()
        assert wait_for(lambda: Reminder.objects.count() >= 10, 60), "the sweep did not start"
        os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown: the task is neither finished nor acked
        worker.wait(timeout=10)
        part = Reminder.objects.count()
        assert 0 < part < N, "the worker should have died in the middle of the sweep"

        worker = start_worker(queue)  # acks_late: the unacknowledged sweep is delivered again
        assert wait_for(lambda: Reminder.objects.count() == N, 90), f"only {Reminder.objects.count()} of {N} sent"
        time.sleep(1)
        assert Reminder.objects.count() == N
        assert Notification.objects.filter(recipient=cqm).count() == N  # one message per reminder, no more
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(worker.pid, signal.SIGKILL)
