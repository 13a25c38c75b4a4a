"""Settings shared by every environment. Values come from the environment (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

COUNCIL_NAME = env("COUNCIL_NAME", default="Northfield Borough Council")
SERVICE_NAME = "Provider concerns and escalation"

INSTALLED_APPS = [
    "accounts.admin_apps.VerifiedAdminConfig",  # django.contrib.admin, needing the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_fsm_log",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "pgtrigger",
    "axes",
    "csp",
    "accounts",
    "audit",
    "providers",
    "concerns",
    "escalation",
    "letters",
    "deadlines",
    "core",
    "home",
    "portal",
    "placements",
    "intelligence",
    "replies",
    "oversight",
    "tools",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.PrivateResponsesMiddleware",  # Cache-Control: no-store; one line per refused request
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.once.CurrentRequestMiddleware",  # forms sign their one-time token for the person viewing them
    "accounts.middleware.SessionLimitsMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "portal.middleware.PortalBoundaryMiddleware",  # provider contacts stay inside /portal/, staff stay out of it
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "escalation.middleware.CaseClosedMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.service",
                "home.context_processors.my_work",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.ModelBackend",  # Django's, reading the roles with the person
    # Django's own, only so that sessions signed in before the line above keep working after the release that
    # added it (a session names the backend that signed it in); remove it in the next release.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"  # the staff page, or the portal's inside /portal/
# Sessions (accounts.middleware.SessionLimitsMiddleware): signed out after SESSION_IDLE_MINUTES without a
# request, and SESSION_MAX_HOURS after signing in whatever happens; the cookie goes when the browser closes.
SESSION_IDLE_MINUTES = env.float("SESSION_IDLE_MINUTES", default=30)
SESSION_MAX_HOURS = env.float("SESSION_MAX_HOURS", default=10)
SESSION_WARNING_MINUTES = env.float("SESSION_WARNING_MINUTES", default=5)  # the warning dialog's lead time
SESSION_COOKIE_AGE = int(SESSION_MAX_HOURS * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Second factor (django-otp): TOTP app plus single-use recovery codes; wrong codes wait 1, 2, 4, 8... seconds.
OTP_TOTP_ISSUER = COUNCIL_NAME  # the name people see in their authenticator app
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
# Only a second guard: on its own this hides keys and codes on existing devices, while django-otp's add forms still
# take a key or codes the administrator chooses. Its admin pages are therefore replaced by accounts/device_admin.py
# (list, view and delete only; each deletion is audited as a two-factor reset).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# django-axes: lock an account + address after repeated failed sign-ins.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# ...and lock an address across usernames (password spraying) after more failures in the same 30 minutes.
AXES_IP_FAILURE_LIMIT = env.int("AXES_IP_FAILURE_LIMIT", default=20)
AXES_HANDLER = "accounts.axes_handler.AddressLimitHandler"
# Behind reverse proxies, how many of them append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
SIGN_IN_PROXY_COUNT = env.int("SIGN_IN_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.axes_handler.client_ip_address"

# django-csp 4: no inline script or style anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "style-src": ["'self'"],
        "script-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d %m %Y"]
# Dates and times as GOV.UK writes them: "23 November 2026", "23 November 2026 at 2:05pm". The en-gb locale's
# own formats would override these settings, so config/formats holds the same values for it; "am"/"pm" come
# from locale/en_GB.
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "fa"
DATETIME_FORMAT = r"j F Y \a\t fa"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # evidence is only ever served through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"
CRISPY_CLASS_CONVERTERS = {"fileinput": "govuk-file-upload"}  # core.forms.FileInput (several files)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds to wait on the mail server. Bounded, so a reminder claim (ADR 0024) never outlives its sender unnoticed.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="provider-concerns@example.gov.uk")

# Celery: embedded SQLite broker by default (no Redis needed for `make run`); Redis from the environment.
VAR_DIR.mkdir(exist_ok=True)
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite'}")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down is noticed quickly and never waited on by a web request: connecting gives up after
# this many seconds, and publishing is not retried (the outbox keeps the message for the relay, ADR 0014).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY = False
# After a failed publish, a web process leaves the outbox to the relay job for this long (core.outbox).
OUTBOX_QUIET_SECONDS = env.int("OUTBOX_QUIET_SECONDS", default=30)
# With acks_late, a task whose worker died is redelivered after this many seconds (Redis transport).
# Redis transport only: the embedded SQLAlchemy broker of `make run` rejects these options.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": env.int("CELERY_UNACKED_RESTORE_THROTTLE", default=10),
    "socket_connect_timeout": env.float("CELERY_REDIS_CONNECT_TIMEOUT", default=2.0),
    "socket_timeout": env.float("CELERY_REDIS_SOCKET_TIMEOUT", default=10.0),
    "retry_on_timeout": True,
} if CELERY_BROKER_URL.startswith(("redis://", "rediss://")) else {}

# A refused request (4xx) is one line from core.refusals (core.middleware); RefusalLogFilter drops Django's own
# record of it (which has a traceback and the raw path) and masks secrets in paths. It sits on the loggers
# themselves, so every handler gets the filtered record, and on the console handler for any other
# django.security.* logger. A handler added elsewhere needs "filters": ["refusals"] too.
DJANGO_REFUSAL_LOGGERS = ["django.request", "django.security.csrf"] + [f"django.security.{name}" for name in (
    "SuspiciousOperation", "DisallowedHost", "DisallowedRedirect", "SuspiciousFileOperation",
    "SuspiciousMultipartForm", "SuspiciousSession", "InvalidSessionKey", "RequestDataTooBig", "TooManyFieldsSent",
    "TooManyFilesSent", "DisallowedModelAdminLookup", "DisallowedModelAdminToField")]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "core.middleware.RefusalLogFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["refusals"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
        **{name: {"filters": ["refusals"]} for name in DJANGO_REFUSAL_LOGGERS},
        # runserver's access log: its own handler (as Django has it), with the calendar secret masked.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False, "filters": ["refusals"]},
    },
}
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
# The providers' portal: how many days a provider has to reply to what the council shares (the sharer may set
# another closing date).
PROVIDER_REPLY_DAYS = env.int("PROVIDER_REPLY_DAYS", default=14)

# Deadline reminders: how many working days before the due date the first reminder goes out.
DEADLINE_REMINDER_WORKING_DAYS = env.int("DEADLINE_REMINDER_WORKING_DAYS", default=2)
# A provider may appeal against a suspension of placements within this many working days of it coming into force.
APPEAL_WORKING_DAYS = env.int("APPEAL_WORKING_DAYS", default=5)
# A reminder claimed for sending and not recorded "sent" after this many seconds belonged to a worker that died:
# a later sweep sends it again (ADR 0024). Far longer than one email can take (EMAIL_TIMEOUT).
DEADLINE_REMINDER_RETRY_SECONDS = env.int("DEADLINE_REMINDER_RETRY_SECONDS", default=10 * 60)
# How long a drawn form may wait before it is sent (its one-time token expires; core.once, ADR 0021).
FORM_TOKEN_MAX_AGE = env.int("FORM_TOKEN_MAX_AGE", default=24 * 60 * 60)
# The CQC ratings file fetched once a day and imported (intelligence); empty: no scheduled fetch.
CQC_RATINGS_URL = env("CQC_RATINGS_URL", default="")
CELERY_BEAT_SCHEDULE = {
    "relay-outbox": {"task": "core.tasks.relay_outbox", "schedule": 60},
    "forget-used-form-tokens": {"task": "core.tasks.forget_used_form_tokens", "schedule": 24 * 60 * 60},
    "forget-old-packs": {"task": "oversight.tasks.forget_old_packs", "schedule": 24 * 60 * 60},
    "sweep-deadlines": {"task": "deadlines.tasks.sweep_deadlines", "schedule": env.int("DEADLINE_SWEEP_SECONDS",
                                                                                        default=15 * 60)},
    "fetch-cqc-ratings": {"task": "intelligence.tasks.fetch_cqc_ratings", "schedule": 24 * 60 * 60},
    "compute-visit-programme": {"task": "intelligence.tasks.compute_visit_programme", "schedule": 24 * 60 * 60},
    "remind-cqc-meeting-due": {"task": "intelligence.tasks.remind_cqc_meeting_due", "schedule": 24 * 60 * 60},
    "evaluate-triggers": {"task": "intelligence.tasks.evaluate_triggers",
                          "schedule": env.int("TRIGGER_EVALUATION_SECONDS", default=60 * 60)},
}
