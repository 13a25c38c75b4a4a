"""The suspension-of-placements routes (docs/process.md section 4): SPRG decisions, the CQM's reports, DMT decisions,
DASS/ICB sign-offs, the notifications checklist and CQT visits. One function per action; each locks the
case, checks role and segregation of duties, runs the guarded transition on `route`, writes the audit
event in the same transaction and queues side effects on commit."""

import datetime
import inspect

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from audit.services import record
from core import outbox
from core.dates import long_date, long_datetime
from core.evidence import atomic_with_files, store_file, validate_evidence
from core.rules import require
from deadlines import services as deadlines
from deadlines.models import Deadline
from providers import services as provider_services
from providers.models import PlacementStatus

from . import permissions as perms
from . import tasks
from .models import (
    ROUTE_IDLE,
    ActionPlan,
    CqtVisit,
    DecisionReport,
    EscalationCase,
    NotificationRecipient,
    PlanAction,
    Route,
    RouteNotification,
    SignOff,
    SprgDecision,
    SprgMeeting,
)
from .services import StaleCase, _locked, _require

ROUTE_1_WEEKS = 4  # docs/process.md, Route 1 step 5

SPRG_DECISIONS = {
    "agree_at_risk": "Agree 'at risk' status (Route 1 - Amber)",
    "route1_fully_complied": "Improvement plan fully complied with",
    "route1_extend": "Partly complied: extend the deadline",
    "route1_not_complied": "Not complied: proceed to Route 2 (Red)",
    "urgent_route2": "Urgent safety concerns: straight to Route 2 (Red)",
    "monthly_review": "Monthly progress review while suspended",
    "sufficient_progress": "Sufficient progress: Green route (lifting)",
    "provider_failed": "Provider failed to comply: Provider Failure Policy",
}


def one_month_after(day: datetime.date) -> datetime.date:
    """The same day next month, or the month's last day (31 Jan -> 28/29 Feb)."""
    import calendar

    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _check_route(case, expected_route):
    if expected_route and case.route != expected_route:
        raise StaleCase(f"Case {case.reference} changed while you were looking at it: it is now "
                        f"'{case.get_route_display()}'. Check the page and try again.")


def _transition(case, name, user, description):
    """Fire the named transition of the route state machine: its declared permission and guards, then the move."""
    method = getattr(case, name)
    if not can_proceed(method):
        raise TransitionNotAllowed(f"'{case.get_route_display()}' does not allow that decision now")
    _require(has_transition_perm(method, user), "You do not hold the role for that decision on this case")
    method(by=user, description=description)


def _set_placement(user, case, status: str, decision: str, on: datetime.date):
    provider_services.set_placement_status(user=user, provider_id=case.provider_id, status=status,
                                           decision=decision, case=case, on=on)


def _open_improvement_areas(case) -> list[PlanAction]:
    plan = case.improvement_plan()
    return list(plan.actions.exclude(status=PlanAction.Status.COMPLETE)) if plan else []


# --- SPRG decisions: one service each ---------------------------------------------------------------------------

def _sprg_start(*, user, case_id: int, meeting_date, members_present: str, notes: str, expected_route):
    """Check the common input, lock the case, check who decides, and find (or start) that day's SPRG meeting."""
    if meeting_date > timezone.localdate():
        raise ValidationError({"meeting_date": "Record the SPRG's decision once the meeting has taken place"})
    if not notes.strip():
        raise ValidationError({"notes": "Enter the SPRG's reasons"})
    case = _locked(case_id)
    require(perms.can_record_sprg_decision, user, case)
    _check_route(case, expected_route)
    meeting, _created = SprgMeeting.objects.get_or_create(
        meeting_date=meeting_date, defaults={"members_present": members_present.strip(), "recorded_by": user})
    if not meeting.members_present.strip() and not members_present.strip():
        raise ValidationError({"members_present": "Enter the members present"})
    return case, meeting


DEADLINE_KIND = {"route1": Deadline.Kind.ROUTE1_DECISION, "dmt": Deadline.Kind.DMT_CONSIDERATION,
                 "monthly": Deadline.Kind.SPRG_MONTHLY, "oversight": Deadline.Kind.OVERSIGHT_END}


