from django.conf import settings

from . import mfa, roles
from .middleware import amount


def service(request):
    user = getattr(request, "user", None)
    verified = mfa.is_verified(request)
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
        "user_roles": sorted(roles.roles_of(user)) if user else [],
        "is_administrator": bool(user) and roles.has_role(user, roles.ADMINISTRATOR) and user.is_staff,
        # Signed in with both factors: the navigation, "Your account" and the session time-out warning.
        "fully_signed_in": verified,
        "session_idle_seconds": int(float(settings.SESSION_IDLE_MINUTES) * 60) if verified else None,
        "session_warning_seconds": int(float(settings.SESSION_WARNING_MINUTES) * 60) if verified else None,
        "session_warning_text": amount(settings.SESSION_WARNING_MINUTES, "minute"),
    }
