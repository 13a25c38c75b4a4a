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
    """A CQM decides every move on the ladder (django-fsm's permission(instance, user) order)."""
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


def can_record_sprg_decision(instance, user) -> bool:
    """An SPRG member records the group's decision."""
    return has_role(user, roles.SPRG_MEMBER)


def can_record_dmt_decision(instance, user) -> bool:
    """A DMT member records DMT's decision (not the report's author)."""
    return has_role(user, roles.DMT_MEMBER)


def can_sign_off(instance, user) -> bool:
    """The DASS signs, with an ICB colleague where jointly commissioned; no one signs twice or their own report."""
    return has_role(user, roles.DASS, roles.ICB_COLLEAGUE)


def can_write_report(user, case) -> bool:
    return has_role(user, roles.CQM)


def can_keep_route_records(user, case) -> bool:
    """Improvement plans, CQT visits and the notifications checklist: the CQT (officers and CQMs)."""
    return has_role(user, *CASEWORKERS)
