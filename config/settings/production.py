"""Production: everything from the environment. PostgreSQL, Redis and an SMTP server are required.

A missing required variable stops the process at start-up with ImproperlyConfigured naming it, rather
than falling back to a development default. See docs/adr/0022-production-deployment.md.
"""

import copy
import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F401,F403
from .base import DATABASES as BASE_DATABASES
from .base import LOGGING as BASE_LOGGING
from .base import VAR_DIR, env


def required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable: the production settings need it (see 'Run it in production' "
            "in README.md)."
        )
    return value


DEBUG = False  # never from the environment in production
DEMO_DATA_ALLOWED = False  # seed_demo refuses to run: the demo users share a published password

SECRET_KEY = required("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = [h.strip() for h in required("DJANGO_ALLOWED_HOSTS").split(",") if h.strip()]

SITE_URL = required("SITE_URL").rstrip("/")
_site = urlsplit(SITE_URL)
if _site.scheme != "https" or not _site.netloc:
    raise ImproperlyConfigured(
        f"SITE_URL must be the https:// address people use, for example https://concerns.example.gov.uk "
        f"(got {SITE_URL!r})."
    )
CSRF_TRUSTED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]

# --- Database: one PostgreSQL shared by every web and worker process, on every machine.
required("DATABASE_URL")
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...) in production.")
DATABASES["default"]["ATOMIC_REQUESTS"] = BASE_DATABASES["default"].get("ATOMIC_REQUESTS", False)
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT",
                                                                                     default=5))

# --- HTTPS. The TLS proxy in front either tells gunicorn (forwarded_allow_ips in deploy/gunicorn.conf.py)
# or Django (DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https") that the request came over HTTPS.
_proxy_header = env("DJANGO_SECURE_PROXY_SSL_HEADER", default="").strip()
if _proxy_header:
    _parts = [p.strip() for p in _proxy_header.split(",")]
    if len(_parts) != 2 or not _parts[0].startswith("HTTP_") or not _parts[1]:
        raise ImproperlyConfigured(
            'DJANGO_SECURE_PROXY_SSL_HEADER must be "HTTP_<HEADER>,<value>", for example '
            '"HTTP_X_FORWARDED_PROTO,https".'
        )
    SECURE_PROXY_SSL_HEADER = (_parts[0], _parts[1])
# Sign-in lock-outs (accounts.axes_handler) must count the person's own address. Behind the TLS proxy every
# request reaches gunicorn from the proxy's address, so without this one person's 20 wrong passwords would
# lock everyone out. Required, so nobody forgets it: the number of proxies that append to X-Forwarded-For
# (0 when people reach gunicorn directly, 1 behind one proxy).
_proxy_count = required("SIGN_IN_PROXY_COUNT")
if not _proxy_count.isdigit():
    raise ImproperlyConfigured(
        "SIGN_IN_PROXY_COUNT must be a whole number: how many proxies append to X-Forwarded-For "
        f"(got {_proxy_count!r})."
    )
SIGN_IN_PROXY_COUNT = int(_proxy_count)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Preloading commits the council's whole domain to HTTPS in browsers' built-in lists: the council's web
# team decides that, not this app (ADR 0022).
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not SECURE_HSTS_PRELOAD else []

# --- Static files: hashed names + compressed copies, built by the release step (`collectstatic`).
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
}

# --- Email: a real SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = required("EMAIL_HOST")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)  # noqa: F405

# --- Celery: Redis, with short timeouts, so a web request never hangs on a broker that is down (the
# outbox keeps the message and the beat job publishes it later, ADR 0014).
CELERY_BROKER_URL = required("CELERY_BROKER_URL")
if not CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must be a Redis URL (redis:// or rediss://) in production.")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=3.0)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_connect_timeout": env.float("CELERY_REDIS_CONNECT_TIMEOUT", default=3.0),
    "socket_timeout": env.float("CELERY_REDIS_SOCKET_TIMEOUT", default=10.0),
    "retry_on_timeout": True,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_TRANSPORT_OPTIONS["socket_connect_timeout"]
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_BROKER_TRANSPORT_OPTIONS["socket_timeout"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TASK_ALWAYS_EAGER = False
# One Redis may serve several environments (e.g. training and live): give each its own queue name.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_WORKER_CONCURRENCY = env.int("CELERY_WORKER_CONCURRENCY", default=4)  # processes per worker unit
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # Django's LOGGING (stdout) is the one configuration

# --- Logging: everything to stdout, one line per record; systemd's journal or the container runtime keeps it.
LOGGING = copy.deepcopy(BASE_LOGGING)
LOGGING.setdefault("formatters", {})["production"] = {
    "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
}
LOGGING["handlers"]["console"].update({"stream": "ext://sys.stdout", "formatter": "production"})
LOGGING.setdefault("loggers", {}).setdefault("django.security", {"level": "INFO"})
