"""Every action on an escalation case. Each locks the case row, checks permission and input, runs the
guarded transition, writes the audit event in the same transaction and queues side effects on commit."""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import TransitionNotAllowed, can_proceed

from audit.services import record
from concerns import services as concern_services
from concerns.models import Concern, RiskAssessment
from concerns.permissions import RESTRICTED_CASE_MESSAGE
from core import outbox
from core.dates import long_date
from core.evidence import atomic_with_files, save_checked_uploads
from core.rules import require
from deadlines import services as deadlines
from deadlines.models import Deadline
from providers.models import Provider

from . import permissions as perms
from . import tasks
from .models import (
    LADDER,
    MEETING_NAME,
    OUTCOMES,
    STEP,
    ActionPlan,
    CaseMeeting,
    EscalationCase,
    LadderMove,
    Level,
    MeetingDocument,
    PerformanceReview,
    PlanAction,
    ProgressNote,
    has_plan_if_needed,
    latest_meeting_here,
    route_idle,
)


class StaleCase(Exception):
    """The case moved on since the person opened the page."""


def _require(allowed: bool, message: str = "You do not have permission to do that"):
    if not allowed:
        raise PermissionDenied(message)


RESTRICTED_MESSAGE = RESTRICTED_CASE_MESSAGE


def require_case_clearance(user, case):
    """The one clearance rule for acting on a case: refuse anyone not cleared for its restricted concerns."""
    require(perms.can_read_case, user, case)


def _locked(case_id: int) -> EscalationCase:
    return EscalationCase.objects.select_for_update().select_related("provider").get(pk=case_id)


def _check_expected(case, expected_level):
    if expected_level and case.level != expected_level:
        raise StaleCase(f"Case {case.reference} changed while you were looking at it: it is now at "
                        f"'{case.get_level_display()}'. Check the page and try again.")


def recommended_level_for(provider: Provider) -> str | None:
    """The level the provider's latest risk assessment chose (normal monitoring maps to no case)."""
    latest = RiskAssessment.objects.filter(provider=provider).order_by("-assessed_at", "-id").first()
    return latest.level if latest else None


def open_case(*, user, provider_id: int, level: str, concern_ids=(), rationale: str = "",
              jointly_commissioned: bool = False, reopened_from=None) -> EscalationCase:
    """Open a case at the recommended level, or another with a rationale; a provider has one open case."""
    require(perms.can_open_case, user)
    if level not in LADDER:
        raise ValidationError({"level": "Choose the level to open the case at"})
    rationale = rationale.strip()
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        if provider.cases.open().exists():
            raise ValidationError({"level": f"{provider} already has an open escalation case; link the concern to it"})
        concerns = list(Concern.objects.select_for_update().filter(pk__in=concern_ids, provider=provider))
        if len(concerns) != len(set(concern_ids)):
            raise ValidationError({"concerns": "Choose concerns about this provider"})
        if any(c.state != Concern.State.FURTHER_ACTION or c.case_id for c in concerns):
            raise ValidationError({"concerns": "Only concerns marked for further action and not already on a case"})
        recommended = recommended_level_for(provider)
        if not concerns and not rationale:
            raise ValidationError({"rationale": "Enter why a case is opened without a concern for further action"})
        if recommended != level and not rationale:
            raise ValidationError({"rationale": "Enter the rationale for opening at a level other than the one "
                                                f"recommended ({dict(Level.choices).get(recommended, 'none')})"})
        case = EscalationCase(
            provider=provider, level=level, recommended_level=recommended or "", opening_rationale=rationale,
            jointly_commissioned=jointly_commissioned, owner=user, opened_by=user,
            reference=f"new-{uuid.uuid4().hex[:12]}", reopened_from=reopened_from,
        )
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError as exc:
            raise ValidationError({"level": f"{provider} already has an open escalation case"}) from exc
        case.reference = f"CASE-{case.pk:05d}"
        case.save(update_fields=["reference"])
        for concern in concerns:
            concern_services.link_to_case(user=user, concern_id=concern.pk, case=case)
        event = record(actor=user, obj=case, kind="case_opened",
               summary=f"Case opened at {case.get_level_display()}" + (" with a rationale" if rationale else ""),
               changes={"provider": provider, "level": level, "recommended_level": recommended,
                        "rationale": rationale, "concerns": [c.reference for c in concerns],
                        "jointly_commissioned": jointly_commissioned,
                        "reopened_from": reopened_from.reference if reopened_from else None})
        outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return case


