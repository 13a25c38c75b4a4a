"""Reads for the placements pages: the episodes of the register (derived from the cases' route log), review
progress, and the lists. Every function here asks a fixed number of queries whatever the number of rows."""

import datetime
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from concerns.permissions import case_lines, cleared_case_ids, line_holds
from escalation.models import EscalationCase

from .models import ClosurePlan, PlacementReview, RegisterEntry, ReviewStatus

# The route log (django-fsm-log) names each transition of EscalationCase.route. An episode starts when the SPRG
# agrees 'at risk' status or goes straight to Route 2, and ends when the route returns to routine monitoring or
# the case ends under the Provider Failure Policy (docs/process.md section 4).
STARTS = {"agree_at_risk", "urgent_route2"}
ENDS = {"route1_fully_complied": "At-risk status lifted", "lift": "Suspension lifted",
        "provider_failed": "Provider Failure Policy"}
TO_RED = {"route1_not_complied", "urgent_route2"}
TO_GREEN = {"sufficient_progress"}
ROUTE_TRANSITIONS = STARTS | set(ENDS) | TO_RED | TO_GREEN | {
    "route1_extend", "dmt_endorse_suspension", "dmt_decline_suspension", "suspend", "dmt_endorse_lifting",
    "dmt_decline_lifting"}


class RouteColour:
    AMBER, RED, GREEN = "amber", "red", "green"
    LABELS = {"amber": "Route 1 (amber): at risk", "red": "Route 2 (red): suspension",
              "green": "Green: lifting the suspension"}
    CHOICES = list(LABELS.items())


@dataclass
class Episode:
    """One episode of the register: from 'at risk' (or urgent Route 2) to the end of the route."""

    case: EscalationCase
    start_log_id: int
    started_on: datetime.date
    at_risk_from: datetime.date | None = None
    at_risk_until: datetime.date | None = None
    suspended_from: datetime.date | None = None
    suspended_until: datetime.date | None = None
    ended_on: datetime.date | None = None
    outcome: str = "Ongoing"
    route: str = RouteColour.AMBER
    entry: RegisterEntry | None = None
    cleared: bool = False
    logs: list = field(default_factory=list, repr=False)

    @property
    def route_label(self) -> str:
        return RouteColour.LABELS[self.route]

    @property
    def is_current(self) -> bool:
        return self.ended_on is None

    @property
    def made_public(self) -> bool:
        return bool(self.entry and self.entry.made_public)

    def overlaps(self, year: int) -> bool:
        first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        return self.started_on <= last and (self.ended_on is None or self.ended_on >= first)


def _day(moment) -> datetime.date:
    return timezone.localtime(moment).date()


def _build(case, logs) -> list[Episode]:
    """The episodes of one case from its route log rows (oldest first)."""
    episodes, current = [], None
    for log in logs:
        day = _day(log.timestamp)
        if log.transition in STARTS and (current is None or current.ended_on is not None):
            current = Episode(case=case, start_log_id=log.pk, started_on=day)
            episodes.append(current)
        if current is None or current.ended_on is not None:
            continue  # a route log row outside any episode (cannot happen through the state machine)
        current.logs.append(log)
        if log.transition == "agree_at_risk" and current.at_risk_from is None:
            current.at_risk_from = day
        if log.transition in TO_RED and current.route == RouteColour.AMBER:
            current.route = RouteColour.RED
        if log.transition in TO_GREEN:
            current.route = RouteColour.GREEN
        if log.transition == "suspend":
            current.suspended_from = day
            if current.at_risk_from and current.at_risk_until is None:
                current.at_risk_until = day
        if log.transition in ENDS:
            current.ended_on, current.outcome = day, ENDS[log.transition]
            if current.suspended_from:
                current.suspended_until = day
            if current.at_risk_from and current.at_risk_until is None:
                current.at_risk_until = day
    return episodes


def _route_logs(case_ids=None):
    logs = StateLog.objects.filter(content_type=ContentType.objects.get_for_model(EscalationCase),
                                   transition__in=ROUTE_TRANSITIONS)
    if case_ids is not None:
        logs = logs.filter(object_id__in=case_ids)
    return logs.order_by("object_id", "timestamp", "id")


