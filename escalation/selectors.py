import datetime

from django.urls import reverse
from django.utils import timezone
from django_fsm import can_proceed

from concerns.permissions import cleared_case_ids

from . import permissions as perms
from . import route_services
from .models import (
    EXTEND_HINT,
    LADDER,
    MEETING_NAME,
    OUTCOME_HINTS,
    EscalationCase,
    Level,
    Route,
    latest_meeting_here,
    remember_for_page,
    remember_reports,
)
from .services import is_skip


def open_cases():
    return EscalationCase.objects.open().select_related("provider", "owner")


def last_activity():
    """When anything was last recorded on the case: its newest audit event (every change writes one)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField, OuterRef, Subquery
    from django.db.models.functions import Cast

    from audit.models import Event

    return Subquery(Event.objects.filter(content_type=ContentType.objects.get_for_model(EscalationCase),
                                         object_id=Cast(OuterRef("pk"), CharField())).order_by("-at").values("at")[:1])


CASE_ORDER = {
    "newest": ["-opened_at", "-pk"], "oldest": ["opened_at", "pk"], "provider": ["provider__name", "pk"],
    "level": ["-level_step", "level_since", "pk"], "longest": ["level_since", "pk"],
}


def filtered_cases(*, status="open", level="", route="", owner=None, quiet_days=None, sort="newest"):
    """The cases list's filters: open (default), ended or all; a ladder level; a route state; an owner; and
    "no activity for N days" (nothing recorded on the case since); in the order asked for (CASE_ORDER)."""
    cases = EscalationCase.objects.select_related("provider", "owner")
    cases = {"open": cases.open(), "ended": cases.closed()}.get(status, cases)
    if level:
        cases = cases.filter(level=level)
    if route:
        cases = cases.filter(route=route)
    if owner:
        cases = cases.filter(owner=owner)
    if quiet_days is not None:
        since = timezone.now() - datetime.timedelta(days=quiet_days)
        cases = cases.annotate(last_activity=last_activity()).filter(last_activity__lt=since)
    if sort == "level":
        from django.db.models import Case, IntegerField, Value, When

        cases = cases.annotate(level_step=Case(*[When(level=lv, then=Value(i)) for i, lv in enumerate(LADDER, 1)],
                                               default=Value(0), output_field=IntegerField()))
    return cases.order_by(*CASE_ORDER.get(sort, CASE_ORDER["newest"]))


def available_moves(case, user) -> list[dict]:
    """The ladder moves this user may take now: source state, guards and role all satisfied."""
    if not perms.can_move_case(user, case):
        return []
    moves = []
    for transition in case.get_available_level_transitions():
        moves.append({"name": transition.name, "label": transition.custom.get("label", transition.name),
                      "kind": transition.custom.get("kind"), "target": transition.target,
                      "skip": is_skip(case, transition.name)})
    order = [value for value, _ in Level.choices]
    return sorted(moves, key=lambda m: (m["kind"] != "escalate", order.index(m["target"])))


def blocked_moves(case, user) -> list[str]:
    """Moves that exist from this level but whose guard is not met yet, with what is missing."""
    from .services import _why_not

    if not perms.can_move_case(user, case) or not case.is_open:
        return []
    available = {t.name for t in case.get_available_level_transitions()}
    out = []
    for transition in case.get_all_level_transitions():
        if transition.source == case.level and transition.name not in available and \
                not can_proceed(getattr(case, transition.name)):
            out.append(f"{transition.custom.get('label')}: {_why_not(case, transition.name)}")
    return sorted(set(out))


def next_step(case) -> str:
    """In words, what the meeting on record at the case's current level allows next (shown to everyone cleared
    for the case): "The last PPM on 3 November 2026 agreed to extend the timescales. The case stays at this
    level: ..." Empty for an ended case."""
    if not case.is_open:
        return ""
    meeting = latest_meeting_here(case)
    name = MEETING_NAME[case.level]
    if meeting is None:
        return (f"No {name} has been recorded since the case reached this level. Record one with its outcome "
                "before the case is closed or moved (unless a step is skipped, with a rationale).")
    if not meeting.outcome:
        return (f"{meeting.outcome_sentence}. Record a later {name} with its outcome before the case is closed or "
                "moved.")
    return f"{meeting.outcome_sentence}. {OUTCOME_HINTS.get((case.level, meeting.outcome), EXTEND_HINT)}."


