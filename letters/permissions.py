from accounts import roles
from accounts.roles import has_role


def can_draft(user, case=None) -> bool:
    """Officers draft letters; CQMs draft and issue them (DOMAIN.md 'Who uses it')."""
    return has_role(user, roles.CONTRACT_OFFICER, roles.CQM)


def can_issue(user, letter=None) -> bool:
    return has_role(user, roles.CQM)


def can_read(user, letter=None) -> bool:
    return bool(roles.roles_of(user))


def can_manage_templates(user) -> bool:
    return has_role(user, roles.ADMINISTRATOR)
