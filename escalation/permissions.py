"""Who may do what on an escalation case. Checks take (user, case) and return a bool."""

from accounts import roles
from accounts.roles import has_role

CASEWORKERS = (roles.CONTRACT_OFFICER, roles.CQM)


def can_see_cases(user) -> bool:
    return bool(roles.roles_of(user))


def can_open_case(user, case=None) -> bool:
    """CQMs own cases (DOMAIN.md 'Who uses it')."""
    return has_role(user, roles.CQM)


def can_move_case(instance, user) -> bool:
    """Every move on the ladder is a CQM's decision. (django-fsm's permission(instance, user) order.)"""
    return has_role(user, roles.CQM)


def can_record_meeting(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open


def can_manage_plan(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open


def can_record_review(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open


def can_link_concern(user, case) -> bool:
    return has_role(user, roles.CQM) and case.is_open


def can_reopen(user, case) -> bool:
    return has_role(user, roles.CQM) and not case.is_open
