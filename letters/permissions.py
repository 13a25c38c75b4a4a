from accounts import roles
from accounts.roles import has_role


def _cleared(user, case) -> bool:
    from concerns.permissions import is_cleared_for_case

    return case is None or is_cleared_for_case(user, case)


def can_draft(user, case=None) -> bool:
    """Officers draft letters; CQMs draft and issue them. On a case holding safeguarding-restricted concerns,
    only people cleared for them (the letter may quote them)."""
    return has_role(user, roles.CONTRACT_OFFICER, roles.CQM) and _cleared(user, case)


def can_issue(user, letter=None) -> bool:
    return has_role(user, roles.CQM) and _cleared(user, letter.case if letter is not None else None)


def can_read(user, letter=None) -> bool:
    """Staff with a role; where the case holds safeguarding-restricted concerns, only people cleared for
    every one of them (the same rule as the case: concerns.permissions.is_cleared_for_case)."""
    if not roles.roles_of(user):
        return False
    return _cleared(user, letter.case if letter is not None else None)


def can_manage_templates(user) -> bool:
    return has_role(user, roles.ADMINISTRATOR)