def link_concern(*, user, case_id: int, concern_id: int) -> EscalationCase:
    with transaction.atomic():
        case = _locked(case_id)
        require(perms.can_link_concern, user, case)
        concern = concern_services.link_to_case(user=user, concern_id=concern_id, case=case)
        record(actor=user, obj=case, kind="concern_linked", summary=f"Concern {concern.reference} linked",
               changes={"concern": concern.reference})
    return case


# --- the ladder: one service per move ---------------------------------------------------------------------------
# Sources, targets, guards and who may act are declared once, on the transitions in escalation.models; the
# services below read them from there (get_all_level_transitions) and add what a decision needs around the move:
# the lock, the reason, the audit event, the deadlines and the notification.

AUDIT_KIND = {"escalate": "case_escalated", "step_down": "case_stepped_down", "close": "case_closed",
              "failure": "case_provider_failure"}


def ladder_transitions() -> dict:
    """{transition name: its django-fsm metadata (sources, target, label, kind)} for the ladder."""
    out = {}
    for t in EscalationCase._meta.get_field("level").get_all_transitions(EscalationCase):
        entry = out.setdefault(t.name, {"name": t.name, "sources": set(), "target": t.target,
                                        "label": t.custom.get("label", t.name), "kind": t.custom.get("kind")})
        entry["sources"].add(t.source)
    return out


def target_of(transition_name: str) -> str:
    return ladder_transitions()[transition_name]["target"]


def is_skip(case, transition_name: str) -> bool:
    """Escalating past a step (QA to JIMP or SOSG, PPM to SOSG) needs a clear rationale."""
    target = target_of(transition_name)
    return target in STEP and case.level in STEP and STEP[target] - STEP[case.level] > 1


def _why_not(case, transition_name) -> str:
    if not case.is_open:
        return f"Case {case.reference} is closed; reopen it to act on it"
    if case.level not in ladder_transitions()[transition_name]["sources"]:
        return f"This move is not possible from {case.get_level_display()}"
    if transition_name in ("close", "refer_provider_failure") and not route_idle(case):
        return "Finish the suspension route first"
    if transition_name.startswith("escalate") and not has_plan_if_needed(case):
        return "Record the DAP/CAP at this level before escalating"
    if transition_name == "refer_provider_failure":
        return "An SOSG meeting or a performance review must find the improvement not satisfactory first"
    return meeting_decision(case)


def meeting_decision(case) -> str:
    """Why the meeting on record allows no such move: "The last PPM on 3 November 2026 agreed to extend the
    timescales", or that no meeting at this level (with an outcome) is on record yet."""
    meeting = latest_meeting_here(case)
    if meeting is None:
        return f"Record the {MEETING_NAME[case.level]} and its outcome first"
    return meeting.outcome_sentence


