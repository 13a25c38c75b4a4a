"""The provider-facing pages under /portal/: sign-in (password, then security code), the shared items and the
reply form. Every page but sign-in asks `contact_required` and filters by `provider_ids_for(user)`; anything else
is 404 (logged by core.middleware with a reason)."""

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from accounts import mfa
from accounts import sign_in_views as staff_sign_in
from accounts.forms import SecurityCodeForm
from accounts.middleware import SESSION_ENDED, second_factor_exempt
from core.views import submit
from providers.contacts import contact_required, provider_ids_for

from . import services
from .forms import ChoosePasswordForm, PortalSignInForm, ReplyForm
from .models import ProviderShare, ReplyFile, SharedDocument

PAGE = 25
SIGN_IN = "portal:sign_in"
CODE_STEP = "portal:sign_in_code"
SET_UP_STEP = "portal:set_up"


def portal_page(view):
    """A portal page: anonymous people go to the portal's sign-in (LoginRequiredMiddleware reads login_url), and
    a half-signed-in person to the portal's own code step (SecondFactorMiddleware reads second_factor_steps)."""
    view.login_url = SIGN_IN
    view.second_factor_steps = (CODE_STEP, SET_UP_STEP)
    return view


def not_theirs(request, message="No such page"):
    """Another provider's object, or one that does not exist: 404, with a reason on the refusal log line."""
    request._refusal_reason = "portal_not_their_provider"
    return Http404(message)


def _next_url(request) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/portal/") and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return resolve_url("portal:home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


# --- signing in -----------------------------------------------------------------------------------------------

class PortalSignInView(auth_views.LoginView):
    """The password step, for provider contacts only (staff get the message of a wrong password). django-axes
    counts failures here exactly as on the staff sign-in, since both go through authenticate()."""

    template_name = "portal/sign_in.html"
    authentication_form = PortalSignInForm
    redirect_authenticated_user = False

    def get_success_url(self):
        return _with_next(CODE_STEP, _next_url(self.request))


sign_in = login_not_required(never_cache(PortalSignInView.as_view()))


@portal_page
@second_factor_exempt
@never_cache
def sign_in_code(request):
    next_url = _next_url(request)
    if mfa.is_verified(request):
        return redirect(next_url)
    if not mfa.has_second_factor(request.user):
        return redirect(_with_next(SET_UP_STEP, next_url))
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = mfa.check_code(request.user, form.cleaned_data["otp_token"])
        if check.ok:
            mfa.sign_in_with(request, check.device)
            return redirect(next_url)
        form.add_error("otp_token", staff_sign_in._throttled_message(check.wait_until) if check.wait_until
                       else staff_sign_in.WRONG_CODE)
    return render(request, "portal/sign_in_code.html", {"form": form, "next": next_url},
                  status=400 if form.errors else 200)


@portal_page
@second_factor_exempt
@never_cache
def set_up(request):
    next_url = _next_url(request)
    if mfa.has_second_factor(request.user):
        return redirect(next_url if mfa.is_verified(request) else _with_next(CODE_STEP, next_url))
    device = mfa.pending_app(request.user)
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check, codes = mfa.confirm_app(request, device, form.cleaned_data["otp_token"])
        if check.ok:
            return render(request, "portal/recovery_codes.html", {"codes": codes, "next": next_url})
        form.add_error("otp_token", staff_sign_in._throttled_message(check.wait_until) if check.wait_until
                       else staff_sign_in.WRONG_CODE)
    return render(request, "portal/set_up.html", {
        "form": form, "next": next_url, "qr_code": mfa.qr_data_uri(device), "key": mfa.key_base32(device),
    }, status=400 if form.errors else 200)


sign_out = portal_page(second_factor_exempt(auth_views.LogoutView.as_view(next_page=SIGN_IN)))


@portal_page
@require_http_methods(["GET", "POST"])
@never_cache
def keep_alive(request):
    """The session warning's "Stay signed in", inside the portal (accounts.middleware counts it as the staff one)."""
    return staff_sign_in.keep_alive(request)


keep_alive.keep_alive = True


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def accept_invitation(request, uidb64, token):
    """The invitation link: choose a password, then set up the authenticator app. The link works once (the token
    is made from the password, so setting one spends it) and for PASSWORD_RESET_TIMEOUT seconds."""
    from django.contrib.auth import get_user_model

    try:
        account = get_user_model().objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        account = None
    if account is None or not default_token_generator.check_token(account, token):
        return render(request, "portal/invitation_expired.html", status=404)
    form = ChoosePasswordForm(account, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_contact_password(account=account, password=form.cleaned_data["new_password1"],
                                          token=token)
        except PermissionDenied:
            return render(request, "portal/invitation_expired.html", status=404)
        account.refresh_from_db()  # the new password's hash, so the session is not ended as out of date
        login(request, account, backend="accounts.backends.ModelBackend")
        return redirect(SET_UP_STEP)
    return render(request, "portal/accept_invitation.html", {"form": form, "account": account},
                  status=400 if form.errors else 200)


def csrf_failure(request, reason=""):
    """A form sent from an out-of-date page or after the session ended. Inside the portal: the portal's own page
    (no staff menu, the portal's sign-in); anywhere else the staff one (settings.CSRF_FAILURE_VIEW)."""
    if not request.path_info.startswith("/portal/"):
        return staff_sign_in.csrf_failure(request, reason)
    return render(request, "portal/csrf_failure.html", {"session_ended": SESSION_ENDED}, status=403)


# --- the shared items -----------------------------------------------------------------------------------------

@portal_page
@contact_required
@require_safe
def home(request):
    shares = (ProviderShare.objects.filter(provider_id__in=provider_ids_for(request.user))
              .select_related("provider").annotate(reply_count=Count("replies")).order_by("-shared_at", "-id"))
    page = Paginator(shares, PAGE).get_page(request.GET.get("page"))
    return render(request, "portal/home.html", {"page": page})


def _share_for(request, pk) -> ProviderShare:
    share = (ProviderShare.objects.select_related("provider")
             .filter(pk=pk, provider_id__in=provider_ids_for(request.user)).first())
    if share is None:
        raise not_theirs(request)
    return share


@portal_page
@contact_required
@require_http_methods(["GET", "POST"])
def shared(request, pk):
    share = _share_for(request, pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    done = None
    if share.is_open or request.method == "POST":
        done = submit(request, form, lambda d: services.send_reply(
            user=request.user, share_id=share.pk, text=d["text"], files=d["files"]),
            success="Your reply has been sent to the council", done_url=share.get_absolute_url())
    if done:
        return done
    replies = list(share.replies.select_related("sent_by").prefetch_related("files"))
    return render(request, "portal/shared.html", {
        "share": share, "form": form, "replies": replies, "documents": list(share.documents.all()),
    }, status=400 if form.errors else 200)


def _file_response(upload):
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    return FileResponse(handle, as_attachment=True, filename=upload.original_name, content_type=upload.content_type)


@portal_page
@contact_required
@require_safe
def shared_document(request, pk, document_id):
    share = _share_for(request, pk)
    document = SharedDocument.objects.filter(pk=document_id, share=share).first()
    if document is None:
        raise not_theirs(request)
    return _file_response(document)


@portal_page
@contact_required
@require_safe
def reply_file(request, pk, file_id):
    share = _share_for(request, pk)
    upload = ReplyFile.objects.filter(pk=file_id, reply__share=share).first()
    if upload is None:
        raise not_theirs(request)
    return _file_response(upload)
