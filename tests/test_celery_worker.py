"""A real Celery worker, through real Redis, running a task queued by a service on commit."""

import datetime
import os
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
from concerns import services
from config.celery import app as celery_app
from tests.conftest import need_service
from tests.factories import ProviderFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
BROKER = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def celery_worker_process(transactional_db):
    need_service("Redis", "127.0.0.1", 6379)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER, "CELERY_RESULT_BACKEND": BROKER,
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
         "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@test"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    old = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue, celery_app.conf.broker_url
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = BROKER
    try:
        yield worker
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue, celery_app.conf.broker_url = old
        worker.terminate()
        try:
            output, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            output, _ = worker.communicate()
        print(output[-3000:])


@pytest.mark.services
def test_logging_a_restricted_concern_notifies_safeguarding_leads_through_a_real_worker(celery_worker_process):
    lead = UserFactory(roles=[roles.SAFEGUARDING_LEAD], email="lead@example.gov.uk")
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    provider = ProviderFactory()
    concern = services.log_concern(user=officer, provider_id=provider.pk, data={
        "source": "safeguarding", "received_on": timezone.localdate() - datetime.timedelta(days=1),
        "raised_by": "Nurse", "description": "Fall not reported", "people_affected": 1,
        "care_management_refs": [], "safety_concern": True, "position_of_trust": False,
        "referral_uncertain": False,
    })
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if Notification.objects.filter(recipient=lead).exists():
            break
        assert celery_worker_process.poll() is None, "the worker died"
        time.sleep(0.3)
    note = Notification.objects.get(recipient=lead)
    assert concern.reference in note.message
    assert note.dedupe_key == f"advice-needed:{concern.pk}"


@pytest.mark.services
def test_the_deadline_sweep_runs_on_a_real_worker_and_is_idempotent(celery_worker_process):
    from deadlines import services as deadline_services
    from deadlines.models import Reminder
    from deadlines.tasks import sweep_deadlines
    from tests.factories import CaseFactory

    cqm = UserFactory(roles=[roles.CQM], email="cqm@example.gov.uk")
    case = CaseFactory(level="ppm", owner=cqm)
    for i in range(5):
        deadline_services.schedule(key=f"worker:{i}", kind="plan_review", case=case, due_date=timezone.localdate())
    first = sweep_deadlines.delay().get(timeout=60)
    second = sweep_deadlines.delay().get(timeout=60)
    assert first["sent"] == 5 and second["sent"] == 0
    assert Reminder.objects.count() == 5
