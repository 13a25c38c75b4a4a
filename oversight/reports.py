"""Reports for the board: counts and times over whole months, from the records and their state history. Counts
only, no text. A count is still a fact about a concern (its source, when it came, its provider's services), so
the concern reports count only the concerns the viewer is cleared for (the clearance rule, ADR 0019); the case
reports count stages and dates, which everyone with a role sees on the cases list."""

import datetime
import math
import re
import statistics
from collections import Counter, defaultdict

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django_fsm_log.models import StateLog

from concerns.models import Concern
from concerns.selectors import with_clearance
from escalation.models import LADDER, CaseMeeting, EscalationCase, LadderMove, Level, Route


def months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    out, day = [], start.replace(day=1)
    while day <= end:
        out.append(day)
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return out


def _month(value) -> datetime.date:
    return (value.date() if isinstance(value, datetime.datetime) else value).replace(day=1)


def split_types(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"[|,;]", text or "") if p.strip()]
    return parts or ["Not recorded"]


CLEARED_NOTE = "Safeguarding-restricted concerns are counted only for people cleared for them."


def visible_concerns(user, start, end):
    """The concerns received in the period that this person is cleared to see."""
    return with_clearance(Concern.objects.filter(received_on__range=(start, end)), user).filter(cleared=True)


def concerns_by_source(start, end, user) -> dict:
    rows = (visible_concerns(user, start, end).annotate(month=TruncMonth("received_on"))
            .order_by().values("month", "source").annotate(n=Count("pk")))
    counts = {(_month(r["month"]), r["source"]): r["n"] for r in rows}
    sources = list(Concern.Source.choices)
    return {
        "key": "concerns-by-source", "title": "Concerns received each month, by source",
        "note": CLEARED_NOTE,
        "columns": ["Month"] + [label for _, label in sources] + ["Total"],
        "rows": [[m.strftime("%B %Y")] + [counts.get((m, s), 0) for s, _ in sources]
                 + [sum(counts.get((m, s), 0) for s, _ in sources)] for m in months(start, end)],
        "chart": "stacked",
    }


def concerns_by_service_type(start, end, user) -> dict:
    """A provider registered for several service types counts in each of them."""
    rows = (visible_concerns(user, start, end).annotate(month=TruncMonth("received_on"))
            .order_by().values("month", "provider__service_types").annotate(n=Count("pk")))
    counts: Counter = Counter()
    for r in rows:
        for kind in split_types(r["provider__service_types"]):
            counts[(_month(r["month"]), kind)] += r["n"]
    kinds = sorted({k for _, k in counts}, key=lambda k: (k == "Not recorded", k))
    return {
        "key": "concerns-by-service-type", "title": "Concerns received each month, by the provider's service type",
        "note": "A provider registered for several service types counts in each. " + CLEARED_NOTE,
        "columns": ["Month"] + kinds,
        "rows": [[m.strftime("%B %Y")] + [counts.get((m, k), 0) for k in kinds] for m in months(start, end)],
        "chart": "stacked",
    }


def _summary(days: list[int]) -> list:
    if not days:
        return [0, "", "", ""]
    days = sorted(days)
    return [len(days), statistics.median(days), days[math.ceil(0.9 * len(days)) - 1], days[-1]]


