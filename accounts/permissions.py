"""Role checks shared by every app. Each returns a bool; views turn False into 403."""

from . import roles


def is_staff_member(user) -> bool:
    return bool(roles.roles_of(user))


def can_manage_register(user) -> bool:
    return roles.has_role(user, roles.ADMINISTRATOR)


def can_manage_risk_matrix(user) -> bool:
    return roles.has_role(user, roles.ADMINISTRATOR)