def _ladder_move(*, user, case_id: int, transition_name: str, reason: str, skip_rationale: str = "",
                 expected_level: str | None = None) -> EscalationCase:
    """The one shape of every ladder move; called only by the named services below, each in its own transaction.
    Lock the case, check who and whether (the guarded transition), record the reason, the event and the effect."""
    reason, skip_rationale = reason.strip(), skip_rationale.strip()
    case = _locked(case_id)
    method = getattr(case, transition_name)
    require(perms.can_move_case, user, case)
    _check_expected(case, expected_level)
    if not can_proceed(method):
        raise TransitionNotAllowed(_why_not(case, transition_name))
    if not reason:
        raise ValidationError({"reason": "Enter the reason for this decision"})
    skipping = is_skip(case, transition_name)
    if skipping and not skip_rationale:
        raise ValidationError({"skip_rationale": "Enter the clear rationale for skipping a step"})
    before = case.level
    meeting = None if skipping else latest_meeting_here(case)
    method(by=user, description=reason)
    case.level_since = timezone.now()
    if case.level not in LADDER:
        case.closed_at, case.closing_reason = timezone.now(), reason
        case.route_deadline = None  # an ended case has no next decision due
        deadlines.waive_all_for_case(case=case, user=user, reason=f"Case {case.get_level_display().lower()}")
    case.save()
    if case.level not in LADDER:
        concern_services.close_with_case(user=user, case=case)
    LadderMove.objects.create(case=case, transition=transition_name, from_level=before, to_level=case.level,
                              reason=reason, skip_rationale=skip_rationale if skipping else "", meeting=meeting,
                              moved_by=user, moved_at=case.level_since)
    event = record(actor=user, obj=case, kind=AUDIT_KIND[ladder_transitions()[transition_name]["kind"]],
                   summary=f"{dict(Level.choices)[before]} → {case.get_level_display()}"
                   + (", skipping a step" if skipping else ""),
                   changes={"level": [before, case.level], "transition": transition_name, "reason": reason,
                            "skip_rationale": skip_rationale if skipping else "",
                            "meeting": str(meeting) if meeting else "",
                            "meeting_outcome": meeting.outcome if meeting else ""})
    outbox.enqueue(tasks.notify_case_team, case.pk, event.pk)
    return case


def escalate_to_ppm(*, user, case_id: int, reason: str, expected_level: str | None = None) -> EscalationCase:
    """The QA meeting found the issues not resolved: QA to PPM."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="escalate_to_ppm", reason=reason,
                            expected_level=expected_level)


def escalate_to_jimp(*, user, case_id: int, reason: str, skip_rationale: str = "",
                     expected_level: str | None = None) -> EscalationCase:
    """The PPM review was not satisfactory: PPM to JIMP; or straight from QA, which needs a skip rationale."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="escalate_to_jimp", reason=reason,
                            skip_rationale=skip_rationale, expected_level=expected_level)


def escalate_to_sosg(*, user, case_id: int, reason: str, skip_rationale: str = "",
                     expected_level: str | None = None) -> EscalationCase:
    """The JIMP review was not satisfactory: JIMP to SOSG; or from QA or PPM, which needs a skip rationale."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="escalate_to_sosg", reason=reason,
                            skip_rationale=skip_rationale, expected_level=expected_level)


def step_down_to_ppm(*, user, case_id: int, reason: str, expected_level: str | None = None) -> EscalationCase:
    """A review found the improvement satisfactory: JIMP or SOSG down to PPM."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="step_down_to_ppm", reason=reason,
                            expected_level=expected_level)


def step_down_to_jimp(*, user, case_id: int, reason: str, expected_level: str | None = None) -> EscalationCase:
    """The SOSG review found the improvement satisfactory: back to the multi-agency panel."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="step_down_to_jimp", reason=reason,
                            expected_level=expected_level)


def close_case(*, user, case_id: int, reason: str, expected_level: str | None = None) -> EscalationCase:
    """Issues resolved: back to normal contract monitoring; the case's live deadlines are waived."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="close", reason=reason,
                            expected_level=expected_level)


def refer_provider_failure(*, user, case_id: int, reason: str, expected_level: str | None = None) -> EscalationCase:
    """The SOSG review was not satisfactory and the provider cannot continue: the Provider Failure Policy."""
    with transaction.atomic():
        return _ladder_move(user=user, case_id=case_id, transition_name="refer_provider_failure", reason=reason,
                            expected_level=expected_level)


LADDER_SERVICES = {
    "escalate_to_ppm": escalate_to_ppm, "escalate_to_jimp": escalate_to_jimp, "escalate_to_sosg": escalate_to_sosg,
    "step_down_to_ppm": step_down_to_ppm, "step_down_to_jimp": step_down_to_jimp, "close": close_case,
    "refer_provider_failure": refer_provider_failure,
}
# The case page's "move" URL names a transition of the state machine; this finds its service.
SKIPPABLE = {"escalate_to_jimp", "escalate_to_sosg"}


