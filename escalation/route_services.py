"""The suspension-of-placements routes (docs/process.md section 4): SPRG decisions, the CQM's reports, DMT decisions,
DASS/ICB sign-offs, the notifications checklist and CQT visits. One function per action; each locks the
case, checks role and segregation of duties, runs the guarded transition on `route`, writes the audit
event in the same transaction and queues side effects on commit."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from accounts import roles
from accounts.roles import has_role
from audit.services import record
from core import outbox
from core.evidence import atomic_with_files, store_file, validate_evidence
from deadlines import services as deadlines
from deadlines.models import Deadline
from providers.models import PlacementStatus, Provider

from . import permissions as perms
from . import tasks
from .models import (
    ActionPlan,
    CqtVisit,
    DecisionReport,
    NotificationRecipient,
    PlanAction,
    Route,
    RouteNotification,
    SignOff,
    SprgDecision,
    SprgMeeting,
)
from .services import StaleCase, _locked, _require, require_case_clearance

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


def _one_month_after(day: datetime.date) -> datetime.date:
    """The same day next month, or the month's last day (31 Jan -> 28/29 Feb)."""
    import calendar

    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _check_route(case, expected_route):
    if expected_route and case.route != expected_route:
        raise StaleCase(f"Case {case.reference} changed while you were looking at it: it is now "
                        f"'{case.get_route_display()}'. Check the page and try again.")


def _transition(case, name, user, description):
    method = getattr(case, name)
    if not can_proceed(method):
        raise TransitionNotAllowed(f"'{case.get_route_display()}' does not allow that decision now")
    method(by=user, description=description)


def _set_placement(provider: Provider, status: str, decision: str, case, on: datetime.date):
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    provider.placement_status = status
    provider.placement_status_since = on
    provider.placement_decision = decision[:300]
    provider.placement_case = case
    provider.save(update_fields=["placement_status", "placement_status_since", "placement_decision",
                                 "placement_case", "updated_at"])


def _open_improvement_areas(case) -> list[PlanAction]:
    plan = case.improvement_plan()
    return list(plan.actions.exclude(status=PlanAction.Status.COMPLETE)) if plan else []


