"""`make run` uses the embedded SQLite broker: its settings must be able to publish a task."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_local_settings_publish_to_the_embedded_broker(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "DATABASE_URL"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    broker = tmp_path / "broker.sqlite"
    env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{broker}"
    code = ("import django; django.setup(); from config.celery import app; "
            "print(app.conf.broker_transport_options); app.send_task('core.tasks.relay_outbox', retry=False)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert broker.exists()
