"""Helpers every view uses to turn service refusals into plain messages on the page."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from .once import AlreadySent, already_sent, once, repeat_of


def apply_service_errors(form, exc: ValidationError):
    """Put a service's ValidationError onto the form so the error summary links to the field."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for e in errors:
                form.add_error(target, e.messages[0] if hasattr(e, "messages") else str(e))
    else:
        for message in exc.messages:
            form.add_error(None, message)


def submit(request, form, action, *, success: str, done_url, stale=(), refusal_message: str | None = None):
    """The shape every small form shares: on a valid POST call the service, once per form token (core.once:
    a repeat of the same form does nothing and goes to `done_url`). A ValidationError goes back onto the form
    (returns None: re-render it); a stale or refused action becomes a plain message on `done_url`; success adds
    `success` and redirects there."""
    repeat = repeat_of(request, form.prefix)
    if repeat:
        return already_sent(request, repeat, done_url)
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        once(request, form, lambda: action(form.cleaned_data), done_url=done_url)
    except AlreadySent as exc:
        return already_sent(request, exc, done_url)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return None
    except stale as exc:
        messages.error(request, str(exc))
    except REFUSED_ERRORS as exc:
        messages.error(request, refusal_message or str(exc) or STALE_MESSAGE)
    else:
        messages.success(request, success)
    return redirect(done_url)


STALE_MESSAGE = "Someone else changed this while you were looking at it. Check the page and try again."
REFUSED_ERRORS = (TransitionNotAllowed, ConcurrentTransition)
__all__ = ["apply_service_errors", "STALE_MESSAGE", "REFUSED_ERRORS", "PermissionDenied"]