def record_sprg_decision(*, user, case_id: int, decision: str, meeting_date, members_present: str, notes: str,
                         expected_route: str | None = None, new_deadline=None, oversight_until=None,
                         open_areas_reason: str = "") -> SprgDecision:
    """One SPRG decision about one provider, recorded against that day's SPRG meeting."""
    if decision not in SPRG_DECISIONS:
        raise ValidationError({"decision": "Choose the SPRG's decision"})
    today = timezone.localdate()
    if meeting_date > today:
        raise ValidationError({"meeting_date": "Record the SPRG's decision once the meeting has taken place"})
    if not notes.strip():
        raise ValidationError({"notes": "Enter the SPRG's reasons"})
    with transaction.atomic():
        case = _locked(case_id)
        _require(perms.can_record_sprg_decision(case, user), "Only SPRG members record the group's decisions")
        _check_route(case, expected_route)
        meeting, created = SprgMeeting.objects.get_or_create(
            meeting_date=meeting_date, defaults={"members_present": members_present.strip(), "recorded_by": user})
        if not meeting.members_present.strip() and not members_present.strip():
            raise ValidationError({"members_present": "Enter the members present"})
        provider = case.provider
        label = SPRG_DECISIONS[decision]
        after = []  # deadlines this decision starts, created once the decision row exists
        if decision == "monthly_review":
            if case.route != Route.SUSPENDED:
                raise TransitionNotAllowed("Monthly progress reviews are recorded while placements are suspended")
            case.route_deadline = _one_month_after(meeting_date)
            deadlines.meet(case=case, kinds=[Deadline.Kind.SPRG_MONTHLY], user=user)
            after.append(("monthly", case.route_deadline))
        elif decision == "agree_at_risk":
            _transition(case, decision, user, notes)
            case.route_deadline = new_deadline or meeting_date + datetime.timedelta(weeks=ROUTE_1_WEEKS)
            _set_placement(provider, PlacementStatus.AT_RISK, f"SPRG {meeting_date:%-d %b %Y}: {label}", case, today)
            after.append(("route1", case.route_deadline))
        elif decision == "route1_extend":
            if not new_deadline or (case.route_deadline and new_deadline <= case.route_deadline) \
                    or new_deadline <= today:
                raise ValidationError({"new_deadline": "Enter a new deadline later than the current one"})
            _transition(case, decision, user, notes)
            case.route_deadline = new_deadline
            deadlines.move(case=case, kind=Deadline.Kind.ROUTE1_DECISION, user=user, new_due_date=new_deadline,
                           reason=f"SPRG extended the deadline: {notes}",
                           key=f"route1:extended:{case.pk}:{new_deadline}")
        elif decision == "route1_fully_complied":
            if not oversight_until or oversight_until <= today:
                raise ValidationError({"oversight_until": "Enter when greater initial oversight ends (a future date)"})
            _transition(case, decision, user, notes)
            case.oversight_until, case.route_deadline = oversight_until, None
            deadlines.meet(case=case, kinds=[Deadline.Kind.ROUTE1_DECISION], user=user)
            after.append(("oversight", oversight_until))
            _set_placement(provider, PlacementStatus.OPEN, f"SPRG {meeting_date:%-d %b %Y}: {label}", case, today)
        elif decision in ("route1_not_complied", "urgent_route2"):
            _transition(case, decision, user, notes)
            case.reports.filter(kind=DecisionReport.Kind.SUSPENSION).update(superseded=True)
            case.route_deadline = meeting_date + datetime.timedelta(weeks=1)  # DMT ordinarily within a week
            deadlines.meet(case=case, kinds=[Deadline.Kind.ROUTE1_DECISION], user=user)
            after.append(("dmt", case.route_deadline))
        elif decision == "sufficient_progress":
            open_areas = _open_improvement_areas(case)
            if open_areas and not open_areas_reason.strip():
                raise ValidationError({"open_areas_reason": f"{len(open_areas)} improvement-plan action(s) are still "
                                       "open: record why lifting is recommended anyway"})
            _transition(case, decision, user, notes)
            case.reports.filter(kind=DecisionReport.Kind.LIFTING).update(superseded=True)
            case.route_deadline = meeting_date + datetime.timedelta(weeks=1)  # DMT considers the lifting report
            deadlines.meet(case=case, kinds=[Deadline.Kind.SPRG_MONTHLY], user=user)
            after.append(("dmt", case.route_deadline))
        elif decision == "provider_failed":
            _transition(case, decision, user, notes)
            case.closed_at, case.closing_reason = timezone.now(), f"Provider Failure Policy: {notes}"
            Deadline.objects.filter(case=case, status__in=deadlines.LIVE).update(
                status=Deadline.Status.WAIVED, status_reason="Case ended under the Provider Failure Policy",
                status_changed_by=user, status_changed_at=timezone.now())
            provider = Provider.objects.select_for_update().get(pk=provider.pk)
            provider.provider_failure_flagged_on = today
            provider.save(update_fields=["provider_failure_flagged_on", "updated_at"])
        case.save()
        entry = SprgDecision.objects.create(meeting=meeting, case=case, decision=label,
                                            notes=notes + (f"\nOpen areas: {open_areas_reason}" if open_areas_reason
                                                           else ""), recorded_by=user)
        kinds = {"route1": Deadline.Kind.ROUTE1_DECISION, "dmt": Deadline.Kind.DMT_CONSIDERATION,
                 "monthly": Deadline.Kind.SPRG_MONTHLY, "oversight": Deadline.Kind.OVERSIGHT_END}
        for what, due in after:
            deadlines.schedule(key=f"{what}:sprg:{entry.pk}", kind=kinds[what], case=case, due_date=due)
        event = record(actor=user, obj=case, kind=f"sprg_{decision}", summary=f"SPRG: {label}",
                       changes={"meeting": str(meeting), "notes": notes, "route": case.route,
                                "route_deadline": case.route_deadline, "oversight_until": case.oversight_until,
                                "open_areas_reason": open_areas_reason})
        outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return entry