def time_to_first_meeting(start, end, user) -> dict:
    """From the day a concern was received to the first meeting that took it: the JQMM it went to, or the first
    meeting of its case on or after that day, whichever came first. A meeting still to come does not count."""
    first_case_meeting = (CaseMeeting.objects.filter(case=OuterRef("case"), meeting_date__gte=OuterRef("received_on"))
                          .order_by().values("case").annotate(d=Min("meeting_date")).values("d"))
    rows = (visible_concerns(user, start, end)
            .annotate(case_meeting=Subquery(first_case_meeting), jqmm_date=F("jqmm__meeting_date"))
            .values_list("source", "received_on", "jqmm_date", "case_meeting"))
    by_source, waiting = defaultdict(list), Counter()
    today = timezone.localdate()
    for source, received, jqmm, case_meeting in rows:
        dates = [d for d in (jqmm, case_meeting) if d and received <= d <= today]
        if dates:
            by_source[source].append((min(dates) - received).days)
        elif received <= today:
            waiting[source] += 1
    table_rows = []
    for source, label in list(Concern.Source.choices) + [("", "All sources")]:
        days = [d for s, ds in by_source.items() if source in ("", s) for d in ds]
        table_rows.append([label] + _summary(days) + [sum(waiting.values()) if not source else waiting[source]])
    return {
        "key": "time-to-first-meeting", "title": "Days from receiving a concern to its first meeting",
        "note": "The first meeting is the JQMM that took the concern or the first meeting of its case, whichever "
                "came first. Concerns with no meeting yet are counted, not timed. " + CLEARED_NOTE,
        "columns": ["Source", "Concerns met", "Median days", "90th percentile", "Longest", "No meeting yet"],
        "rows": table_rows, "chart": None,
    }


def time_at_levels(start, end, user=None) -> dict:
    """How long cases stayed at each ladder level: each stay that ended in the period (a move off the level, or
    the case ending under the Provider Failure Policy), and the stays still running at the end of it."""
    now = timezone.now()
    end_at = min(now, timezone.make_aware(datetime.datetime.combine(end, datetime.time.max)))
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    cases = EscalationCase.objects.filter(opened_at__lte=end_at).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start_at)).values_list("pk", "opened_at", "level", "closed_at")
    moves = defaultdict(list)
    for case_id, at, from_level, to_level in (LadderMove.objects.filter(case__in=[c[0] for c in cases])
                                              .order_by("moved_at", "pk")
                                              .values_list("case_id", "moved_at", "from_level", "to_level")):
        moves[case_id].append((at, from_level, to_level))
    ended, running = defaultdict(list), defaultdict(list)
    for case_id, opened_at, level, closed_at in cases:
        since, current = opened_at, (moves[case_id][0][1] if moves[case_id] else level)
        for at, _from, to in moves[case_id]:
            if at > end_at:
                break  # after the period: the stay was still running at its end
            if at >= start_at and current in LADDER:
                ended[current].append(_days(since, at))
            since, current = at, to
        if current not in LADDER or since > end_at:
            continue
        if closed_at and closed_at <= end_at:  # ended without a move off the ladder (Provider Failure Policy)
            if closed_at >= start_at:
                ended[current].append(_days(since, closed_at))
        else:
            running[current].append(_days(since, end_at))
    return {
        "key": "time-at-levels", "title": "Days at each ladder level",
        "note": "A stay ends when the case moves off the level (up, down or closed). Stays still running at the "
                "end of the period are counted and timed to that day separately.",
        "columns": ["Level", "Stays ended", "Median days", "90th percentile", "Longest", "Still running",
                    "Median days so far"],
        "rows": _stay_rows(LADDER, dict(Level.choices), ended, running),
        "chart": None,
    }


def _stay_rows(states, names, ended, running) -> list[list]:
    """A row a level or route state: the stays that ended (count, median, 90th percentile, longest), then the
    stays still running at the end of the period (count, median so far)."""
    return [[names[state]] + _summary(ended[state])
            + [len(running[state]), statistics.median(running[state]) if running[state] else ""]
            for state in states]


def _days(since, until) -> int:
    """Calendar days between two moments, in the council's time zone (as the other reports count)."""
    return (timezone.localtime(until).date() - timezone.localtime(since).date()).days


def _route_logs():
    route_transitions = {t.name for t in EscalationCase._meta.get_field("route").get_all_transitions(EscalationCase)}
    return StateLog.objects.filter(content_type=ContentType.objects.get_for_model(EscalationCase),
                                   transition__in=route_transitions)


