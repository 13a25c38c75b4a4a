"""`make run`: SQLite, embedded Celery broker, console email, DEBUG on."""

from .base import *  # noqa: F401,F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

DEMO_DATA_ALLOWED = True  # seed_demo may load the demo users (never in production)