def _sprg_recorded(*, user, case, meeting, decision: str, notes: str, open_areas_reason: str = "",
                   after=()) -> SprgDecision:
    """Save the case, the decision row, the deadlines it starts, the audit event and the notification."""
    case.save()
    entry = SprgDecision.objects.create(
        meeting=meeting, case=case, decision=SPRG_DECISIONS[decision], recorded_by=user,
        notes=notes + (f"\nOpen areas: {open_areas_reason}" if open_areas_reason else ""))
    plan = case.improvement_plan()
    if plan is not None:  # the SPRG considered progress on the improvement plan: that is its review (Route 1 step 4)
        deadlines.meet(case=case, kinds=[Deadline.Kind.PLAN_REVIEW], user=user, key_prefix=f"plan_review:{plan.pk}:")
    for what, due in after:
        deadlines.schedule(key=f"{what}:sprg:{entry.pk}", kind=DEADLINE_KIND[what], case=case, due_date=due)
    event = record(actor=user, obj=case, kind=f"sprg_{decision}", summary=f"SPRG: {SPRG_DECISIONS[decision]}",
                   changes={"meeting": str(meeting), "notes": notes, "route": case.route,
                            "route_deadline": case.route_deadline, "oversight_until": case.oversight_until,
                            "open_areas_reason": open_areas_reason})
    outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return entry


def _sprg_label(meeting, decision):
    return f"SPRG {long_date(meeting.meeting_date)}: {SPRG_DECISIONS[decision]}"


def agree_at_risk(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                  expected_route: str | None = None, new_deadline=None) -> SprgDecision:
    """Route 1 step 1: 'at risk' status; placements at risk; the compliance decision is due in four weeks, or on
    a later date the SPRG sets (after its meeting, and not in the past)."""
    if new_deadline is not None and (new_deadline <= meeting_date or new_deadline < timezone.localdate()):
        raise ValidationError({"new_deadline": "The Route 1 deadline must be after the SPRG meeting and not in the "
                                               "past: leave it empty for four weeks from the meeting"})
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        _transition(case, "agree_at_risk", user, notes)
        case.route_deadline = new_deadline or meeting_date + datetime.timedelta(weeks=ROUTE_1_WEEKS)
        _set_placement(user, case, PlacementStatus.AT_RISK, _sprg_label(meeting, "agree_at_risk"),
                       timezone.localdate())
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="agree_at_risk", notes=notes,
                              after=[("route1", case.route_deadline)])


def record_full_compliance(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                           oversight_until, expected_route: str | None = None) -> SprgDecision:
    """Route 1 step 5: the plan was fully complied with; routine monitoring with greater initial oversight."""
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        if not oversight_until or oversight_until <= timezone.localdate():
            raise ValidationError({"oversight_until": "Enter when greater initial oversight ends (a future date)"})
        _transition(case, "route1_fully_complied", user, notes)
        case.oversight_until, case.route_deadline = oversight_until, None
        deadlines.meet(case=case, kinds=[Deadline.Kind.ROUTE1_DECISION], user=user)
        _set_placement(user, case, PlacementStatus.OPEN, _sprg_label(meeting, "route1_fully_complied"),
                       timezone.localdate())
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="route1_fully_complied", notes=notes,
                              after=[("oversight", oversight_until)])


def current_route1_deadline(case):
    """The Route 1 decision date now in force: the case's, or the live deadline row's when someone extended that
    row from the deadlines list (whichever is later)."""
    live = Deadline.objects.filter(case=case, kind=Deadline.Kind.ROUTE1_DECISION, status__in=deadlines.LIVE) \
        .order_by("-due_date").values_list("due_date", flat=True).first()
    return max(filter(None, [case.route_deadline, live]), default=None)