def move_case(*, user, case_id: int, transition_name: str, reason: str, skip_rationale: str = "",
              expected_level: str | None = None) -> EscalationCase:
    """The generic entry point, for callers that hold a transition's name (the case page, the demo data)."""
    service = LADDER_SERVICES.get(transition_name)
    if service is None:
        raise ValidationError("Unknown action")
    extra = {"skip_rationale": skip_rationale} if transition_name in SKIPPABLE else {}
    return service(user=user, case_id=case_id, reason=reason, expected_level=expected_level, **extra)


def reopen_case(*, user, case_id: int, level: str, reason: str) -> EscalationCase:
    """A closed case stays as it was; reopening opens a new case linked to it (docs/adr/0010)."""
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the case is being reopened"})
    with transaction.atomic():
        old = _locked(case_id)
        if not perms.case_may_reopen(user, old):  # final: say why, as the case page does
            raise ValidationError({"reason": perms.case_may_reopen.refusal})
        require(perms.can_reopen, user, old)
        if hasattr(old, "reopened_as"):
            raise ValidationError({"reason": f"{old.reference} was already reopened as {old.reopened_as.reference}"})
        new = open_case(user=user, provider_id=old.provider_id, level=level, rationale=f"Reopened: {reason}",
                        jointly_commissioned=old.jointly_commissioned, reopened_from=old)
        record(actor=user, obj=old, kind="case_reopened", summary=f"Reopened as {new.reference}",
               changes={"reopened_as": new.reference, "reason": reason})
    return new


def record_meeting(*, user, case_id: int, meeting_date, attendees: list[dict], provider_attended: bool,
                   minutes: str, outcome: str, outcome_notes: str = "", files=(),
                   expected_level: str | None = None) -> CaseMeeting:
    """A meeting at the case's current level, with its outcome (one of that level's choices), which sets the
    ladder moves the case may make next."""
    with atomic_with_files():
        case = _locked(case_id)
        require(perms.can_record_meeting, user, case)
        _check_expected(case, expected_level)
        if meeting_date > timezone.localdate():
            raise ValidationError({"meeting_date": "Record a meeting once it has taken place"})
        if meeting_date < timezone.localtime(case.opened_at).date():
            raise ValidationError({"meeting_date": "The meeting cannot be before the case was opened"})
        reached = timezone.localtime(case.level_since).date()
        if meeting_date < reached:
            raise ValidationError({"meeting_date": f"The case reached {MEETING_NAME[case.level].split()[0]} on "
                                                   f"{long_date(reached)}: record meetings held since then"})
        if outcome not in OUTCOMES[case.level]:
            names = " or ".join(f"‘{o.label.lower()}’" for o in OUTCOMES[case.level])
            raise ValidationError({"outcome": f"Choose the outcome of the {MEETING_NAME[case.level]}: {names}"})
        if not attendees:
            raise ValidationError({"attendees": "Enter at least one attendee and their agency"})
        meeting = CaseMeeting.objects.create(
            case=case, level=case.level, meeting_date=meeting_date, attendees=attendees,
            provider_attended=provider_attended, minutes=minutes, outcome=outcome,
            outcome_notes=outcome_notes.strip(), recorded_by=user)
        names = [doc.original_name for doc in save_checked_uploads(
            lambda: MeetingDocument(meeting=meeting), files, uploaded_by=user, field="documents")]
        record(actor=user, obj=case, kind="meeting_recorded",
               summary=f"{meeting} recorded: {meeting.get_outcome_display().lower()}",
               changes={"meeting_date": meeting_date, "level": case.level, "attendees": attendees,
                        "provider_attended": provider_attended, "outcome": outcome,
                        "outcome_notes": meeting.outcome_notes, "documents": names})
    return meeting


LADDER_PLAN_KINDS = [ActionPlan.Kind.DAP, ActionPlan.Kind.CAP]