def route_history(end) -> list[tuple]:
    """Every change of a suspension route up to the end of the period (or now): (case, when, from, to, transition),
    oldest first. Two reports read it; the board's page reads it once for both."""
    end_at = min(timezone.now(), timezone.make_aware(datetime.datetime.combine(end, datetime.time.max)))
    return list(_route_logs().filter(timestamp__lte=end_at).order_by("timestamp", "pk")
                .values_list("object_id", "timestamp", "source_state", "state", "transition"))


def time_on_routes(start, end, user=None, history=None) -> dict:
    """How long cases spent in each suspension-route state, from the state history of the route."""
    end_at = min(timezone.now(), timezone.make_aware(datetime.datetime.combine(end, datetime.time.max)))
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    logs = defaultdict(list)
    for object_id, at, source, state, _transition in (route_history(end) if history is None else history):
        logs[object_id].append((at, source, state))
    ended, running = defaultdict(list), defaultdict(list)
    for entries in logs.values():
        changes = []  # an extension of Route 1 stays in the state: one stay, not two
        for at, _source, state in entries:
            if not changes or changes[-1][1] != state:
                changes.append((at, state))
        for (at, state), after in zip(changes, changes[1:] + [None], strict=True):
            if state in (Route.NONE, Route.OVERSIGHT, Route.PROVIDER_FAILURE):
                continue  # the route is over
            if after is None:
                running[state].append(_days(at, end_at))
            elif after[0] > end_at:
                if at <= end_at:
                    running[state].append(_days(at, end_at))
            elif after[0] >= start_at:
                ended[state].append(_days(at, after[0]))
    shown = [Route.AT_RISK, Route.SUSPENSION_PROPOSED, Route.SUSPENSION_ENDORSED, Route.SUSPENDED,
             Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED]
    return {
        "key": "time-on-routes", "title": "Days in each suspension-route state",
        "note": "From the state history of each case's route. States still current at the end of the period are "
                "counted and timed to that day separately.",
        "columns": ["State", "Ended", "Median days", "90th percentile", "Longest", "Still current",
                    "Median days so far"],
        "rows": _stay_rows(shown, dict(Route.choices), ended, running),
        "chart": None,
    }


def suspensions(start, end, user=None, history=None) -> dict:
    """Suspensions that came into force (signed off) and were lifted (the lifting signed off), each month."""
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    counts = defaultdict(int)
    for _case, at, _source, _state, transition in (route_history(end) if history is None else history):
        if transition in ("suspend", "lift") and at >= start_at:
            counts[(_month(timezone.localtime(at)), transition)] += 1
    in_force = EscalationCase.objects.filter(route__in=[Route.SUSPENDED, Route.LIFTING_PROPOSED,
                                                        Route.LIFTING_ENDORSED]).count()
    return {
        "key": "suspensions", "title": "Suspensions of placements started and lifted each month",
        "note": f"{in_force} suspension{'s are' if in_force != 1 else ' is'} in force today.",
        "columns": ["Month", "Started", "Lifted"],
        "rows": [[m.strftime("%B %Y"), counts.get((m, "suspend"), 0), counts.get((m, "lift"), 0)]
                 for m in months(start, end)],
        "chart": "grouped",
    }


REPORTS = [concerns_by_source, concerns_by_service_type, time_to_first_meeting, time_at_levels, time_on_routes,
           suspensions]


BY_KEY = {report.__name__.replace("_", "-"): report for report in REPORTS}


def board_reports(start: datetime.date, end: datetime.date, user) -> list[dict]:
    history = route_history(end)
    return [report(start, end, user, history=history) if report in (time_on_routes, suspensions)
            else report(start, end, user) for report in REPORTS]


def whole_months(start: datetime.date, end: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Reports cover whole months: from the first of the start's month to the last day of the end's month (or
    today, for this month). Finer periods would let counts point at single concerns."""
    last = (end.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    return start.replace(day=1), min(last, max(timezone.localdate(), start))


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The last twelve months, this one included."""
    first = today.replace(day=1)
    for _ in range(11):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first, today