def extend_route1_deadline(*, user, case_id: int, meeting_date, members_present: str, notes: str, new_deadline,
                           expected_route: str | None = None) -> SprgDecision:
    """Route 1 step 5: partly complied with, progress made; the decision is due on a later date."""
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        current = current_route1_deadline(case)
        if not new_deadline:
            raise ValidationError({"new_deadline": "Enter the new Route 1 deadline"})
        if current and new_deadline <= current:
            raise ValidationError({"new_deadline": f"The new Route 1 deadline must be after the current one, "
                                                   f"{long_date(current)}"})
        if new_deadline <= timezone.localdate():
            raise ValidationError({"new_deadline": "The new Route 1 deadline must be in the future"})
        _transition(case, "route1_extend", user, notes)
        case.route_deadline = new_deadline
        deadlines.move(case=case, kind=Deadline.Kind.ROUTE1_DECISION, user=user, new_due_date=new_deadline,
                       reason=f"SPRG extended the deadline: {notes}", key=f"route1:extended:{case.pk}:{new_deadline}")
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="route1_extend", notes=notes)


def _to_route2(*, user, case_id, decision, meeting_date, members_present, notes, expected_route) -> SprgDecision:
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        _transition(case, decision, user, notes)
        case.reports.filter(kind=DecisionReport.Kind.SUSPENSION).update(superseded=True)
        case.route_deadline = meeting_date + datetime.timedelta(weeks=1)  # DMT ordinarily within a week
        deadlines.meet(case=case, kinds=[Deadline.Kind.ROUTE1_DECISION], user=user)
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision=decision, notes=notes,
                              after=[("dmt", case.route_deadline)])


def record_non_compliance(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                          expected_route: str | None = None) -> SprgDecision:
    """Route 1 step 5: little or no progress; Route 2 (red): the CQM writes the suspension report for DMT."""
    return _to_route2(user=user, case_id=case_id, decision="route1_not_complied", meeting_date=meeting_date,
                      members_present=members_present, notes=notes, expected_route=expected_route)


def go_straight_to_route2(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                          expected_route: str | None = None) -> SprgDecision:
    """Urgent safety concerns: Route 2 (red) without Route 1."""
    return _to_route2(user=user, case_id=case_id, decision="urgent_route2", meeting_date=meeting_date,
                      members_present=members_present, notes=notes, expected_route=expected_route)


def record_monthly_review(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                          expected_route: str | None = None) -> SprgDecision:
    """Route 2 step 7: the SPRG's monthly look at progress while placements are suspended (no change of route)."""
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        if case.route != Route.SUSPENDED:
            raise TransitionNotAllowed("Monthly progress reviews are recorded while placements are suspended")
        case.route_deadline = one_month_after(meeting_date)
        deadlines.meet(case=case, kinds=[Deadline.Kind.SPRG_MONTHLY], user=user)
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="monthly_review", notes=notes,
                              after=[("monthly", case.route_deadline)])


def record_sufficient_progress(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                               open_areas_reason: str = "", expected_route: str | None = None) -> SprgDecision:
    """Route 2 step 7: sufficient progress; the Green route (the CQM writes the lifting report for DMT)."""
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        open_areas = _open_improvement_areas(case)
        if open_areas and not open_areas_reason.strip():
            raise ValidationError({"open_areas_reason": f"{len(open_areas)} improvement-plan action(s) are still "
                                   "open: record why lifting is recommended anyway"})
        _transition(case, "sufficient_progress", user, notes)
        case.reports.filter(kind=DecisionReport.Kind.LIFTING).update(superseded=True)
        case.route_deadline = meeting_date + datetime.timedelta(weeks=1)  # DMT considers the lifting report
        deadlines.meet(case=case, kinds=[Deadline.Kind.SPRG_MONTHLY], user=user)
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="sufficient_progress", notes=notes,
                              open_areas_reason=open_areas_reason, after=[("dmt", case.route_deadline)])


