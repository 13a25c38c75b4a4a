"""Two things every response needs, in one middleware placed just inside SecurityMiddleware.

1. No caching: every response except static files says `Cache-Control: no-store` (with Django's other
   never-cache headers), so no browser, proxy or shared computer keeps a copy of a page, a CSV, a JSON or PDF
   download, an admin page or the calendar feed. Static files are answered by WhiteNoise with their own
   long-lived caching; they hold nothing private.
2. One line for each refused request (400-499, CSRF failures included): method, path (with secrets masked),
   status, the signed-in person's id and, where Django gave one, a short reason tag. No traceback, no name,
   email, query string or free text. Django's own records of the same refusal (django.request and
   django.security.*, which carry a traceback and the raw path) are dropped by RefusalLogFilter, which the
   LOGGING setting attaches to those loggers and to the console handler.
"""

import logging
import re

from django.conf import settings
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("core.refusals")

# Paths that carry a secret: the calendar feed's address is its credential.
SECRET_PATHS = [(re.compile(r"(/calendar/)[^/\s\"]+?(\.ics)"), r"\1[secret]\2")]


def mask_path(path: str) -> str:
    for pattern, replacement in SECRET_PATHS:
        path = pattern.sub(replacement, path)
    return path


def _user_id(request) -> str:
    user = getattr(request, "user", None)
    try:
        return str(user.pk) if user is not None and user.is_authenticated else "-"
    except Exception:  # a broken session must not stop the refusal being logged
        return "-"


def refusal_line(request, status, reason: str | None = None) -> str:
    if request is None:
        return f"Refused request: status={status}" + (f" reason={reason}" if reason else "")
    # Escaped, so a path holding a line break cannot forge a second log line.
    path = mask_path(request.path).encode("unicode_escape").decode("ascii")
    method = str(request.method).encode("unicode_escape").decode("ascii")
    line = f"Refused request: method={method} path={path} status={status} user={_user_id(request)}"
    return line + (f" reason={reason}" if reason else "")


def _reason(record) -> str | None:
    if record.name == "django.security.csrf":
        return "csrf"
    if record.name.startswith("django.security."):
        return record.name.rsplit(".", 1)[1]  # the SuspiciousOperation's class name, e.g. DisallowedHost
    return None


class RefusalLogFilter(logging.Filter):
    """For django.request and django.security.* records about a 4xx response: drop them when the middleware
    logs the request itself (handing it the reason), otherwise turn them into the same one line without the
    traceback. For every other record from those loggers (5xx) and for runserver's access log, mask secrets
    in the path."""

    def filter(self, record):
        name = record.name
        if name == "django.server":
            self._mask_args(record)
            return True
        if name != "django.request" and not name.startswith("django.security."):
            return True
        status = getattr(record, "status_code", None)
        request = getattr(record, "request", None)
        if not isinstance(status, int) or status >= 500 or status < 400:
            self._mask_args(record)
            return True
        reason = _reason(record)
        if request is not None and getattr(request, "_refusal_logged_by_middleware", False):
            if reason and not getattr(request, "_refusal_reason", None):
                request._refusal_reason = reason
            return False
        record.msg, record.args = refusal_line(request, status, reason), ()
        record.exc_info = record.exc_text = record.stack_info = None
        return True

    @staticmethod
    def _mask_args(record):
        if isinstance(record.args, tuple):
            record.args = tuple(mask_path(a) if isinstance(a, str) else a for a in record.args)


class PrivateResponsesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request._refusal_logged_by_middleware = True
        response = self.get_response(request)
        if 400 <= response.status_code < 500:
            logger.warning(refusal_line(request, response.status_code, getattr(request, "_refusal_reason", None)))
            response._has_been_logged = True  # Django's own "Not Found: /path" line is not written too
        if not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
