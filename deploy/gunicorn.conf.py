"""gunicorn settings for the web process: `gunicorn -c deploy/gunicorn.conf.py`.

Everything that differs between machines comes from the environment (the same EnvironmentFile as Django).
"""

import multiprocessing
import os
from pathlib import Path

from gunicorn.glogging import Logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

wsgi_app = "config.wsgi:application"
# Load Django once in the master, before forking: bad settings stop the master at once (not a loop of failing
# workers), workers share the loaded code, and a worker recycled after max_requests starts instantly.
preload_app = True

# Behind the council's TLS proxy: listen on loopback (or a private address) only.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Issuing a letter renders a PDF inside the request; allow for a slow one, but not for ever.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak cannot grow without limit.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "1000"))
max_requests_jitter = 100
if Path("/dev/shm").is_dir():  # nosec B108 # gunicorn's heartbeat files, in memory; no data is written there
    worker_tmp_dir = "/dev/shm"  # nosec B108 # as above

# The proxy addresses whose X-Forwarded-Proto / X-Forwarded-For gunicorn believes. With the proxy on the same
# machine this is loopback; list the proxy's address otherwise. Never "*" unless only the proxy can connect.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr (journald or the container runtime keeps them).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# The path only (%(U)s), never the query string (%(q)s) or the Referer: search terms and tokens stay out of logs.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
proc_name = "provider-concerns-web"


class AccessLogger(Logger):
    """Masks secrets carried in paths (the calendar feed's address is its credential) in every access log atom
    that holds the path, with the same rule as the app's own logs (core.middleware.mask_path)."""

    def atoms(self, resp, req, environ, request_time):
        from core.middleware import mask_path

        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("U", "r"):
            if isinstance(atoms.get(key), str):
                atoms[key] = mask_path(atoms[key])
        atoms["q"] = "-"
        return atoms


logger_class = AccessLogger


def on_starting(server):
    """Refuse to start without the release step: every page needs the static files manifest."""
    from django.conf import settings  # reading the settings checks the required environment variables

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.is_file():
        raise SystemExit(
            f"{manifest} is missing: run the release step first (scripts/release.py: migrate and collectstatic)."
        )