def record_provider_failure(*, user, case_id: int, meeting_date, members_present: str, notes: str,
                            expected_route: str | None = None) -> SprgDecision:
    """Route 2 step 7: the provider failed to comply; the Provider Failure Policy. The case ends, its live
    deadlines are waived and the provider is flagged on the register."""
    with transaction.atomic():
        case, meeting = _sprg_start(user=user, case_id=case_id, meeting_date=meeting_date,
                                    members_present=members_present, notes=notes, expected_route=expected_route)
        _transition(case, "provider_failed", user, notes)
        case.closed_at, case.closing_reason = timezone.now(), f"Provider Failure Policy: {notes}"
        case.route_deadline = None  # an ended case has no next decision due
        deadlines.waive_all_for_case(case=case, user=user, reason="Case ended under the Provider Failure Policy")
        provider_services.flag_provider_failure(user=user, provider_id=case.provider_id, case=case,
                                                on=timezone.localdate())
        return _sprg_recorded(user=user, case=case, meeting=meeting, decision="provider_failed", notes=notes)


SPRG_SERVICES = {
    "agree_at_risk": agree_at_risk, "route1_fully_complied": record_full_compliance,
    "route1_extend": extend_route1_deadline, "route1_not_complied": record_non_compliance,
    "urgent_route2": go_straight_to_route2, "monthly_review": record_monthly_review,
    "sufficient_progress": record_sufficient_progress, "provider_failed": record_provider_failure,
}


def record_sprg_decision(*, user, case_id: int, decision: str, meeting_date, members_present: str, notes: str,
                         expected_route: str | None = None, new_deadline=None, oversight_until=None,
                         open_areas_reason: str = "") -> SprgDecision:
    """The generic entry point for the SPRG form (one radio button per decision): passes each service only the
    details that decision takes."""
    service = SPRG_SERVICES.get(decision)
    if service is None:
        raise ValidationError({"decision": "Choose the SPRG's decision"})
    details = {"new_deadline": new_deadline, "oversight_until": oversight_until,
               "open_areas_reason": open_areas_reason}
    takes = inspect.signature(service).parameters
    return service(user=user, case_id=case_id, meeting_date=meeting_date, members_present=members_present,
                   notes=notes, expected_route=expected_route, **{k: v for k, v in details.items() if k in takes})


def create_improvement_plan(*, user, case_id: int, start_date, review_date) -> ActionPlan:
    """Route 1 step 3: the plan co-produced with the provider (areas, actions, owners, due dates)."""
    with transaction.atomic():
        case = _locked(case_id)
        require(perms.can_record_route_work, user, case)
        if case.route in ROUTE_IDLE:
            raise ValidationError({"start_date": "An improvement plan belongs to a running suspension route"})
        if case.improvement_plan() is not None:
            raise ValidationError({"start_date": "This case already has an improvement plan. Add actions to it "
                                                 "instead."})
        if review_date < start_date:
            raise ValidationError({"review_date": "The review date cannot be before the plan's start date"})
        plan = ActionPlan.objects.create(case=case, level=case.level, kind=ActionPlan.Kind.IMPROVEMENT,
                                         start_date=start_date, review_date=review_date, created_by=user)
        deadlines.schedule(key=f"plan_review:{plan.pk}:{review_date}", kind=Deadline.Kind.PLAN_REVIEW, case=case,
                           title="Review of the improvement plan", due_date=review_date)
        # Route 1 step 3 is done: the "improvement plan co-produced" deadline (started when the at-risk letter
        # was delivered) is met.
        deadlines.meet(case=case, kinds=[Deadline.Kind.IMPROVEMENT_PLAN], user=user)
        record(actor=user, obj=case, kind="improvement_plan_created", summary="Improvement plan recorded",
               changes={"start_date": start_date, "review_date": review_date})
    return plan


