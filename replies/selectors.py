"""Queries for the replies pages: each runs a fixed number of queries, whatever the number of rows."""

from django.db.models import F, Prefetch, Q

from concerns.models import Concern
from concerns.permissions import case_is_restricted, cleared_case_ids
from escalation.models import EscalationCase, PlanAction
from providers.contacts import provider_ids_for

from .models import ActionUpdate, Appeal
from .participation import in_force_on
from .services import SUSPENSION_IN_FORCE, appeal_window_closes


def _contact_cases(user):
    return EscalationCase.objects.open().filter(provider_id__in=provider_ids_for(user)).select_related("provider")


def actions_for_contact(user) -> list[dict]:
    """The open actions on the open cases about this contact's providers, grouped by case: for each case, whether
    it is restricted (then the action's words are not shown in the portal) and its actions, each with its latest
    update from the provider (one query for the cases, one for the actions with their updates, one a case for
    the restriction: a contact has a case a provider at most)."""
    cases = {case.pk: case for case in _contact_cases(user)}
    if not cases:
        return []
    updates = Prefetch("provider_updates", queryset=ActionUpdate.objects.order_by("-submitted_at", "-id"))
    actions = (PlanAction.objects.filter(plan__case_id__in=list(cases))
               .filter(Q(plan__kind="improvement") | Q(plan__level=F("plan__case__level")))
               .exclude(status=PlanAction.Status.COMPLETE)
               .select_related("plan").prefetch_related(updates).order_by("plan__case_id", "due_date", "id"))
    _remember_restriction(cases.values())
    grouped = {}
    for action in actions:
        action.latest_update = next(iter(action.provider_updates.all()), None)
        grouped.setdefault(action.plan.case_id, []).append(action)
    return [{"case": cases[pk], "restricted": case_is_restricted(cases[pk]), "actions": items}
            for pk, items in grouped.items()]


def _remember_restriction(cases):
    """case_is_restricted for the contact's cases in one query: a case holds a restricted concern or not. A case
    reopened from another is left to case_is_restricted itself, which follows the chain."""
    cases = list(cases)
    restricted = set(Concern.objects.filter(restricted=True, case_id__in=[c.pk for c in cases])
                     .values_list("case_id", flat=True))
    for case in cases:
        if case.reopened_from_id is None:
            case._is_restricted = case.pk in restricted


def appealable_for_contact(user) -> list[dict]:
    """The suspensions in force at this contact's providers, each with when it came into force, when appeals
    close, and whether an appeal against it waits or was decided (a decision is appealed against once)."""
    out = []
    for case in _contact_cases(user).filter(route__in=SUSPENSION_IN_FORCE).prefetch_related("reports__sign_offs"):
        reports = sorted((r for r in case.reports.all() if r.kind == "suspension" and not r.superseded),
                         key=lambda r: r.version, reverse=True)
        report = reports[0] if reports else None
        in_force = in_force_on(report) if report else None
        if in_force is None:
            continue
        out.append({"case": case, "decision": report, "in_force_on": in_force,
                    "closes_on": appeal_window_closes(in_force)})
    appealed = dict(Appeal.objects.filter(decision__in=[row["decision"] for row in out])
                    .order_by("decision_id", "lodged_at", "pk").values_list("decision_id", "status"))  # newest wins
    for row in out:
        row["open_appeal"] = appealed.get(row["decision"].pk) == Appeal.Status.OPEN
        row["decided_appeal"] = appealed.get(row["decision"].pk) not in (None, Appeal.Status.OPEN)
    return out


def appeals_for_contact(user):
    return (Appeal.objects.filter(case__provider_id__in=provider_ids_for(user))
            .select_related("case__provider").order_by("-lodged_at", "-id"))


# --- staff ---------------------------------------------------------------------------------------------------

def waiting_for_council(user) -> tuple[list, list]:
    """Pending updates and open appeals on the cases this person is cleared for (uncleared cases are left out)."""
    updates = list(ActionUpdate.objects.filter(status=ActionUpdate.Status.PENDING)
                   .select_related("case__provider", "action__plan").order_by("submitted_at", "id")[:500])
    appeals = list(Appeal.objects.filter(status=Appeal.Status.OPEN).select_related("case__provider")
                   .order_by("decide_by", "id")[:500])
    cases = {row.case.pk: row.case for row in updates + appeals}
    cleared = cleared_case_ids(user, list(cases.values()))
    return [u for u in updates if u.case_id in cleared], [a for a in appeals if a.case_id in cleared]


def replies_on_case(case) -> dict:
    """For the case page: the provider's updates waiting for an answer, and every appeal on the case."""
    updates = list(case.action_updates.filter(status=ActionUpdate.Status.PENDING)
                   .select_related("action").order_by("submitted_at", "id"))
    # A case that never started a suspension route (route "none") can hold no appeal: no need to ask.
    appeals = [] if case.route == "none" else list(case.appeals.select_related("decided_by", "letter")
                                                   .order_by("-lodged_at", "-id"))
    return {"updates": updates, "appeals": appeals}
