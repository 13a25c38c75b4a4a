"""One record per form: every app form carries a one-time token (ADR 0021).

The server signs each token with the id of the person the form was shown to (core.forms.GovFormMixin adds it
as a hidden field, so templates need nothing). The action the form asks for and the token's row are written in
one transaction (`once`): a second submission of the same form (a double click, or going back and sending it
again) finds the token taken, does nothing, and goes where the first submission went. A token the server did
not issue, or issued to someone else, is refused; so is a form without one.
"""

import contextvars
import datetime
import secrets

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import redirect, resolve_url
from django.utils import timezone

from .evidence import atomic_with_files

FIELD = "form_token"
SALT = "core.once.form-token"
ALREADY_SENT = "This form was already sent"
MISSING = "This form could not be checked as coming from this service. Check your answers and send it again."
EXPIRED = "This form was open for too long. Check your answers and send it again."
NOT_YOURS = "This form was opened by someone else. Check your answers and send it again."

_current_request = contextvars.ContextVar("current_request", default=None)


class CurrentRequestMiddleware:
    """Keeps the request at hand while it is handled, so a form can sign its token for the person viewing it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reset = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(reset)


def current_request():
    return _current_request.get()


def _user_id(user):
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


def max_age() -> int:
    return getattr(settings, "FORM_TOKEN_MAX_AGE", 24 * 60 * 60)


def issue(user) -> str:
    """A new signed token for a form shown to `user` (None or anonymous for a form before signing in)."""
    return signing.dumps({"u": _user_id(user), "n": secrets.token_urlsafe(24)}, salt=SALT, compress=False)


def issue_for_current_request() -> str:
    """The hidden field's initial value, worked out when the form is drawn. Empty outside a request."""
    request = current_request()
    return issue(getattr(request, "user", None)) if request is not None else ""


class TokenRefused(Exception):
    """The token is missing, was not issued by this server, is too old, or was issued to someone else."""


def read(value, user) -> str:
    """The token's single-use part, or TokenRefused with a message for the person sending the form."""
    if not value:
        raise TokenRefused(MISSING)
    try:
        payload = signing.loads(value, salt=SALT, max_age=max_age())
    except signing.SignatureExpired as exc:
        raise TokenRefused(EXPIRED) from exc
    except signing.BadSignature as exc:
        raise TokenRefused(MISSING) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("n"), str):
        raise TokenRefused(MISSING)
    if payload.get("u") != _user_id(user):
        raise TokenRefused(NOT_YOURS)
    return payload["n"]


class AlreadySent(Exception):
    """This form's token was already used; `url` is where its first submission went ("" if unknown)."""

    def __init__(self, url: str = ""):
        super().__init__(ALREADY_SENT)
        self.url = url


def consume(nonce: str, user) -> None:
    """Take the token inside the caller's transaction; AlreadySent if it was taken before. If the transaction
    rolls back, the token is free again, so a form refused for bad input can be corrected and sent."""
    from .models import FormToken

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Consume a form token inside the transaction of the action it is for")
    try:
        with transaction.atomic():
            FormToken.objects.create(token=nonce, user=user if _user_id(user) else None)
    except IntegrityError:
        first = FormToken.objects.filter(token=nonce).values_list("done_url", flat=True).first()
        raise AlreadySent(first or "") from None


def _nonce_of(request, form) -> str:
    nonce = getattr(form, "form_token_nonce", None)
    if nonce:
        return nonce
    try:
        return read(form.data.get(form.add_prefix(FIELD)), request.user)
    except TokenRefused as exc:  # shown on the form like any other refusal
        raise ValidationError(str(exc)) from exc


def once(request, form, action, *, done_url=None):
    """Run `action()` once for this form's token, in one transaction with taking the token (and with the files
    the action stores). `done_url` (a URL, a model, or a function of the action's result) is remembered so a
    repeat goes to the same place. Raises AlreadySent on a repeat; the action's own errors pass through."""
    nonce = _nonce_of(request, form)
    with atomic_with_files():
        consume(nonce, request.user)
        result = action()
        url = done_url(result) if callable(done_url) else done_url
        if url:
            from .models import FormToken

            FormToken.objects.filter(token=nonce).update(done_url=resolve_url(url)[:500])
    return result


def repeat_of(request, prefix=None) -> AlreadySent | None:
    """For a POST whose token was already used: AlreadySent (checked before the form, whose choices may have
    moved on since the first submission). None for anything else, which the form and once() then check."""
    if request.method != "POST":
        return None
    from .models import FormToken

    name = f"{prefix}-{FIELD}" if prefix else FIELD
    try:
        nonce = read(request.POST.get(name), request.user)
    except TokenRefused:
        return None
    url = FormToken.objects.filter(token=nonce).values_list("done_url", flat=True).first()
    return AlreadySent(url) if url is not None else None


def already_sent(request, exc: AlreadySent, fallback=None):
    """The answer to a repeated form: say so, and go where the first submission went."""
    messages.warning(request, ALREADY_SENT)
    return redirect(exc.url or fallback or request.path)


def forget_used_tokens() -> int:
    """Delete used tokens too old to be sent again (their signatures have expired)."""
    from .models import FormToken

    cutoff = timezone.now() - datetime.timedelta(seconds=max_age())
    return FormToken.objects.filter(created_at__lt=cutoff).delete()[0]