def ladder(case) -> list[dict]:
    return [{"level": lv, "step": i + 1, "current": case.level == lv} for i, lv in enumerate(LADDER)]


def sprg_choices(case) -> list[tuple[str, str]]:
    """The decisions the SPRG may record on the case now (the route transitions its state allows)."""
    names = {t.name for t in case.get_available_route_transitions()}
    choices = [(k, v) for k, v in route_services.SPRG_DECISIONS.items() if k in names]
    if case.route == Route.SUSPENDED:
        choices.insert(0, ("monthly_review", route_services.SPRG_DECISIONS["monthly_review"]))
    return choices


# What each route state waits for, who decides it, and how My work names it.
WAITING = {
    Route.AT_RISK: ("sprg", "SPRG decision on Route 1: complied, partly complied or not complied"),
    Route.SUSPENDED: ("sprg", "SPRG monthly progress review while suspended"),
    Route.SUSPENSION_PROPOSED: ("dmt", "Endorse or decline the suspension report"),
    Route.LIFTING_PROPOSED: ("dmt", "Endorse or decline the lifting report"),
    Route.SUSPENSION_ENDORSED: ("sign", "Sign off the suspension"),
    Route.LIFTING_ENDORSED: ("sign", "Sign off the lifting of the suspension"),
}
ACTION_URLS = {"sprg": "escalation:sprg_decision", "dmt": "escalation:dmt_decision", "sign": "escalation:sign_off"}


def decisions_waiting(user) -> list[dict]:
    """The suspension-route decisions waiting on this person, soonest due first: a case is listed when the case
    page would offer them the decision (route_actions: their role, their clearance, not the report's author, not
    signed already). Only the route states their roles decide are read."""
    deciders = {"sprg": perms.is_sprg_member(user, None), "dmt": perms.is_dmt_member(user, None),
                "sign": perms.is_dass(user, None) or perms.is_icb_colleague(user, None)}
    states = [state for state, (kind, _) in WAITING.items() if deciders[kind]]
    if not states:
        return []
    # A fixed number of queries however many cases wait (the menu counts them on every page): the cases with
    # their current reports and sign-offs, and the clearance of all of them at once.
    cases = _with_current_reports(EscalationCase.objects.filter(route__in=states).select_related("provider")
                                  .order_by("pk"))
    cleared_case_ids(user, cases)
    items = []
    for case in cases:
        kind, what = WAITING[case.route]
        if route_decisions(case, user, case.current_report())[kind]:
            items.append({"case": case, "what": what, "due": case.next_decision_due,
                          "url": reverse(ACTION_URLS[kind], args=[case.pk])})
    return sorted(items, key=lambda item: (item["due"] is None, item["due"] or datetime.date.max, item["case"].pk))


