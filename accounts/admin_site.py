from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from . import mfa


class VerifiedAdminSite(admin.AdminSite):
    """Only staff whose session is verified by their second factor get in; there is no separate admin sign-in."""

    def has_permission(self, request):
        return super().has_permission(request) and mfa.is_verified(request)

    @method_decorator(login_not_required)
    def login(self, request, extra_context=None):
        next_url = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index")
        if not request.user.is_authenticated:
            return redirect_to_login(next_url)
        if not mfa.is_verified(request):
            return redirect(reverse("login_code") + "?" + urlencode({"next": next_url}))
        if self.has_permission(request):
            return redirect(next_url)
        raise PermissionDenied("Only administrators can use the administration pages.")
