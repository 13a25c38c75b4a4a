"""The portal's boundary: a second wall around the providers' portal, after SecondFactorMiddleware.

- A signed-in person with a portal sign-in (providers.contacts.has_portal_account) asking for anything outside
  /portal/ (static files aside) gets 404: the staff pages do not exist for them. One whose every contact row has
  been deactivated is signed out at their next request.
- A signed-in person without one (staff) asking for a portal page other than the portal's sign-in gets 404.

Each refusal is the one line core.middleware writes for every 4xx, with reason=portal_boundary. The pages behind
the wall still check for themselves (contact_required, provider_ids_for): the wall is never the only rule.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from providers.contacts import has_portal_account, provider_ids_for

PORTAL_PREFIX = "/portal/"
ACCESS_ENDED = "You were signed out: your access to the providers' portal has ended. Ask your contact at the council."
SIGN_IN = "portal:sign_in"
SECOND_FACTOR_STEPS = ("portal:sign_in_code", "portal:set_up")


def not_found(request, reason: str | None = None):
    """The 404 page: the portal's own for a provider contact or someone not signed in, the staff one for staff."""
    if reason and not getattr(request, "_refusal_reason", None):
        request._refusal_reason = reason
    staff = request.user.is_authenticated and not has_portal_account(request.user)
    return render(request, "404.html" if staff else "portal/not_found.html", status=404)


class PortalBoundaryMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        user = getattr(request, "user", None)
        in_portal = path.startswith(PORTAL_PREFIX)
        if in_portal:  # every portal page, the replies app's too, signs in through the portal's own steps
            request.second_factor_steps = SECOND_FACTOR_STEPS
        if user is not None and user.is_authenticated and not path.startswith(settings.STATIC_URL):
            if has_portal_account(user):
                if not provider_ids_for(user):  # every contact row deactivated: their access has ended now
                    logout(request)
                    messages.info(request, ACCESS_ENDED)
                    return redirect(SIGN_IN)
                if not in_portal:
                    return not_found(request, "portal_boundary")
            elif in_portal and path != reverse("portal:sign_in"):
                return not_found(request, "portal_boundary")
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Someone not signed in asking for a portal page goes to the portal's sign-in (before
        LoginRequiredMiddleware, which would send them to the staff one)."""
        if (request.path_info.startswith(PORTAL_PREFIX) and not request.user.is_authenticated
                and getattr(view_func, "login_required", True)):
            if request.method in ("GET", "HEAD"):
                return redirect_to_login(request.get_full_path(), SIGN_IN)
            return redirect(SIGN_IN)
        return None

    def process_exception(self, request, exception):
        """A 404 inside the portal is drawn with the portal's own page (no staff menu, no staff links)."""
        if isinstance(exception, Http404) and request.path_info.startswith(PORTAL_PREFIX):
            return not_found(request)
        return None
