"""What goes into a meeting pack: an agenda, then a section a provider (its status, risk history, plan progress,
deadlines and the decision needed). Read for the person who asked, with their clearance: a restricted case they
are not cleared for is listed by reference and stage only."""

import datetime

from django.db.models import Q

from deadlines.models import Deadline
from deadlines.services import LIVE
from escalation import permissions as case_perms
from escalation.models import LADDER, EscalationCase, Level, PlanAction, Route
from escalation.selectors import WAITING
from home.selectors import visible_assessments

RISK_ROWS = 6  # the newest risk assessments shown a provider

# The cases each pack covers, in the order the meeting takes them.
SPRG_ORDER = [Route.AT_RISK, Route.SUSPENDED, Route.SUSPENSION_PROPOSED, Route.SUSPENSION_ENDORSED,
              Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED, Route.OVERSIGHT, Route.NONE]
DMT_ORDER = [Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED, Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED,
             Route.SUSPENDED]


def cases_for(kind: str):
    """SPRG: every open case on a suspension route or in greater oversight, and cases at JIMP or SOSG (the
    SPRG may place them at risk). DMT: reports awaiting its decision, then sign-offs and suspensions in force."""
    cases = EscalationCase.objects.open().select_related("provider", "owner")
    if kind == "sprg":
        cases = cases.filter(~Q(route=Route.NONE) | Q(level__in=[Level.JIMP, Level.SOSG]))
        order = SPRG_ORDER
    else:
        cases = cases.filter(route__in=DMT_ORDER)
        order = DMT_ORDER
    rank = {route: i for i, route in enumerate(order)}
    step = {level: i for i, level in enumerate(LADDER)}
    return sorted(cases, key=lambda c: (rank.get(c.route, 99), -step.get(c.level, 0), c.provider.name, c.pk))


def decision_needed(kind: str, case) -> str:
    waiting = WAITING.get(case.route)
    if waiting and (waiting[0] == kind or (kind == "dmt" and waiting[0] == "sign")):
        return waiting[1] if waiting[0] == kind else f"For information: {waiting[1].lower()}"
    if kind == "sprg" and case.route == Route.NONE:
        return ("Consider whether to place the provider at risk of suspension (Route 1): the case is at "
                f"{case.level.upper()}")
    if case.route == Route.OVERSIGHT:
        return f"For information: greater initial oversight until {case.oversight_until:%d %B %Y}" \
            if case.oversight_until else "For information: greater initial oversight"
    return "For information"


def plan_progress(plan, on: datetime.date) -> dict | None:
    if plan is None:
        return None
    actions = list(plan.actions.all().order_by("due_date", "pk"))
    done = sum(a.status == PlanAction.Status.COMPLETE for a in actions)
    overdue = [a for a in actions if a.status != PlanAction.Status.COMPLETE and a.due_date < on]
    return {"plan": plan, "actions": actions, "total": len(actions), "done": done, "overdue": len(overdue),
            "percent": int(100 * done / len(actions)) if actions else 0}


def section(kind: str, case, user, on: datetime.date) -> dict:
    """One provider's part of the pack."""
    decision = decision_needed(kind, case)
    base = {"case": case, "provider": case.provider, "decision": decision,
            "for_information": decision.startswith("For information")}
    if not case_perms.can_read_case(user, case):
        return base | {"cleared": False}
    risk = list(visible_assessments(user, case.provider)[:RISK_ROWS])
    latest_sprg = case.sprg_decisions.select_related("meeting").order_by("-meeting__meeting_date", "-pk").first()
    report = case.current_report() if case.route in DMT_ORDER else None
    return base | {
        "cleared": True,
        "risk": risk,
        "risk_change": _risk_change(risk),
        "improvement": plan_progress(case.improvement_plan(), on),
        "plan": plan_progress(case.current_plan(), on),
        "deadlines": list(case.deadlines.filter(status__in=LIVE).order_by("due_date", "pk")[:12]),
        "deadlines_total": case.deadlines.filter(status__in=LIVE).count(),
        "latest_sprg": latest_sprg,
        "report": report,
        "sign_offs": list(report.sign_offs.select_related("signed_by")) if report else [],
        "visits": list(case.visits.order_by("-visit_date")[:3]),
    }


def _risk_change(risk) -> str:
    if len(risk) < 2:
        return ""
    newest, before = risk[0].level_rank, risk[1].level_rank
    return "rising" if newest > before else "falling" if newest < before else "unchanged"


def overdue_deadlines(cases, on: datetime.date) -> int:
    return Deadline.objects.filter(case__in=[c.pk for c in cases], status__in=LIVE, due_date__lt=on).count()
