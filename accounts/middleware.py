"""Session limits and the second factor, enforced on every request.

SessionLimitsMiddleware (after MessageMiddleware, before CsrfViewMiddleware.process_view runs):
- signs a person out after SESSION_IDLE_MINUTES without a request, or SESSION_MAX_HOURS after they signed in,
  and tells them why on the sign-in page;
- turns a session cookie that no longer resolves to a session (it ended) into the sign-in page with
  "Your session has ended", instead of a CSRF failure or a silent bounce.

SecondFactorMiddleware: a signed-in person whose session is not yet verified by one of their devices is sent
to the code step (or to set-up if they have no authenticator app yet) from every page, download and /admin/.
Public views (login_not_required: the sign-in page, the calendar feed with its own secret token) and the views
marked with second_factor_exempt (the code step, set-up, sign-out) are let through.
"""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from . import mfa

SIGNED_IN_AT = "accounts.signed_in_at"
LAST_SEEN = "accounts.last_seen"

SESSION_ENDED = "Your session has ended. Sign in again; what you entered was not saved."
SESSION_ENDED_GET = "Your session has ended. Sign in again."
NOT_SAVED = " What you entered was not saved."


def second_factor_exempt(view):
    """Let a signed-in person reach this view before they have entered their security code."""
    view.second_factor_exempt = True
    return view


def idle_seconds() -> float:
    return float(settings.SESSION_IDLE_MINUTES) * 60


def max_seconds() -> float:
    return float(settings.SESSION_MAX_HOURS) * 3600


def amount(value: float, unit: str) -> str:
    number = f"{value:g}"
    return f"{number} {unit}" if number == "1" else f"{number} {unit}s"


def idle_message() -> str:
    idle = amount(settings.SESSION_IDLE_MINUTES, "minute")
    return f"You were signed out because you had not done anything for {idle}."


def max_message() -> str:
    return (f"You were signed out because you had been signed in for {amount(settings.SESSION_MAX_HOURS, 'hour')}, "
            "the longest a session can last.")


def seconds_left(request) -> float:
    """Seconds until the session ends for being idle (or for its maximum length, if that comes first)."""
    now = time.time()
    session = request.session
    return max(0.0, min(session.get(LAST_SEEN, now) + idle_seconds(), session.get(SIGNED_IN_AT, now) + max_seconds())
               - now)


def start_session_clock(request) -> None:
    """Called when someone signs in with their password (accounts.apps connects it to user_logged_in)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN] = now


def _is_public(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return getattr(match.func, "login_required", True) is False


def _is_static(request) -> bool:
    return request.path_info.startswith(settings.STATIC_URL)


def _view_of(request):
    """The view the path resolves to, or None."""
    try:
        return resolve(request.path_info).func
    except Resolver404:
        return None


def _to_sign_in(request, posted: bool):
    """To the sign-in page; after it, back to the page asked for (a form post has nowhere to go back to). A page
    with its own sign-in (the providers' portal sets `login_url` on its views) sends people there."""
    login_url = getattr(_view_of(request), "login_url", None) or settings.LOGIN_URL
    if posted:
        return redirect(login_url)
    return redirect_to_login(request.get_full_path(), login_url)


LAST_SEEN_EVERY = 30  # seconds


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_static(request):
            return self.get_response(request)
        had_cookie = settings.SESSION_COOKIE_NAME in request.COOKIES
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            signed_in_at = session.get(SIGNED_IN_AT, now)
            last_seen = session.get(LAST_SEEN, now)
            keep_alive = request.path_info == reverse("keep_alive") or (  # or the portal's own keep-alive
                request.path_info.endswith("/keep-alive/") and getattr(_view_of(request), "keep_alive", False) is True)
            ended = max_message() if now - signed_in_at > max_seconds() else (
                idle_message() if now - last_seen > idle_seconds() else None)
            if ended and keep_alive:
                # The warning script asking (or too late to stay): it reloads the page, and that request signs
                # the person out with the reason, so the message is not spent on a page nobody sees.
                return JsonResponse({"seconds_left": 0})
            if ended:
                return self._sign_out(request, ended)
            # Written only when it changes, so most requests do not save the session (one UPDATE fewer a page).
            # The idle clock restarts at most every LAST_SEEN_EVERY seconds: a session may end up to that much
            # before the full idle time, never after it.
            if SIGNED_IN_AT not in session:
                session[SIGNED_IN_AT] = signed_in_at
            if not (keep_alive and request.method == "GET") and (
                    keep_alive or LAST_SEEN not in session or now - last_seen >= LAST_SEEN_EVERY):
                session[LAST_SEEN] = now
        elif had_cookie and request.session.session_key is None and not _is_public(request):
            # The browser sent a session cookie, but the session has gone (expired, or ended in another tab).
            posted = request.method not in ("GET", "HEAD", "OPTIONS")
            messages.info(request, SESSION_ENDED if posted else SESSION_ENDED_GET)
            return _to_sign_in(request, posted)
        return self.get_response(request)

    @staticmethod
    def _sign_out(request, message):
        posted = request.method not in ("GET", "HEAD", "OPTIONS")
        logout(request)
        messages.info(request, message + (NOT_SAVED if posted else ""))
        return _to_sign_in(request, posted)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not request.user.is_authenticated or mfa.is_verified(request):
            return None
        if getattr(view_func, "login_required", True) is False or getattr(view_func, "second_factor_exempt", False):
            return None
        # A page with its own sign-in steps (the providers' portal) names them in `second_factor_steps`.
        # (on the view, or on the request by a middleware that owns a whole part of the site).
        code_step, set_up_step = (getattr(view_func, "second_factor_steps", None)
                                  or getattr(request, "second_factor_steps", None) or ("login_code", "mfa_setup"))
        url = reverse(code_step if mfa.has_second_factor(request.user) else set_up_step)
        if request.method in ("GET", "HEAD"):
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)
