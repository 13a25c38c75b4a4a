"""Who may do what with concerns. Each check takes (user, concern) and returns a bool.

Read by the services (which refuse with PermissionDenied), by the FSM transitions (permission=)
and by templates (to show only the actions a person may take).
"""

from accounts import roles
from accounts.roles import has_role

CASEWORKERS = (roles.CONTRACT_OFFICER, roles.CQM)
CLEARED_ROLES = (roles.SAFEGUARDING_LEAD, roles.CQM)


def transition_perm(check):
    """Adapts a (user, concern) check to django-fsm's permission(instance, user) signature."""

    def permission(instance, user):
        return check(user, instance)

    permission.__name__ = check.__name__
    return permission


def can_see_concerns(user) -> bool:
    return bool(roles.roles_of(user))


def is_cleared(user, concern) -> bool:
    """May see a concern's details: always for unrestricted ones; cleared people for restricted ones."""
    if not can_see_concerns(user):
        return False
    if not concern.restricted:
        return True
    if has_role(user, *CLEARED_ROLES) or concern.logged_by_id == user.pk:
        return True
    return concern.shared_with.filter(pk=user.pk).exists()


def case_lineage_ids(case) -> list[int]:
    """The case and every case it was reopened from, newest first (a reopened case carries on the old one: its
    rationale quotes why, and what is recorded on it follows from the old case's concerns)."""
    cached = getattr(case, "_lineage_ids", None)
    if cached is None:
        from escalation.models import EscalationCase

        cached, parent = [case.pk], case.reopened_from_id
        while parent and parent not in cached:
            cached.append(parent)
            parent = EscalationCase.objects.filter(pk=parent).values_list("reopened_from_id", flat=True).first()
        case._lineage_ids = cached
    return cached


def restricted_concerns_of(case):
    """The safeguarding-restricted concerns linked to a case or to any case it was reopened from (the case then
    counts as restricted)."""
    from .models import Concern

    return Concern.objects.filter(restricted=True, case_id__in=case_lineage_ids(case))


def case_is_restricted(case) -> bool:
    """A case is restricted while it, or any case in its reopened-from chain, holds at least one
    safeguarding-restricted concern."""
    cached = getattr(case, "_is_restricted", None)
    if cached is None:
        cached = restricted_concerns_of(case).exists()
        case._is_restricted = cached
    return cached


def is_cleared_for_case(user, case) -> bool:
    """The one clearance rule for a case and everything recorded on it (meetings, minutes, documents, plans,
    reports, decisions' reasons, letters, notification copies, timeline): a person with a role sees it when
    neither the case nor any case it was reopened from holds a restricted concern, or when they are cleared for
    every restricted concern those cases hold. Uncleared people see only that the case exists and is restricted."""
    if not can_see_concerns(user):
        return False
    if has_role(user, *CLEARED_ROLES) or not case_is_restricted(case):
        return True
    return all(is_cleared(user, concern) for concern in restricted_concerns_of(case))


def can_log_concern(user, concern=None) -> bool:
    return has_role(user, *CASEWORKERS)


def can_add_evidence(user, concern) -> bool:
    return has_role(user, *CASEWORKERS, roles.SAFEGUARDING_LEAD) and is_cleared(user, concern)


def can_record_advice(user, concern) -> bool:
    return has_role(user, *CASEWORKERS, roles.SAFEGUARDING_LEAD) and is_cleared(user, concern)


def can_route(user, concern) -> bool:
    return has_role(user, *CASEWORKERS) and is_cleared(user, concern)


def can_start_monitoring(user, concern) -> bool:
    return has_role(user, *CASEWORKERS) and is_cleared(user, concern)


def can_assess_risk(user, concern) -> bool:
    return has_role(user, *CASEWORKERS) and is_cleared(user, concern)


def can_share(user, concern) -> bool:
    return concern.restricted and has_role(user, *CLEARED_ROLES)


def can_record_jqmm_outcome(user, concern) -> bool:
    """The JQMM chair's decision: a CQM (docs/process.md: CQMs own cases)."""
    return has_role(user, roles.CQM) and is_cleared(user, concern)


def can_schedule_jqmm(user) -> bool:
    return has_role(user, roles.CQM)


def can_link_to_case(user, concern) -> bool:
    """A CQM puts a concern marked for further action on an escalation case (CQMs own cases)."""
    return has_role(user, roles.CQM) and is_cleared(user, concern)