def _with_current_reports(cases) -> list:
    """The cases, each remembering its reports that are not superseded, with their sign-offs (remember_reports).
    On PostgreSQL the reports and sign-offs come inside the cases' own query, gathered as JSON by subqueries, so
    the menu's count costs one query for the cases; elsewhere they are prefetched (two more)."""
    from django.db import connections
    from django.db.models import OuterRef, Prefetch

    from .models import DecisionReport, SignOff

    if connections[cases.db].vendor != "postgresql":
        cases = list(cases.prefetch_related(Prefetch("reports", queryset=DecisionReport.objects.filter(
            superseded=False).prefetch_related("sign_offs"))))
        for case in cases:
            remember_reports(case, case.reports.all())
        return cases
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models.functions import JSONObject

    sign_off_fields = ["id", "report_id", "report_version", "capacity", "decision", "signed_by_id"]
    report_fields = ["id", "case_id", "kind", "version", "superseded", "author_id"]
    sign_offs = SignOff.objects.filter(report=OuterRef("pk")).order_by("signed_at", "pk").values(
        json=JSONObject(**{f: f for f in sign_off_fields}))
    reports = DecisionReport.objects.filter(case=OuterRef("pk"), superseded=False).annotate(
        sign_off_list=ArraySubquery(sign_offs)).values(
        json=JSONObject(sign_offs="sign_off_list", **{f: f for f in report_fields}))
    cases = list(cases.annotate(report_list=ArraySubquery(reports)))
    for case in cases:
        built = []
        for row in case.report_list:
            report = DecisionReport(**{f: row[f] for f in report_fields})
            report.case = case
            done = SignOff.objects.none()  # a queryset already read, as prefetch_related leaves it
            done._result_cache = [SignOff(**{f: s[f] for f in sign_off_fields}) for s in row["sign_offs"] or []]
            done._prefetch_done = True
            report._prefetched_objects_cache = {"sign_offs": done}
            built.append(report)
        remember_reports(case, built)
    return cases


def route_decisions(case, user, report) -> dict:
    """The SPRG, DMT and sign-off decisions this user may record now: the case page's buttons and My work's
    "Decisions waiting for you" both ask this, so they cannot disagree."""
    waiting_dmt = case.route in (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED)
    waiting_sign = case.route in (Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED)
    signed = {s.signed_by_id for s in report.sign_offs.all()} if report else set()
    needs = (report.required_capacities() - report.signed_capacities()) if (report and waiting_sign) else set()
    can_sign = waiting_sign and user.pk not in signed and report.author_id != user.pk and any(
        perms.SIGNS_IN_CAPACITY[capacity](user, case) for capacity in needs if capacity in perms.SIGNS_IN_CAPACITY)
    return {
        "sprg": case.is_open and perms.can_record_sprg_decision(user, case) and bool(sprg_choices(case)),
        "dmt": waiting_dmt and report is not None and perms.can_record_dmt_decision(user, case)
        and report.author_id != user.pk,
        "sign": bool(can_sign),
        "needs": sorted(needs),
    }


REPORT_WAITS = (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED, Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED)


def route_actions(case, user) -> dict:
    """Which suspension-route actions this user may take now (buttons on the case page)."""

    # Only a report waiting for DMT or for sign-off has buttons: other states need not read the reports.
    report = case.current_report() if case.route in REPORT_WAITS else None
    waiting_dmt = case.route in (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED)
    return {
        **route_decisions(case, user, report),
        "report": waiting_dmt and perms.can_write_report(user, case),
        "improvement_plan": perms.can_record_route_work(user, case)
        and case.route not in (Route.NONE, Route.OVERSIGHT) and case.improvement_plan() is None,
        "visit": perms.can_record_route_work(user, case)
        and case.route in (Route.AT_RISK, Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED),
        "notifications": perms.can_keep_route_records(user, case),
        "report_obj": report,
    }




def case_deadlines(case):
    """A case's deadlines: those still running first (soonest first), then the rest by due date."""
    from django.db.models import Case, IntegerField, Value, When

    from deadlines.services import LIVE

    return (case.deadlines.select_related("case")
            .annotate(running=Case(When(status__in=LIVE, then=Value(0)), default=Value(1), output_field=IntegerField()))
            .order_by("running", "due_date", "pk"))


def with_case_clearance(user, items, case_of=lambda item: item.case):
    """Set `cleared` on each item (deadlines, SPRG decisions...): may this person see the free text recorded
    with it? The rule is the case's (perms.can_read_case, which counts the restricted concerns of the case and
    of every case it was reopened from), worked out for all the cases at once (cleared_case_ids)."""
    items = list(items)
    readable = cleared_case_ids(user, {case_of(item).pk: case_of(item) for item in items}.values())
    for item in items:
        item.cleared = case_of(item).pk in readable
    return items