def create_improvement_plan(*, user, case_id: int, start_date, review_date) -> ActionPlan:
    """Route 1 step 3: the plan co-produced with the provider (areas, actions, owners, due dates)."""
    with transaction.atomic():
        case = _locked(case_id)
        _require(perms.can_keep_route_records(user, case) and case.is_open)
        if case.route in (Route.NONE, Route.OVERSIGHT, Route.PROVIDER_FAILURE):
            raise ValidationError({"start_date": "An improvement plan belongs to a running suspension route"})
        if review_date < start_date:
            raise ValidationError({"review_date": "The review date cannot be before the plan's start date"})
        plan = ActionPlan.objects.create(case=case, level=case.level, kind=ActionPlan.Kind.IMPROVEMENT,
                                         start_date=start_date, review_date=review_date, created_by=user)
        deadlines.schedule(key=f"plan_review:{plan.pk}:{review_date}", kind=Deadline.Kind.PLAN_REVIEW, case=case,
                           title="Review of the improvement plan", due_date=review_date)
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
        _require(perms.can_write_report(user, case), "Only a Contracts and Quality Manager writes the report")
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


def record_dmt_decision(*, user, case_id: int, endorsed: bool, rationale: str, report_version: int | None,
                        expected_route: str | None = None, return_to: str = "restart", new_deadline=None) -> SignOff:
    """DMT considers the report (ordinarily within a week of the SPRG decision)."""
    with transaction.atomic():
        case = _locked(case_id)
        _require(perms.can_record_dmt_decision(case, user), "Only DMT members record DMT's decision")
        _check_route(case, expected_route)
        if case.route not in (Route.SUSPENSION_PROPOSED, Route.LIFTING_PROPOSED):
            raise TransitionNotAllowed("There is no report waiting for DMT")
        report = _report_for(case, report_version)
        _check_segregation(user, report)
        if not endorsed and not rationale.strip():
            raise ValidationError({"rationale": "Enter DMT's rationale for not endorsing"})
        suspension = report.kind == DecisionReport.Kind.SUSPENSION
        if endorsed:
            name = "dmt_endorse_suspension" if suspension else "dmt_endorse_lifting"
        else:
            name = "dmt_decline_suspension" if suspension else "dmt_decline_lifting"
            if suspension:
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
        _transition(case, name, user, rationale or "Endorsed")
        case.save()
        deadlines.meet(case=case, kinds=[Deadline.Kind.DMT_CONSIDERATION], user=user)
        if not endorsed and suspension:
            deadlines.schedule(key=f"route1:dmt:{report.pk}", kind=Deadline.Kind.ROUTE1_DECISION, case=case,
                               due_date=case.route_deadline)
        sign_off = SignOff.objects.create(report=report, report_version=report.version, capacity=SignOff.Capacity.DMT,
                                          decision=SignOff.Decision.APPROVED if endorsed else SignOff.Decision.DECLINED,
                                          rationale=rationale, signed_by=user)
        if not endorsed:
            report.superseded = True
            report.save(update_fields=["superseded"])
        event = record(actor=user, obj=case, kind=f"dmt_{'endorsed' if endorsed else 'declined'}",
                       summary=f"DMT {'endorsed' if endorsed else 'did not endorse'} {report}"
                       + ("" if endorsed or not suspension else f"; back to Route 1 ({return_to})"),
                       changes={"report": report.pk, "report_version": report.version, "rationale": rationale,
                                "route": case.route, "return_to": return_to if not endorsed else ""})
        outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return sign_off