def create_plan(*, user, case_id: int, kind: str, start_date, review_date) -> ActionPlan:
    """A DAP or CAP at the case's current level. The improvement plan of a suspension route is recorded by
    route_services.create_improvement_plan, never here."""
    with transaction.atomic():
        case = _locked(case_id)
        require(perms.can_manage_plan, user, case)
        if kind not in LADDER_PLAN_KINDS:
            raise ValidationError({"kind": "Choose a Developmental Action Plan (DAP) or a Corrective Action Plan "
                                           "(CAP). An improvement plan is recorded from the suspension route."})
        if case.level == Level.QA:
            raise ValidationError({"kind": "A DAP/CAP is agreed from PPM upwards; escalate to PPM first"})
        if review_date < start_date:
            raise ValidationError({"review_date": "The review date cannot be before the plan's start date"})
        plan = ActionPlan.objects.create(case=case, level=case.level, kind=kind, start_date=start_date,
                                         review_date=review_date, created_by=user)
        deadlines.schedule(key=f"plan_review:{plan.pk}:{review_date}", kind=Deadline.Kind.PLAN_REVIEW, case=case,
                           title=f"Review of the {plan.get_kind_display()}", due_date=review_date)
        record(actor=user, obj=case, kind="plan_created", summary=f"{plan} agreed at {case.get_level_display()}",
               changes={"kind": kind, "start_date": start_date, "review_date": review_date})
    return plan


def _locked_plan(plan_id):
    """Lock the plan's case first, then read the plan: every change to a plan, its actions or its deadlines waits
    for the case row, so what is read afterwards is what the previous writer committed. (A plan never moves to
    another case, so its case id can be read before the lock.)"""
    case_id = ActionPlan.objects.values_list("case_id", flat=True).get(pk=plan_id)
    case = _locked(case_id)
    return case, ActionPlan.objects.get(pk=plan_id)


def _locked_action(action_id):
    """As _locked_plan, for one action: lock its case, then read the action and its plan fresh."""
    case_id = PlanAction.objects.values_list("plan__case_id", flat=True).get(pk=action_id)
    case = _locked(case_id)
    return case, PlanAction.objects.select_related("plan").get(pk=action_id)


def _check_plan_takes_actions(case, plan):
    """A DAP/CAP takes new actions only at the level it was agreed at, which must be the case's current level; the
    improvement plan of a suspension route takes them while the case is open."""
    if plan.kind != ActionPlan.Kind.IMPROVEMENT and plan.level != case.level:
        raise ValidationError({"area_of_concern": f"This {plan.get_kind_display()} belongs to an earlier level of the "
                                                  "case. Add actions to the plan at the current level."})


def add_action(*, user, plan_id: int, area_of_concern: str, action: str, owner: str, due_date) -> PlanAction:
    with transaction.atomic():
        case, plan = _locked_plan(plan_id)
        require(perms.can_manage_plan, user, case)
        _check_plan_takes_actions(case, plan)
        if due_date < timezone.localdate():
            raise ValidationError({"due_date": "The due date must be today or in the future"})
        item = PlanAction.objects.create(plan=plan, area_of_concern=area_of_concern, action=action, owner=owner,
                                         due_date=due_date)
        deadlines.schedule(key=f"action:{item.pk}:{due_date}", kind=Deadline.Kind.PLAN_ACTION, case=case,
                           title=f"Action due: {area_of_concern}"[:300], due_date=due_date)
        record(actor=user, obj=case, kind="plan_action_added", summary=f"Action added to the {plan.get_kind_display()}",
               changes={"plan": plan.pk, "area_of_concern": area_of_concern, "action": action, "owner": owner,
                        "due_date": due_date})
    return item


