from django.conf import settings

from . import roles


def service(request):
    user = getattr(request, "user", None)
    return {
        "council_name": settings.COUNCIL_NAME,
        "service_name": settings.SERVICE_NAME,
        "user_roles": sorted(roles.roles_of(user)) if user else [],
        "is_administrator": bool(user) and roles.has_role(user, roles.ADMINISTRATOR) and user.is_staff,
    }
