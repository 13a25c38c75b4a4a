"""Helpers every view uses to turn service refusals into plain messages on the page."""

from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed


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


STALE_MESSAGE = "Someone else changed this while you were looking at it. Check the page and try again."
REFUSED_ERRORS = (TransitionNotAllowed, ConcurrentTransition)
__all__ = ["apply_service_errors", "STALE_MESSAGE", "REFUSED_ERRORS", "PermissionDenied"]