def update_action(*, user, action_id: int, status: str, evidence: str, due_date, reason: str = "") -> PlanAction:
    with transaction.atomic():
        case, item = _locked_action(action_id)
        require(perms.can_manage_plan, user, case)
        changes = {}
        if due_date != item.due_date:
            if not reason.strip():
                raise ValidationError({"reason": "Enter why the due date is changing (it is now "
                                                 f"{item.due_date:%-d %B %Y})"})
            if due_date < timezone.localdate():
                raise ValidationError({"due_date": "The new due date must be today or in the future"})
            changes["due_date"] = [item.due_date, due_date]
        if status != item.status:
            changes["status"] = [item.status, status]
        if evidence != item.evidence:
            changes["evidence"] = [item.evidence, evidence]
        if not changes:
            raise ValidationError({"status": "Nothing changed"})
        if "due_date" in changes:
            deadlines.move(case=case, kind=Deadline.Kind.PLAN_ACTION, user=user, reason=reason, new_due_date=due_date,
                           key=f"action:{item.pk}:{due_date}", key_prefix=f"action:{item.pk}:",
                           title=f"Action due: {item.area_of_concern}"[:300])
        if status == PlanAction.Status.COMPLETE:
            deadlines.meet(case=case, kinds=[Deadline.Kind.PLAN_ACTION], user=user, key_prefix=f"action:{item.pk}:")
        item.status, item.evidence, item.due_date = status, evidence, due_date
        item.save()
        record(actor=user, obj=case, kind="plan_action_updated",
               summary=f"Action updated on the {item.plan.get_kind_display()}",
               changes=changes | ({"reason": reason} if reason else {}))
    return item


def add_progress_note(*, user, action_id: int, note: str) -> ProgressNote:
    with transaction.atomic():
        case, item = _locked_action(action_id)
        require(perms.can_manage_plan, user, case)
        entry = ProgressNote.objects.create(action=item, note=note, written_by=user)
        record(actor=user, obj=case, kind="progress_note_added",
               summary=f"Progress note added on the {item.plan.get_kind_display()}",
               changes={"action": item.pk, "note": note})
    return entry


def record_review(*, user, plan_id: int, review_date, verdict: str, notes: str,
                  new_review_date=None) -> PerformanceReview:
    """DAP/CAP performance review. 'Review timescales' moves the plan's review date, with the notes as reason."""
    with transaction.atomic():
        case, plan = _locked_plan(plan_id)
        require(perms.can_record_review, user, case)
        if plan.kind not in LADDER_PLAN_KINDS:
            raise ValidationError({"verdict": "A performance review is of a DAP or CAP. The improvement plan is "
                                              "reviewed by the SPRG."})
        if plan.level != case.level:
            raise ValidationError({"verdict": "This plan belongs to an earlier level of the case"})
        if review_date < plan.start_date:
            raise ValidationError({"review_date": "The review cannot be before the plan's start date"})
        if review_date > timezone.localdate():
            raise ValidationError({"review_date": "Record a review once it has taken place"})
        if verdict == PerformanceReview.Verdict.REVIEW_TIMESCALES:
            if not new_review_date:
                raise ValidationError({"new_review_date": "Enter the new review date"})
            if new_review_date <= review_date:
                raise ValidationError({"new_review_date": "The new review date must be after this review"})
        else:
            new_review_date = None
        review = PerformanceReview.objects.create(plan=plan, review_date=review_date, verdict=verdict, notes=notes,
                                                  new_review_date=new_review_date, recorded_by=user)
        deadlines.meet(case=case, kinds=[Deadline.Kind.PLAN_REVIEW], user=user, key_prefix=f"plan_review:{plan.pk}:")
        if new_review_date:
            deadlines.schedule(key=f"plan_review:{plan.pk}:{new_review_date}", kind=Deadline.Kind.PLAN_REVIEW,
                               case=case, title=f"Review of the {plan.get_kind_display()}", due_date=new_review_date)
            old = plan.review_date
            plan.review_date = new_review_date
            plan.save(update_fields=["review_date"])
        record(actor=user, obj=case, kind="performance_review_recorded", summary=str(review),
               changes={"plan": plan.pk, "review_date": review_date, "verdict": verdict, "notes": notes,
                        **({"plan_review_date": [old, new_review_date]} if new_review_date else {})})
    return review