# The case's record is drawn on several pages (CASE_TABS), so that each reads a few kinds of record, whatever the
# size of the case: the overview (where it stands, what can be done now, its deadlines and details), meetings and
# visits, action plans, suspension decisions and letters, what was shared with the provider, the timeline and
# every deadline.
CASE_TABS = [
    ("overview", "Overview", "escalation:detail"),
    ("meetings", "Meetings and visits", "escalation:meetings"),
    ("plans", "Action plans", "escalation:plans"),
    ("decisions", "Decisions and letters", "escalation:decisions"),
    ("shared", "Provider portal", "escalation:shared"),
    ("timeline", "Timeline", "escalation:timeline"),
    ("deadlines", "Deadlines", "escalation:deadlines"),
]
CASE_PAGE_DEADLINES = 10  # the overview's; the deadlines page has them all


def case_tabs(case, current: str) -> list[dict]:
    return [{"name": name, "label": label, "url": reverse(url, args=[case.pk]), "current": name == current}
            for name, label, url in CASE_TABS]


def case_overview(case, user) -> dict:
    """Where the case stands and what this person can do now. The meetings, plans and reports the moves' guards
    ask about are read only if this person may take a step (remember_for_page), and the deadlines' clearance is
    the case's, already known."""
    if not perms.can_read_case(user, case):
        # Only that the case exists and where it stands: no free text, minutes, documents, reasons or letters.
        return {"case": case, "cleared": False, "ladder": ladder(case), "concerns": case.concerns.all()}
    remember_for_page(case)
    deadlines = list(case_deadlines(case)[:CASE_PAGE_DEADLINES + 1])  # one more than shown: is there more?
    for deadline in deadlines:
        deadline.cleared = True
    return {
        **case_header(case, "overview"),
        "ladder": ladder(case),
        "moves": available_moves(case, user),
        "blocked": blocked_moves(case, user),
        "next_step": next_step(case),
        "final": "" if perms.case_may_reopen(user, case) else perms.case_may_reopen.refusal,
        "concerns": case.concerns.all(),
        "route": route_actions(case, user),
        "deadlines": deadlines,
        "deadlines_shown": CASE_PAGE_DEADLINES,
        "can_change_deadlines": perms.can_move_case(user, case),
        "level_names": dict(Level.choices),
        "can": {
            "meeting": perms.can_record_meeting(user, case),
            "plan": perms.can_manage_plan(user, case) and case.level != Level.QA,
            "link": perms.can_link_concern(user, case),
            "reopen": perms.can_reopen(user, case) and not hasattr(case, "reopened_as"),
        },
    }


def case_header(case, tab: str) -> dict:
    """What every page of a case's record shows above its own part: the header and the pages' navigation."""
    return {"case": case, "cleared": True, "tab": tab, "tabs": case_tabs(case, tab)}


def case_meetings(case, user) -> dict:
    return {
        **case_header(case, "meetings"),
        "meetings": case.meetings.prefetch_related("documents").select_related("recorded_by"),
        "ladder_moves": case.ladder_moves.select_related("moved_by", "meeting"),
        "visits": case.visits.all(),
        "level_names": dict(Level.choices),
        "can_record_meeting": perms.can_record_meeting(user, case),
    }


def case_plans(case, user) -> dict:
    plans = list(case.plans.prefetch_related("actions__progress_notes__written_by", "reviews__recorded_by"))
    remember_for_page(case, plans=plans)
    return {
        **case_header(case, "plans"),
        "plans": plans,
        "route": {"notifications": perms.can_keep_route_records(user, case)},
        "can": {
            "plan": perms.can_manage_plan(user, case) and case.level != Level.QA,
            "review": perms.can_record_review(user, case),
        },
    }


def case_decisions(case, user) -> dict:
    reports = list(case.reports.prefetch_related("sign_offs__signed_by").select_related("author"))
    remember_for_page(case, reports=reports)
    return {
        **case_header(case, "decisions"),
        "reports": reports,
        "route": {"notifications": perms.can_keep_route_records(user, case)},
        "route_notifications": case.route_notifications.select_related("recipient", "done_by", "report"),
        "sprg_decisions": case.sprg_decisions.select_related("meeting", "recorded_by"),
        "letters": case.letters.all(),
    }
