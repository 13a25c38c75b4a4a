"""Tests: PostgreSQL from DATABASE_URL (the Makefile sets it), Celery eager unless a test starts a worker."""

from .base import *  # noqa: F401,F403
from .base import BASE_DIR, env

DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/provider_concerns")
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="redis://127.0.0.1:6379/15")
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
AXES_ENABLED = env.bool("AXES_ENABLED", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DEMO_DATA_ALLOWED = True  # the tests load the demo data