def write_report(*, user, case_id: int, body: str, conditional: bool = False, conditions=(), oversight_until=None,
                 expected_route: str | None = None) -> DecisionReport:
    """The CQM's internal report: recommending suspension (Route 2 step 1) or lifting (Green step 1)."""
    if not body.strip():
        raise ValidationError({"body": "Enter the report"})
    with transaction.atomic():
        case = _locked(case_id)
        require(perms.can_write_report, user, case)
        _check_route(case, expected_route)
        if case.route == Route.SUSPENSION_PROPOSED:
            kind = DecisionReport.Kind.SUSPENSION
            conditional, conditions, oversight_until = False, [], None
        elif case.route == Route.LIFTING_PROPOSED:
            kind = DecisionReport.Kind.LIFTING
            today = timezone.localdate()
            if conditional and not conditions:
                raise ValidationError({"conditions": "Enter each condition and its review date"})
            if any(c["review_date"] <= today for c in conditions):
                raise ValidationError({"conditions": "Condition review dates must be in the future"})
            if not oversight_until or oversight_until <= today:
                raise ValidationError({"oversight_until": "Enter when greater initial oversight ends (a future date)"})
        else:
            raise TransitionNotAllowed("A report is written when the SPRG recommends suspension or lifting")
        previous = case.reports.filter(kind=kind).order_by("-version").first()
        case.reports.filter(kind=kind, superseded=False).update(superseded=True)
        plan = case.improvement_plan()
        snapshot = [{"area": a.area_of_concern, "action": a.action, "owner": a.get_owner_display(),
                     "due_date": a.due_date.isoformat(), "status": a.get_status_display()}
                    for a in (plan.actions.all() if plan else [])]
        report = DecisionReport.objects.create(
            case=case, kind=kind, version=(previous.version + 1) if previous else 1, body=body,
            plan_snapshot=snapshot, conditional=conditional,
            conditions=[{"condition": c["condition"], "review_date": c["review_date"].isoformat()}
                        for c in conditions],
            oversight_until=oversight_until, author=user)
        record(actor=user, obj=case, kind="report_written", summary=f"{report} written",
               changes={"kind": kind, "version": report.version, "conditional": conditional,
                        "conditions": report.conditions, "body": body})
    return report


def _check_segregation(user, report: DecisionReport):
    """No one signs off their own recommendation; each sign-off is by a different person (docs/process.md)."""
    if report.author_id == user.pk:
        raise PermissionDenied("You wrote this report, so you cannot endorse or sign it off")
    if report.sign_offs.filter(signed_by=user).exists():
        raise PermissionDenied("You have already signed this decision in another capacity; "
                               "each sign-off must be a different person")


def _report_for(case, report_version):
    report = case.current_report()
    if report is None:
        raise TransitionNotAllowed("There is no report to decide on")
    if report_version and int(report_version) != report.version:
        raise StaleCase(f"The report was revised (now version {report.version}) after you opened it; read it again")
    return report


# --- DMT decisions: one service each ---------------------------------------------------------------------------

def _dmt_start(*, user, case_id: int, waiting: str, report_version, expected_route):
    """Lock the case, check who decides, that this report is the one waiting for DMT, and segregation of duties."""
    case = _locked(case_id)
    require(perms.can_record_dmt_decision, user, case)
    _check_route(case, expected_route)
    if case.route != waiting:
        raise TransitionNotAllowed("There is no report waiting for DMT"
                                   if case.route not in (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED)
                                   else f"The report waiting for DMT is not that one: '{case.get_route_display()}'")
    report = _report_for(case, report_version)
    _check_segregation(user, report)
    return case, report


def _dmt_recorded(*, user, case, report, endorsed: bool, rationale: str, return_to: str = "") -> SignOff:
    case.save()
    deadlines.meet(case=case, kinds=[Deadline.Kind.DMT_CONSIDERATION], user=user)
    sign_off = SignOff.objects.create(report=report, report_version=report.version, capacity=SignOff.Capacity.DMT,
                                      decision=SignOff.Decision.APPROVED if endorsed else SignOff.Decision.DECLINED,
                                      rationale=rationale, signed_by=user)
    if not endorsed:
        report.superseded = True
        report.save(update_fields=["superseded"])
    event = record(actor=user, obj=case, kind=f"dmt_{'endorsed' if endorsed else 'declined'}",
                   summary=f"DMT {'endorsed' if endorsed else 'did not endorse'} {report}"
                   + (f"; back to Route 1 ({return_to})" if return_to else ""),
                   changes={"report": report.pk, "report_version": report.version, "rationale": rationale,
                            "route": case.route, "return_to": return_to})
    outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return sign_off


