"""Who may do what with concerns, as rules (core.rules): each is called `rule(user, concern)` and returns a bool.

Read by the services (which refuse with PermissionDenied), and by the pages (to show only the actions a person
may take). Whether a concern is open is a data condition (`Concern.is_open`), asked beside these.
"""

from accounts import roles
from accounts.permissions import (
    has_a_role,
    is_caseworker,
    is_cqm,
    is_safeguarding_lead,
)
from accounts.roles import has_role
from core.rules import permission, when

CLEARED_ROLES = (roles.SAFEGUARDING_LEAD, roles.CQM)
RESTRICTED_CASE_MESSAGE = ("This case holds safeguarding-restricted concerns you are not cleared for. Ask a Contracts "
                           "and Quality Manager or a safeguarding lead to share them with you.")

can_see_concerns = has_a_role


@when("they are cleared for the concern (when it is safeguarding-restricted)",
      refusal="This concern is safeguarding-restricted. Ask a Contracts and Quality Manager or a safeguarding lead "
              "to share it with you.")
def is_cleared(user, concern) -> bool:
    """May see a concern's details: always for unrestricted ones; cleared people for restricted ones."""
    if concern is None or not can_see_concerns(user):
        return False
    if not concern.restricted:
        return True
    if has_role(user, *CLEARED_ROLES) or concern.logged_by_id == user.pk:
        return True
    return concern.shared_with.filter(pk=user.pk).exists()


@when("the concern is safeguarding-restricted")
def concern_is_restricted(user, concern) -> bool:
    return concern is not None and concern.restricted


def case_lineage_ids(case) -> list[int]:
    """The case and every case it was reopened from, newest first (a reopened case carries on the old one: its
    rationale quotes why, and what is recorded on it follows from the old case's concerns)."""
    cached = getattr(case, "_lineage_ids", None)
    if cached is None:
        cases = type(case)._default_manager
        cached, parent = [case.pk], case.reopened_from_id
        while parent and parent not in cached:
            cached.append(parent)
            parent = cases.filter(pk=parent).values_list("reopened_from_id", flat=True).first()
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


@when("they are cleared for the case (when it holds safeguarding-restricted concerns)",
      refusal=RESTRICTED_CASE_MESSAGE)
def is_cleared_for_case(user, case) -> bool:
    """The one clearance rule for a case and everything recorded on it (meetings, minutes, documents, plans,
    reports, decisions' reasons, letters, notification copies, timeline): a person with a role sees it when
    neither the case nor any case it was reopened from holds a restricted concern, or when they are cleared for
    every restricted concern those cases hold. Uncleared people see only that the case exists and is restricted."""
    if case is None or not can_see_concerns(user):
        return False
    known = getattr(case, "_cleared_for", {}).get(user.pk)  # worked out for a whole list by cleared_case_ids
    if known is not None:
        return known
    if has_role(user, *CLEARED_ROLES) or not case_is_restricted(case):
        return True
    return all(is_cleared(user, concern) for concern in restricted_concerns_of(case))


def case_lines(cases) -> dict:
    """{case pk: the pk of the case it was reopened from, or None} for these cases and every case they were
    reopened from, in one query a generation of reopened cases."""
    cases = [case for case in cases if case is not None]
    if not cases:
        return {}
    manager = type(cases[0])._default_manager
    parent = {case.pk: case.reopened_from_id for case in cases}
    todo = {p for p in parent.values() if p and p not in parent}
    while todo:
        rows = list(manager.filter(pk__in=todo).values_list("pk", "reopened_from_id"))
        parent.update(rows)
        todo = {p for _, p in rows if p and p not in parent}
    return parent


def line_holds(case_pk, parent: dict, marked: set) -> bool:
    """Is the case, or a case it was reopened from (`parent`, from case_lines), in `marked`?"""
    seen = set()
    while case_pk and case_pk not in seen:
        if case_pk in marked:
            return True
        seen.add(case_pk)
        case_pk = parent.get(case_pk)
    return False


def cleared_case_ids(user, cases) -> set[int]:
    """is_cleared_for_case for many cases at once, in a fixed number of queries (one a generation of reopened
    cases, then one for the restricted concerns): the pks of the cases this person may read. The same rule:
    a case is readable unless it, or a case it was reopened from, holds a restricted concern they are not cleared
    for."""
    from .models import Concern

    cases = [case for case in cases if case is not None]
    if not cases or not can_see_concerns(user):
        return set()
    if has_role(user, *CLEARED_ROLES):
        return {case.pk for case in cases}
    parent = case_lines(cases)
    restricted = Concern.objects.filter(restricted=True, case_id__in=list(parent))
    uncleared = set(restricted.exclude(logged_by_id=user.pk).exclude(shared_with=user)
                    .values_list("case_id", flat=True))
    readable = set()
    for case in cases:
        if not line_holds(case.pk, parent, uncleared):
            readable.add(case.pk)
        # Remembered on this instance for this person: the rules asked of it later in the request need no query.
        case._cleared_for = {**getattr(case, "_cleared_for", {}), user.pk: case.pk in readable}
    return readable


can_log_concern = permission("Log a concern", is_caseworker)
can_add_evidence = permission("Add evidence to a concern", (is_caseworker | is_safeguarding_lead) & is_cleared)
can_record_advice = permission("Record safeguarding advice on a concern",
                               (is_caseworker | is_safeguarding_lead) & is_cleared)
can_route = permission("Route a concern (to a JQMM, or urgent same-day monitoring)", is_caseworker & is_cleared)
can_start_monitoring = permission("Start monitoring a concern", is_caseworker & is_cleared)
can_assess_risk = permission("Record a risk assessment", is_caseworker & is_cleared)
can_share = permission("Share a restricted concern with a colleague",
                       (is_safeguarding_lead | is_cqm) & concern_is_restricted)
can_schedule_jqmm = permission("Schedule a JQMM", is_cqm)
can_record_jqmm_outcome = permission("Record a JQMM outcome (the chair)", is_cqm & is_cleared)
#: Opening a case is the next step for a concern marked for further action (and is offered on a provider's page).
can_open_case = permission("Open an escalation case", is_cqm)
can_link_to_case = permission("Put a concern marked for further action on a case", is_cqm & is_cleared)


@when("it is marked for further action and not on an open case",
      refusal="Only a concern marked for further action, and not on an open case, can be closed here: a concern on "
              "a case closes when its case closes.")
def further_action_without_open_case(user, concern) -> bool:
    if concern is None or concern.state != concern.State.FURTHER_ACTION:
        return False
    return concern.case_id is None or not concern.case.is_open


can_close_concern = permission("Close a concern dealt with without a case", is_cqm & is_cleared
                               & further_action_without_open_case)
