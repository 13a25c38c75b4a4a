"""Kill the worker in the middle of a sweep, while one reminder's email is with the mail server, and count the
emails the mail server received (ADR 0024): every reminder arrives; none arrives twice, except the one in flight
when the server had already accepted it, and that repeat carries the same Message-ID."""

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
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
N = 30
HOLD_AT = 12  # the mail server holds the 12th email: the worker is killed while it is in flight
RETRY_SECONDS = 4  # a claim this old without "sent" is retried (DEADLINE_REMINDER_RETRY_SECONDS)


def start_worker(queue, smtp_port):
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER, "CELERY_RESULT_BACKEND": BROKER, "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1", "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port), "EMAIL_TIMEOUT": "30", "DEADLINE_REMINDER_RETRY_SECONDS": str(RETRY_SECONDS),
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


def sent():
    return Reminder.objects.filter(status=Reminder.Status.SENT).count()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("accepted", [False, True], ids=["killed-before-the-server-accepted",
                                                          "killed-after-the-server-accepted"])
def test_killing_the_worker_mid_sweep_loses_no_reminder_email(accepted):
    need_service("Redis", "127.0.0.1", 6379)
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    cqm = UserFactory(roles=[roles.CQM], email="cqm@example.gov.uk")
    case = CaseFactory(level="ppm", owner=cqm)
    for i in range(N):
        deadline_services.schedule(key=f"kill:{i}", kind="plan_review", case=case, due_date=timezone.localdate())
    smtp = SmtpSink(hold_at=HOLD_AT, hold_after_accept=accepted).start()
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    worker = start_worker(queue, smtp.port)
    try:
        sweep_deadlines.delay()
        assert smtp.holding.wait(60), "the sweep did not start"
        os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown: the task is neither finished nor acked
        worker.wait(timeout=10)
        in_flight = Reminder.objects.get(status=Reminder.Status.SENDING)  # its claim committed before the email
        assert sent() == HOLD_AT - 1
        assert len(smtp.messages) == HOLD_AT - (0 if accepted else 1)
        smtp.release.set()

        worker = start_worker(queue, smtp.port)  # acks_late: the unacknowledged sweep is delivered again
        assert wait_for(lambda: sent() == N - 1, 90), f"only {sent()} of {N - 1} sent"
        # The claim left by the dead worker is retried once it is stale, by a later sweep.
        time.sleep(max(0.0, RETRY_SECONDS - (timezone.now() - in_flight.claimed_at).total_seconds()) + 0.5)
        sweep_deadlines.delay()
        assert wait_for(lambda: sent() == N, 60), f"only {sent()} of {N} sent"
        time.sleep(1)

        ids = smtp.message_ids()
        expected = {deadline_services.reminder_message_id(r) for r in Reminder.objects.all()}
        assert set(ids) == expected and len(expected) == N  # every reminder's email arrived
        repeats = [i for i in set(ids) if ids.count(i) > 1]
        if accepted:  # the one honest exception: accepted, then the worker died before "sent" was recorded
            assert len(ids) == N + 1 and repeats == [deadline_services.reminder_message_id(in_flight)]
        else:
            assert len(ids) == N and repeats == []
        assert Notification.objects.filter(recipient=cqm).count() == N  # one in-app message per reminder
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved
        smtp.stop()
        try:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
        except ProcessLookupError:
            pass  # already gone
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
