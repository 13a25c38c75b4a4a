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
                message = e.messages[0] if hasattr(e, "messages") else str(e)
                if field in getattr(form, "row_formsets", {}):  # a list of rows (core.rows)
                    form.add_row_error(field, message)
                else:
                    form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def submit(request, form, action, *, success, done_url, stale=(), refusal_message: str | None = None,
           refused_url=None, on_success=None):
    """The shape every form shares: on a valid POST call the service, once per form token (core.once: a repeat of
    the same form does nothing and goes where the first went). A ValidationError goes back onto the form (returns
    None: re-render it); a stale or refused action becomes a plain message on `refused_url` (default `done_url`,
    or this page); success adds `success` and redirects to `done_url`.

    `success` and `done_url` may be functions of the service's result (the new record, say); `success=None` adds
    no message. `on_success(result)`, if given, makes the response instead of the redirect (a page that shows
    what was done). A form that is only drawn again with one more row (core.rows) is not valid: nothing runs."""
    fixed_url = None if callable(done_url) else done_url
    repeat = repeat_of(request, form.prefix)
    if repeat:
        return already_sent(request, repeat, fixed_url)
    if request.method != "POST":
        return None
    if not form.is_valid():
        _files_again(form)
        return None
    try:
        result = once(request, form, lambda: action(form.cleaned_data), done_url=done_url)
    except AlreadySent as exc:
        return already_sent(request, exc, fixed_url)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        _files_again(form)
        return None
    except stale as exc:
        messages.error(request, str(exc) or STALE_MESSAGE)
    except REFUSED_ERRORS as exc:
        messages.error(request, refusal_message or str(exc) or STALE_MESSAGE)
    else:
        message = success(result) if callable(success) else success
        if message:
            messages.success(request, message)
        if on_success is not None:
            return on_success(result)
        return redirect(done_url(result) if callable(done_url) else done_url)
    return redirect(refused_url or fixed_url or request.path)


def _files_again(form):
    if hasattr(form, "ask_for_files_again"):
        form.ask_for_files_again()


STALE_MESSAGE = "Someone else changed this while you were looking at it. Check the page and try again."
REFUSED_ERRORS = (TransitionNotAllowed, ConcurrentTransition)
__all__ = ["apply_service_errors", "STALE_MESSAGE", "REFUSED_ERRORS", "PermissionDenied"]