def endorse_suspension_report(*, user, case_id: int, report_version: int | None, rationale: str = "",
                              expected_route: str | None = None) -> SignOff:
    """Route 2: DMT endorses the suspension report; the DASS (and an ICB colleague where relevant) signs next."""
    with transaction.atomic():
        case, report = _dmt_start(user=user, case_id=case_id, waiting=Route.SUSPENSION_PROPOSED,
                                  report_version=report_version, expected_route=expected_route)
        _transition(case, "dmt_endorse_suspension", user, rationale or "Endorsed")
        return _dmt_recorded(user=user, case=case, report=report, endorsed=True, rationale=rationale)


def decline_suspension_report(*, user, case_id: int, report_version: int | None, rationale: str,
                              return_to: str = "restart", new_deadline=None,
                              expected_route: str | None = None) -> SignOff:
    """Route 2 step 2: DMT does not endorse; back to the start of Route 1, or Route 1 monitoring extended."""
    with transaction.atomic():
        case, report = _dmt_start(user=user, case_id=case_id, waiting=Route.SUSPENSION_PROPOSED,
                                  report_version=report_version, expected_route=expected_route)
        if not rationale.strip():
            raise ValidationError({"rationale": "Enter DMT's rationale for not endorsing"})
        today = timezone.localdate()
        if return_to not in ("restart", "extend"):
            raise ValidationError({"return_to": "Choose where the case goes: the start of Route 1 or an "
                                                "extension of Route 1 monitoring"})
        if return_to == "extend":
            if not new_deadline or new_deadline <= today:
                raise ValidationError({"new_deadline": "Enter the extended Route 1 deadline (a future date)"})
            case.route_deadline = new_deadline
        else:
            case.route_deadline = today + datetime.timedelta(weeks=ROUTE_1_WEEKS)
        _transition(case, "dmt_decline_suspension", user, rationale)
        sign_off = _dmt_recorded(user=user, case=case, report=report, endorsed=False, rationale=rationale,
                                 return_to=return_to)
        deadlines.schedule(key=f"route1:dmt:{report.pk}", kind=Deadline.Kind.ROUTE1_DECISION, case=case,
                           due_date=case.route_deadline)
        return sign_off


def endorse_lifting_report(*, user, case_id: int, report_version: int | None, rationale: str = "",
                           expected_route: str | None = None) -> SignOff:
    """Green step 2: DMT endorses the lifting report; the DASS (and an ICB colleague where relevant) signs next."""
    with transaction.atomic():
        case, report = _dmt_start(user=user, case_id=case_id, waiting=Route.LIFTING_PROPOSED,
                                  report_version=report_version, expected_route=expected_route)
        _transition(case, "dmt_endorse_lifting", user, rationale or "Endorsed")
        return _dmt_recorded(user=user, case=case, report=report, endorsed=True, rationale=rationale)


def decline_lifting_report(*, user, case_id: int, report_version: int | None, rationale: str,
                           expected_route: str | None = None) -> SignOff:
    """Green step 2 refused: the suspension stays in force."""
    with transaction.atomic():
        case, report = _dmt_start(user=user, case_id=case_id, waiting=Route.LIFTING_PROPOSED,
                                  report_version=report_version, expected_route=expected_route)
        if not rationale.strip():
            raise ValidationError({"rationale": "Enter DMT's rationale for not endorsing"})
        _transition(case, "dmt_decline_lifting", user, rationale)
        return _dmt_recorded(user=user, case=case, report=report, endorsed=False, rationale=rationale)


def _route_now(case_id: int) -> str:
    """Which report a generic form is about; the chosen service checks it again under the lock."""
    return EscalationCase.objects.values_list("route", flat=True).get(pk=case_id)


