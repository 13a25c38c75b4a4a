"""Signing in (password, then a security code), setting up two-factor authentication, and "Your account"."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core import once
from core.models import FormToken

from . import mfa, roles
from .forms import NewRecoveryCodesForm, SecurityCodeForm, StaffSignInForm
from .middleware import SESSION_ENDED, second_factor_exempt, seconds_left

WRONG_CODE = "The security code is wrong or has been used; try the next code from your app"


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                                     require_https=request.is_secure()):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _throttled_message(until) -> str:
    seconds = mfa.seconds_until(until)
    at = formats.time_format(timezone.localtime(until), "g:i:sa")  # 7:36:12pm: the seconds matter here
    unit = "second" if seconds == 1 else "seconds"
    return f"You have entered too many wrong codes. Wait {seconds} {unit}, then try again (after {at})"


class SignInView(auth_views.LoginView):
    """The password step. Success goes on to the code step, keeping where the person was going."""

    redirect_authenticated_user = True
    authentication_form = StaffSignInForm

    def get_success_url(self):
        return _with_next("login_code", super().get_success_url())


@second_factor_exempt
@never_cache
def login_code(request):
    if not request.user.is_authenticated:
        return redirect("login")
    next_url = _next_url(request)
    if mfa.is_verified(request):
        return redirect(next_url)
    if not mfa.has_second_factor(request.user):
        return redirect(_with_next("mfa_setup", next_url))
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.check_code(request.user, form.cleaned_data["otp_token"])
        if check.ok:
            mfa.sign_in_with(request, check.device)
            if check.device.name == mfa.RECOVERY_DEVICE_NAME:
                left = mfa.recovery_codes_left(request.user)
                messages.info(request, f"You used a recovery code. You have {left} left: create new ones from "
                                       "Your account if you are running out.")
            return redirect(next_url)
        form.add_error("otp_token", _throttled_message(check.wait_until) if check.wait_until else WRONG_CODE)
    return render(request, "accounts/login_code.html", {"form": form, "next": next_url},
                  status=400 if form.errors else 200)


@second_factor_exempt
@never_cache
def mfa_setup(request):
    if not request.user.is_authenticated:
        return redirect("login")
    next_url = _next_url(request)
    if mfa.has_second_factor(request.user):
        return redirect("account" if mfa.is_verified(request) else _with_next("login_code", next_url))
    device = mfa.pending_app(request.user)
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check, codes = mfa.confirm_app(request, device, form.cleaned_data["otp_token"])
        if check.ok:
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": next_url, "just_set_up": True})
        form.add_error("otp_token", _throttled_message(check.wait_until) if check.wait_until else WRONG_CODE)
    return render(request, "accounts/mfa_setup.html", {
        "form": form, "next": next_url, "qr_code": mfa.qr_data_uri(device), "key": mfa.key_base32(device),
    }, status=400 if form.errors else 200)


@never_cache
def account(request):
    user = request.user
    app = mfa.confirmed_app(user)
    return render(request, "accounts/account.html", {
        "app": app,
        "codes_left": mfa.recovery_codes_left(user),
        "roles_with_descriptions": [(r, roles.ROLE_DESCRIPTIONS.get(r, "")) for r in sorted(roles.roles_of(user))],
    })


# A repeat of "Create new recovery codes" soon after the first shows the codes that one made: after a double click
# the browser shows only the second answer, and the first set would otherwise never be seen.
RECOVERY_CODES_REPEAT_SHOWS_FOR = datetime.timedelta(minutes=10)


def _recovery_codes_repeat(request):
    """The same form sent again: make nothing, say so, and show the codes the first submission made if it was
    moments ago (to the same person: the token is signed for them). Later, go back to Your account."""
    messages.warning(request, once.ALREADY_SENT)
    try:
        nonce = once.read(request.POST.get(once.FIELD), request.user)
    except once.TokenRefused:
        nonce = None
    first = FormToken.objects.filter(token=nonce, user=request.user).values_list("created_at", flat=True).first()
    device = mfa.recovery_device(request.user)
    if first is None or timezone.now() - first > RECOVERY_CODES_REPEAT_SHOWS_FOR or device is None:
        return redirect("account")
    codes = list(device.token_set.order_by("pk").values_list("token", flat=True))
    return render(request, "accounts/recovery_codes.html",
                  {"codes": codes, "next": reverse("account"), "repeat": True})


@require_http_methods(["GET", "POST"])
@never_cache
def new_recovery_codes(request):
    """A confirmation form with a one-time token (ADR 21): sent twice, it makes one set of codes."""
    if once.repeat_of(request) is not None:
        return _recovery_codes_repeat(request)
    form = NewRecoveryCodesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = once.once(request, form, lambda: mfa.replace_recovery_codes(request.user), done_url="account")
        except once.AlreadySent:
            return _recovery_codes_repeat(request)
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("account")})
    return render(request, "accounts/new_recovery_codes.html", {"form": form, "back_url": reverse("account")},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@never_cache
def keep_alive(request):
    """POST is "Stay signed in": SessionLimitsMiddleware has already restarted the idle clock for it.

    GET only reports the seconds left (the warning script asks before it warns, in case another tab was busy);
    the middleware does not count it as activity.
    """
    return JsonResponse({"seconds_left": round(seconds_left(request))})


def csrf_failure(request, reason=""):
    """A form that came from an ended session or an out-of-date page: say so plainly, never a bare 403."""
    return render(request, "accounts/csrf_failure.html", {"session_ended": SESSION_ENDED}, status=403)