def episodes(user, *, case_ids=None) -> list[Episode]:
    """Every episode (of the given cases, or all), newest first, each with its register entry and whether `user`
    is cleared for its case. Four to six queries whatever the number of episodes."""
    logs = list(_route_logs(case_ids))
    ids = {log.object_id for log in logs}
    cases = {c.pk: c for c in EscalationCase.objects.filter(pk__in=ids).select_related("provider")}
    cleared = cleared_case_ids(user, list(cases.values()))
    entries = {e.episode_start_id: e for e in RegisterEntry.objects.filter(case_id__in=ids)}
    withhold_repeating_summaries(cases, entries.values())
    by_case: dict[int, list] = {}
    for log in logs:
        by_case.setdefault(log.object_id, []).append(log)
    found = []
    for case_id, case_logs in by_case.items():
        for episode in _build(cases[case_id], case_logs):
            episode.entry = entries.get(episode.start_log_id)
            episode.cleared = case_id in cleared
            found.append(episode)
    return sorted(found, key=lambda e: (e.started_on, e.start_log_id), reverse=True)


def withhold_repeating_summaries(cases: dict, entries) -> None:
    """A summary was checked when saved; a concern of its case may have become restricted since. Each entry whose
    case holds a restricted concern now is checked again, and `withheld` set if its summary repeats restricted
    text: the register then shows that it must be rewritten instead of the summary. (One query, and a few more
    for each such case, which are rare.)"""
    from concerns.models import Concern

    from .services import repeated_restricted_text, restricted_texts

    written = [e for e in entries if e.public_summary]
    for entry in entries:
        entry.withheld = False
    if not written:
        return
    # Restricted by lineage, as the clearance rule says: a case holds, or was reopened from a case that holds, a
    # restricted concern (one query a generation of reopened cases, then one for the concerns).
    parent = case_lines([cases[case_id] for case_id in {e.case_id for e in written}])
    holding = set(Concern.objects.filter(restricted=True, case_id__in=list(parent)).values_list("case_id", flat=True))
    texts: dict[int, list[str]] = {}
    for entry in written:
        if line_holds(entry.case_id, parent, holding):
            if entry.case_id not in texts:
                texts[entry.case_id] = restricted_texts(cases[entry.case_id])
            entry.withheld = repeated_restricted_text(entry.public_summary, texts[entry.case_id]) is not None


WITHHELD = "Withheld: it repeats restricted text, and a Contracts and Quality Manager must rewrite it"


def filter_episodes(found, *, year=None, route=None, made_public=None) -> list[Episode]:
    if year:
        found = [e for e in found if e.overlaps(year)]
    if route:
        found = [e for e in found if e.route == route]
    if made_public is not None:
        found = [e for e in found if e.made_public == made_public]
    return found


def episode_of(user, case, start_log_id: int) -> Episode | None:
    return next((e for e in episodes(user, case_ids=[case.pk]) if e.start_log_id == start_log_id), None)


def current_episode(case) -> Episode | None:
    """The case's episode still running (for its reviews), or None."""
    found = _build(case, list(_route_logs([case.pk])))
    return found[-1] if found and found[-1].is_current else None


def review_progress(case, *, episode_start_id=None) -> dict:
    """'N reviewed, M outstanding, K overdue' for a case's reviews (of one episode, or of the latest episode that
    has reviews), in one query."""
    rows = list(PlacementReview.objects.filter(case=case).values_list("episode_start_id", "status", "due_date"))
    if episode_start_id is None:
        episode_start_id = max((row[0] for row in rows), default=None)
    rows = [row for row in rows if row[0] == episode_start_id]
    today = timezone.localdate()
    outstanding = [due for _, status, due in rows if status == ReviewStatus.OUTSTANDING]
    return {"reviewed": len(rows) - len(outstanding), "outstanding": len(outstanding),
            "overdue": sum(1 for due in outstanding if due < today), "total": len(rows)}


def reviews_for(case, episode_start_id):
    return (PlacementReview.objects.filter(case=case, episode_start_id=episode_start_id)
            .select_related("placement__placing_authority", "assigned_to", "recorded_by")
            .order_by("placement__reference"))


def closure_plan_of(case) -> ClosurePlan | None:
    return ClosurePlan.objects.filter(case=case).select_related("provider", "opened_by", "closed_by").first()