def record_dmt_decision(*, user, case_id: int, endorsed: bool, rationale: str, report_version: int | None,
                        expected_route: str | None = None, return_to: str = "restart", new_deadline=None) -> SignOff:
    """The generic entry point for the DMT form: the report waiting (suspension or lifting) and the decision
    pick the service."""
    rationale = rationale or ""
    if _route_now(case_id) == Route.LIFTING_PROPOSED:
        service = endorse_lifting_report if endorsed else decline_lifting_report
        return service(user=user, case_id=case_id, report_version=report_version, rationale=rationale,
                       expected_route=expected_route)
    if endorsed:
        return endorse_suspension_report(user=user, case_id=case_id, report_version=report_version,
                                         rationale=rationale, expected_route=expected_route)
    return decline_suspension_report(user=user, case_id=case_id, report_version=report_version, rationale=rationale,
                                     return_to=return_to, new_deadline=new_deadline, expected_route=expected_route)


# --- DASS and ICB sign-off: one service each -------------------------------------------------------------------

def _sign(*, user, case_id: int, capacity: str, report_version, expected_route, waiting: str):
    """Lock the case, check the signatory's role, clearance and segregation; record this signature."""
    case = _locked(case_id)
    _require(capacity in perms.SIGNS_IN_CAPACITY, "Choose the capacity you sign in")
    require(perms.SIGNS_IN_CAPACITY[capacity], user, case)
    _check_route(case, expected_route)
    if case.route != waiting:
        raise TransitionNotAllowed("Sign-off comes after DMT has endorsed the report"
                                   if case.route not in (Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED)
                                   else f"The decision waiting for sign-off is not that one: "
                                        f"'{case.get_route_display()}'")
    if capacity == SignOff.Capacity.ICB and not case.jointly_commissioned:
        raise ValidationError({"capacity": "This case is not jointly commissioned: no ICB sign-off is needed"})
    report = _report_for(case, report_version)
    _check_segregation(user, report)
    try:
        with transaction.atomic():
            entry = SignOff.objects.create(report=report, report_version=report.version, capacity=capacity,
                                           decision=SignOff.Decision.APPROVED, signed_by=user)
    except IntegrityError as exc:
        raise ValidationError({"capacity": "This decision has already been signed in that capacity"}) from exc
    return case, report, entry


def _signed(*, user, case, report, entry, summary: str, stage: str | None) -> SignOff:
    """The audit event and notification; once the last signature is in (`stage`), the notifications checklist."""
    if stage:
        case.save()
        for recipient in NotificationRecipient.objects.filter(active=True):
            RouteNotification.objects.create(case=case, stage=stage, recipient=recipient, report=report)
    event = record(actor=user, obj=case, kind="signed_off", summary=summary,
                   changes={"capacity": entry.capacity, "report": report.pk, "report_version": report.version,
                            "route": case.route})
    outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return entry


def sign_off_suspension(*, user, case_id: int, capacity: str, report_version: int | None,
                        expected_route: str | None = None) -> SignOff:
    """Route 2 step 3: the DASS signs (an ICB colleague co-signs where jointly commissioned); with every signature
    in, placements are suspended and the SPRG reviews progress monthly."""
    with transaction.atomic():
        case, report, entry = _sign(user=user, case_id=case_id, capacity=capacity, report_version=report_version,
                                    expected_route=expected_route, waiting=Route.SUSPENSION_ENDORSED)
        summary = f"{entry.get_capacity_display()} signed {report}"
        if not report.required_capacities() <= report.signed_capacities():
            return _signed(user=user, case=case, report=report, entry=entry, summary=summary, stage=None)
        today = timezone.localdate()
        _transition(case, "suspend", user, summary)
        _set_placement(user, case, PlacementStatus.SUSPENDED, f"Suspension signed off ({report})", today)
        case.route_deadline = one_month_after(today)  # the SPRG considers progress monthly
        deadlines.schedule(key=f"monthly:report:{report.pk}", kind=Deadline.Kind.SPRG_MONTHLY, case=case,
                           due_date=case.route_deadline)
        return _signed(user=user, case=case, report=report, entry=entry, summary=summary + ": placements suspended",
                       stage=RouteNotification.Stage.SUSPENSION)


