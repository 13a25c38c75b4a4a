"""`make run` uses the embedded SQLite broker: its settings must be able to publish a task. `make run PORT=...`
puts that port in the links of emails and calendar feeds."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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


def make_run_line(*args, **env_extra) -> str:
    """The command `make run` would start the site with (make -n: printed, not run)."""
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT", "HOST_PORT")} | env_extra
    result = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "scripts/run.sh" in line][-1]


def test_make_run_on_another_port_puts_that_port_in_email_and_calendar_links():
    line = make_run_line("PORT=8010")
    assert 'HOST_PORT="127.0.0.1:8010"' in line and 'SITE_URL="http://127.0.0.1:8010"' in line
    assert 'SITE_URL="http://127.0.0.1:8000"' in make_run_line()  # the default port
    # An address set on purpose (a tunnel, a proxy) is kept.
    assert 'SITE_URL="https://concerns.example.gov.uk"' in make_run_line(
        "PORT=8010", SITE_URL="https://concerns.example.gov.uk")
