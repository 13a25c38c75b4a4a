from accounts import roles
from accounts.roles import has_role


def can_draft(user, case=None) -> bool:
    """Officers draft letters; CQMs draft and issue them (DOMAIN.md 'Who uses it')."""
    return has_role(user, roles.CONTRACT_OFFICER, roles.CQM)


def can_issue(user, letter=None) -> bool:
    return has_role(user, roles.CQM)


def can_read(user, letter=None) -> bool:
    """Staff with a role; where the case holds safeguarding-restricted concerns, only people cleared for
    every one of them (the letter may quote them)."""
    if not roles.roles_of(user):
        return False
    if letter is None:
        return True
    from concerns.permissions import is_cleared

    return all(is_cleared(user, concern) for concern in letter.case.concerns.filter(restricted=True))


def can_manage_templates(user) -> bool:
    return has_role(user, roles.ADMINISTRATOR)