def sign_off_lifting(*, user, case_id: int, capacity: str, report_version: int | None,
                     expected_route: str | None = None) -> SignOff:
    """Green steps 2-5: the DASS signs (an ICB colleague co-signs where jointly commissioned); with every signature
    in, the suspension is lifted (with any conditions) and greater initial oversight begins."""
    with transaction.atomic():
        case, report, entry = _sign(user=user, case_id=case_id, capacity=capacity, report_version=report_version,
                                    expected_route=expected_route, waiting=Route.LIFTING_ENDORSED)
        summary = f"{entry.get_capacity_display()} signed {report}"
        if not report.required_capacities() <= report.signed_capacities():
            return _signed(user=user, case=case, report=report, entry=entry, summary=summary, stage=None)
        _transition(case, "lift", user, summary)
        case.route_deadline = None
        for i, condition in enumerate(report.conditions):
            deadlines.schedule(key=f"condition:{report.pk}:{i}", kind=Deadline.Kind.CONDITION_REVIEW, case=case,
                               title=f"Review of condition: {condition['condition']}"[:300],
                               due_date=datetime.date.fromisoformat(condition["review_date"]))
        if report.oversight_until:
            deadlines.schedule(key=f"oversight:report:{report.pk}", kind=Deadline.Kind.OVERSIGHT_END, case=case,
                               due_date=report.oversight_until)
        case.oversight_until = report.oversight_until
        status = PlacementStatus.CONDITIONS if report.conditional else PlacementStatus.OPEN
        _set_placement(user, case, status, f"Lifting signed off ({report})", timezone.localdate())
        return _signed(user=user, case=case, report=report, entry=entry, summary=summary + ": suspension lifted",
                       stage=RouteNotification.Stage.LIFTING)


def sign_off(*, user, case_id: int, capacity: str, report_version: int | None,
             expected_route: str | None = None) -> SignOff:
    """The generic entry point for the sign-off form: the decision waiting (suspension or lifting) picks it."""
    service = sign_off_lifting if _route_now(case_id) == Route.LIFTING_ENDORSED else sign_off_suspension
    return service(user=user, case_id=case_id, capacity=capacity, report_version=report_version,
                   expected_route=expected_route)


def mark_notification_done(*, user, notification_id: int, note: str = "", copy=None) -> RouteNotification:
    with atomic_with_files():
        item = RouteNotification.objects.select_related("recipient").get(pk=notification_id)
        case = _locked(item.case_id)
        item = RouteNotification.objects.select_for_update().get(pk=notification_id)
        require(perms.can_keep_route_records, user, case)
        if item.done_at:
            raise ValidationError({"note": f"{item.recipient} was already marked as notified by {item.done_by} "
                                           f"on {long_datetime(item.done_at)}"})
        item.done_by, item.done_at, item.note = user, timezone.now(), note
        if copy:
            try:
                validate_evidence(copy)
            except ValidationError as exc:
                raise ValidationError({"copy": exc.messages}) from exc
            item.copy_name = copy.name[:255]
            store_file(item.copy, copy.name, copy)
        item.save()
        record(actor=user, obj=case, kind="notification_done", summary=f"{item.recipient} notified",
               changes={"recipient": str(item.recipient), "stage": item.stage, "note": note,
                        "copy": item.copy_name})
    return item


def record_visit(*, user, case_id: int, visit_date, visited_by: str, findings: str) -> CqtVisit:
    """Route 2 step 6: regular CQT visits while the provider is suspended."""
    with transaction.atomic():
        case = _locked(case_id)
        require(perms.can_record_route_work, user, case)
        if case.route not in (Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED, Route.AT_RISK):
            raise ValidationError({"visit_date": "CQT visits are recorded while a provider is at risk or suspended"})
        if visit_date > timezone.localdate():
            raise ValidationError({"visit_date": "Record a visit once it has taken place"})
        visit = CqtVisit.objects.create(case=case, visit_date=visit_date, visited_by=visited_by, findings=findings,
                                        recorded_by=user)
        record(actor=user, obj=case, kind="cqt_visit_recorded", summary=str(visit),
               changes={"visit_date": visit_date, "visited_by": visited_by, "findings": findings})
    return visit


