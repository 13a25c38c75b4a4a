"""Who may do what on an escalation case. Checks take (user, case) and return a bool."""

from accounts import roles
from accounts.roles import has_role
from concerns.permissions import case_is_restricted, is_cleared_for_case

CASEWORKERS = (roles.CONTRACT_OFFICER, roles.CQM)


def can_see_cases(user) -> bool:
    return bool(roles.roles_of(user))


def can_read_case(user, case) -> bool:
    """May see what is recorded on the case (and act on it): the one clearance rule, for cases. A case holding a
    safeguarding-restricted concern is open only to people cleared for every restricted concern it holds;
    everyone else with a role sees only that the case exists (reference, provider, level, route, dates)."""
    return is_cleared_for_case(user, case)


def is_restricted(case) -> bool:
    return case_is_restricted(case)


def can_open_case(user, case=None) -> bool:
    """CQMs own cases (docs/process.md 'Who does what')."""
    return has_role(user, roles.CQM)


def can_move_case(instance, user) -> bool:
    """A CQM decides every move on the ladder (django-fsm's permission(instance, user) order)."""
    return has_role(user, roles.CQM)


def can_record_meeting(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open and can_read_case(user, case)


def can_manage_plan(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open and can_read_case(user, case)


def can_record_review(user, case) -> bool:
    return has_role(user, *CASEWORKERS) and case.is_open and can_read_case(user, case)


def can_link_concern(user, case) -> bool:
    return has_role(user, roles.CQM) and case.is_open and can_read_case(user, case)


def can_reopen(user, case) -> bool:
    return has_role(user, roles.CQM) and not case.is_open and can_read_case(user, case)


def can_record_sprg_decision(instance, user) -> bool:
    """An SPRG member records the group's decision; on a restricted case, only once the concerns are shared
    with them (the decision's reasons would quote them)."""
    return has_role(user, roles.SPRG_MEMBER) and can_read_case(user, instance)


def can_record_dmt_decision(instance, user) -> bool:
    """A DMT member records DMT's decision (not the report's author); cleared for a restricted case."""
    return has_role(user, roles.DMT_MEMBER) and can_read_case(user, instance)


def can_sign_off(instance, user) -> bool:
    """The DASS signs, with an ICB colleague where jointly commissioned; no one signs twice or their own report.
    On a restricted case the signatory must be cleared (the report quotes the concerns)."""
    return has_role(user, roles.DASS, roles.ICB_COLLEAGUE) and can_read_case(user, instance)


def can_write_report(user, case) -> bool:
    return has_role(user, roles.CQM) and can_read_case(user, case)


def can_keep_route_records(user, case) -> bool:
    """Improvement plans, CQT visits and the notifications checklist: the CQT (officers and CQMs)."""
    return has_role(user, *CASEWORKERS) and can_read_case(user, case)
