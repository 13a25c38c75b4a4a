"""If Redis is down when someone acts, the action still succeeds and its work runs once Redis is back."""

import datetime
import os
import shutil
import socket
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
from core import outbox
from core.models import OutboxMessage
from core.outbox import relay
from core.tasks import relay_outbox
from tests.conftest import REQUIRE_SERVICES, need_service
from tests.factories import ProviderFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def reset_broker_pool():
    """Drop pooled broker connections so the next publish connects to the broker now configured."""
    from kombu import pools

    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(workdir)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not start")


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_action_succeeds_with_redis_down_and_the_work_runs_when_it_is_back(tmp_path, monkeypatch):
    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is not installed and REQUIRE_SERVICES=1")
        pytest.skip("redis-server is not installed")
    port = free_port()
    broker = f"redis://127.0.0.1:{port}/0"
    redis = start_redis(port, tmp_path)
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker,
    }
    worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q", queue,
                               "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{queue}@test"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    monkeypatch.setenv("CELERY_BROKER_URL", broker)  # Celery reads this variable before its own setting
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "task_default_queue", "broker_url",
                                             "broker_connection_timeout")}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue, broker_url=broker,
                           broker_connection_timeout=2)
    reset_broker_pool()
    try:
        lead = UserFactory(roles=[roles.SAFEGUARDING_LEAD])
        officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
        provider = ProviderFactory()
        redis.terminate()
        redis.wait(timeout=10)
        reset_broker_pool()  # as a web process that has not published since Redis went away
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1)

        started = time.monotonic()
        concern = services.log_concern(user=officer, provider_id=provider.pk, data={
            "source": "safeguarding", "received_on": timezone.localdate() - datetime.timedelta(days=1),
            "raised_by": "Nurse", "description": "Fall", "people_affected": 1, "care_management_refs": [],
            "safety_concern": True, "position_of_trust": False, "referral_uncertain": False})
        assert time.monotonic() - started < 30, "the action must not hang while the broker is down"
        assert concern.pk and concern.restricted  # the action succeeded
        message = OutboxMessage.objects.get()
        assert message.sent_at is None and message.attempts >= 1, (
            celery_app.conf.task_always_eager, celery_app.conf.broker_url, message.last_error)

        redis = start_redis(port, tmp_path)
        assert relay() == 1  # the same process, its pooled connections reconnecting by themselves
        deadline = time.monotonic() + 60
        while not Notification.objects.filter(recipient=lead).exists() and time.monotonic() < deadline:
            time.sleep(0.3)
        assert Notification.objects.filter(recipient=lead, message__contains=concern.reference).count() == 1
        message.refresh_from_db()
        assert message.sent_at is not None
    finally:
        celery_app.conf.update(**saved)
        reset_broker_pool()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        redis.terminate()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_action_waits_for_nothing_while_the_broker_is_down_and_the_relay_delivers_later(monkeypatch):
    """Nothing listens on port 1: before, the request retried the connection for about 6 seconds."""
    need_service("Redis", "127.0.0.1", 6379)
    real = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
    down = "redis://127.0.0.1:1/0"
    queue = f"outbox-{uuid.uuid4().hex[:8]}"
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "task_default_queue", "broker_url")}
    monkeypatch.setenv("CELERY_BROKER_URL", down)  # Celery reads this variable before its own setting
    monkeypatch.setattr(outbox, "_quiet_until", 0.0, raising=False)  # no earlier failure in this process
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue, broker_url=down)
    reset_broker_pool()
    worker = None
    try:
        lead = UserFactory(roles=[roles.SAFEGUARDING_LEAD], email="lead@example.gov.uk")
        officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
        provider = ProviderFactory()

        def log_concern():
            started = time.monotonic()
            concern = services.log_concern(user=officer, provider_id=provider.pk, data={
                "source": "safeguarding", "received_on": timezone.localdate() - datetime.timedelta(days=1),
                "raised_by": "Nurse", "description": "Fall", "people_affected": 1, "care_management_refs": [],
                "safety_concern": True, "position_of_trust": False, "referral_uncertain": False})
            return concern, time.monotonic() - started

        first, took = log_concern()
        assert first.pk and took < 1.5, f"the action took {took:.1f} s with the broker down"
        message = OutboxMessage.objects.get()
        assert message.sent_at is None and message.attempts == 1  # one quick try after commit, then left
        second, took = log_concern()  # the next action does not try the broker again for a while
        assert took < 1.5 and OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
        assert OutboxMessage.objects.get(args__0=second.pk).attempts == 0

        # The broker is back: the relay job (beat, every minute) publishes both; a real worker notifies.
        monkeypatch.setenv("CELERY_BROKER_URL", real)
        celery_app.conf.update(broker_url=real)
        reset_broker_pool()
        db = connection.settings_dict
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "config.settings.test", "CELERY_BROKER_URL": real, "CELERY_RESULT_BACKEND": real,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        }
        worker = subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-Q",
                                   queue, "--without-gossip", "--without-mingle", "--without-heartbeat", "-n",
                                   f"{queue}@test"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        assert relay_outbox() == 2
        deadline = time.monotonic() + 60
        while Notification.objects.filter(recipient=lead).count() < 2 and time.monotonic() < deadline:
            time.sleep(0.3)
        for concern in (first, second):
            assert Notification.objects.filter(recipient=lead, message__contains=concern.reference).count() == 1
        assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    finally:
        celery_app.conf.update(**saved)
        reset_broker_pool()
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