def sign_off(*, user, case_id: int, capacity: str, report_version: int | None,
             expected_route: str | None = None) -> SignOff:
    """The DASS signs (and a GM ICB colleague co-signs where jointly commissioned); then it is in force."""
    with transaction.atomic():
        case = _locked(case_id)
        role = {SignOff.Capacity.DASS: roles.DASS, SignOff.Capacity.ICB: roles.ICB_COLLEAGUE}.get(capacity)
        _require(role is not None and has_role(user, role), "You do not hold the role to sign in that capacity")
        require_case_clearance(user, case)
        _check_route(case, expected_route)
        if case.route not in (Route.SUSPENSION_ENDORSED, Route.LIFTING_ENDORSED):
            raise TransitionNotAllowed("Sign-off comes after DMT has endorsed the report")
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
        summary = f"{entry.get_capacity_display()} signed {report}"
        if report.required_capacities() <= report.signed_capacities():
            today = timezone.localdate()
            stage = RouteNotification.Stage.SUSPENSION
            if case.route == Route.SUSPENSION_ENDORSED:
                _transition(case, "suspend", user, summary)
                _set_placement(case.provider, PlacementStatus.SUSPENDED, f"Suspension signed off ({report})", case,
                               today)
                case.route_deadline = _one_month_after(today)  # the SPRG considers progress monthly
                deadlines.schedule(key=f"monthly:report:{report.pk}", kind=Deadline.Kind.SPRG_MONTHLY, case=case,
                                   due_date=case.route_deadline)
                summary += ": placements suspended"
            else:
                stage = RouteNotification.Stage.LIFTING
                _transition(case, "lift", user, summary)
                case.route_deadline = None
                for i, condition in enumerate(report.conditions):
                    deadlines.schedule(key=f"condition:{report.pk}:{i}", kind=Deadline.Kind.CONDITION_REVIEW,
                                       case=case, title=f"Review of condition: {condition['condition']}"[:300],
                                       due_date=datetime.date.fromisoformat(condition["review_date"]))
                if report.oversight_until:
                    deadlines.schedule(key=f"oversight:report:{report.pk}", kind=Deadline.Kind.OVERSIGHT_END,
                                       case=case, due_date=report.oversight_until)
                case.oversight_until = report.oversight_until
                status = PlacementStatus.CONDITIONS if report.conditional else PlacementStatus.OPEN
                _set_placement(case.provider, status, f"Lifting signed off ({report})", case, today)
                summary += ": suspension lifted"
            case.save()
            for recipient in NotificationRecipient.objects.filter(active=True):
                RouteNotification.objects.create(case=case, stage=stage, recipient=recipient, report=report)
        event = record(actor=user, obj=case, kind="signed_off", summary=summary,
                       changes={"capacity": capacity, "report": report.pk, "report_version": report.version,
                                "route": case.route})
        outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return entry


def mark_notification_done(*, user, notification_id: int, note: str = "", copy=None) -> RouteNotification:
    with atomic_with_files():
        item = RouteNotification.objects.select_related("recipient").get(pk=notification_id)
        case = _locked(item.case_id)
        item = RouteNotification.objects.select_for_update().get(pk=notification_id)
        _require(perms.can_keep_route_records(user, case), "Only the CQT records notifications")
        if item.done_at:
            raise ValidationError({"note": f"{item.recipient} was already marked as notified by {item.done_by} "
                                           f"on {timezone.localtime(item.done_at):%-d %B %Y %H:%M}"})
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
        _require(perms.can_keep_route_records(user, case) and case.is_open)
        if case.route not in (Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED, Route.AT_RISK):
            raise ValidationError({"visit_date": "CQT visits are recorded while a provider is at risk or suspended"})
        if visit_date > timezone.localdate():
            raise ValidationError({"visit_date": "Record a visit once it has taken place"})
        visit = CqtVisit.objects.create(case=case, visit_date=visit_date, visited_by=visited_by, findings=findings,
                                        recorded_by=user)
        record(actor=user, obj=case, kind="cqt_visit_recorded", summary=str(visit),
               changes={"visit_date": visit_date, "visited_by": visited_by, "findings": findings})
    return visit


