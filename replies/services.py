"""Providers' updates on plan actions and appeals against a suspension, and the council's answers (docs/process.md,
"Providers' updates and appeals"). One function per action: each locks the case row before reading what it
changes, checks the rule (core.rules.require), writes the audit event on the case in the same transaction and
queues emails through the outbox (core.outbox), so they go only once the action has committed."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from core import outbox
from core.dates import long_date
from core.evidence import atomic_with_files, save_checked_uploads
from core.rules import require
from deadlines import services as deadlines
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from escalation import services as case_services
from escalation import tasks as case_tasks
from escalation.models import DecisionReport, EscalationCase, PlanAction, Route
from letters import services as letter_services
from letters.models import LetterKind

from . import permissions as perms
from . import tasks
from .models import ActionUpdate, ActionUpdateEvidence, Appeal, AppealEvidence
from .participation import in_force_on

#: How long the council takes to decide an appeal: 10 working days from the day it is lodged (docs/process.md).
APPEAL_DECISION_WORKING_DAYS = 10
#: The route states in which a suspension is in force (lifting is being considered, but not yet signed off).
SUSPENSION_IN_FORCE = [Route.SUSPENDED, Route.LIFTING_PROPOSED, Route.LIFTING_ENDORSED]


def _locked(case_id: int) -> EscalationCase:
    return EscalationCase.objects.select_for_update().select_related("provider", "owner").get(pk=case_id)


# --- appeals -----------------------------------------------------------------------------------------------------

def suspension_in_force(case) -> DecisionReport | None:
    """The suspension report whose sign-off put the case's suspension in force, or None if none is in force."""
    if case.route not in SUSPENSION_IN_FORCE:
        return None
    report = (case.reports.filter(kind=DecisionReport.Kind.SUSPENSION, superseded=False)
              .prefetch_related("sign_offs").order_by("-version").first())
    return report if report is not None and in_force_on(report) else None


def appeal_window_closes(in_force: datetime.date) -> datetime.date:
    """The last day to appeal: APPEAL_WORKING_DAYS working days after the suspension came into force."""
    return add_working_days(in_force, settings.APPEAL_WORKING_DAYS)


def lodge_appeal(*, user, decision_id: int, grounds: str, files=()) -> Appeal:
    """A provider contact appeals against the suspension of placements at their provider, within the window. The
    appeal gets its own deadline (decided within APPEAL_DECISION_WORKING_DAYS working days), assigned to the case
    owner to arrange; the case owner is told."""
    grounds = grounds.strip()
    with atomic_with_files():
        case_id = DecisionReport.objects.values_list("case_id", flat=True).get(pk=decision_id)
        case = _locked(case_id)
        require(perms.can_appeal, user, case)
        report = DecisionReport.objects.prefetch_related("sign_offs").get(pk=decision_id)
        current = suspension_in_force(case)
        if current is None or current.pk != report.pk:
            raise ValidationError({"grounds": "This decision is not a suspension in force, so it cannot be "
                                              "appealed against"})
        in_force = in_force_on(report)
        closes = appeal_window_closes(in_force)
        today = timezone.localdate()
        if today > closes:
            raise ValidationError({"grounds": f"Appeals against this decision closed on {long_date(closes)}"})
        earlier = Appeal.objects.filter(decision=report).order_by("-lodged_at").first()
        if earlier is not None and earlier.status == Appeal.Status.OPEN:
            raise ValidationError({"grounds": "An appeal against this decision is already waiting for a decision"})
        if earlier is not None:  # one appeal a decision: the provider was heard, and the outcome is final
            raise ValidationError({"grounds": f"This decision was appealed against on {long_date(earlier.lodged_at)} "
                                              f"and the appeal was decided on {long_date(earlier.decided_at)}: a "
                                              "decision can be appealed against once"})
        if not grounds:
            raise ValidationError({"grounds": "Enter the grounds of your appeal"})
        decide_by = add_working_days(today, APPEAL_DECISION_WORKING_DAYS)
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(case=case, decision=report, decision_in_force_on=in_force,
                                               window_closes_on=closes, grounds=grounds, lodged_by=user,
                                               decide_by=decide_by)
        except IntegrityError as exc:
            raise ValidationError({"grounds": "An appeal against this decision is already waiting for a "
                                              "decision"}) from exc
        names = [e.original_name for e in save_checked_uploads(lambda: AppealEvidence(appeal=appeal), files,
                                                                uploaded_by=user, field="evidence")]
        deadlines.schedule(key=f"appeal:{appeal.pk}", kind=Deadline.Kind.APPEAL_DECISION, case=case,
                           due_date=decide_by, assignee=case.owner,
                           title="Provider's appeal against the suspension decided")
        record(actor=user, obj=case, kind="appeal_lodged",
               summary="The provider appealed against the suspension of placements",
               changes={"appeal": appeal.pk, "decision": str(report), "grounds": grounds, "evidence": names,
                        "window_closes_on": closes, "decide_by": decide_by})
        outbox.enqueue(tasks.tell_owner_of_appeal, appeal.pk)
    return appeal


def outcome_addressee(provider) -> str:
    lines = [provider.registered_manager or "The Registered Manager", provider.name, provider.address,
             provider.postcode]
    return "\n".join(line for line in lines if line)


def decide_appeal(*, user, appeal_id: int, outcome: str, reasons: str) -> Appeal:
    """A senior officer (the DASS or a DMT member) who took no part in the suspension decides the appeal. Upheld:
    the suspension stands. Allowed: the outcome is recorded and the case page says the lifting route must be
    started (the SPRG's "sufficient progress" decision and the lifting report): nothing is lifted here, because
    only the existing lifting services lift a suspension. The outcome letter is drafted for a CQM to issue."""
    reasons = reasons.strip()
    with transaction.atomic():
        case_id = Appeal.objects.values_list("case_id", flat=True).get(pk=appeal_id)
        case = _locked(case_id)
        appeal = Appeal.objects.select_for_update().get(pk=appeal_id)
        appeal.case = case
        require(perms.can_decide_appeal, user, appeal)
        if outcome not in (Appeal.Status.UPHELD, Appeal.Status.ALLOWED):
            raise ValidationError({"outcome": "Choose the outcome of the appeal"})
        if not reasons:
            raise ValidationError({"reasons": "Enter the reasons for the decision"})
        letter = letter_services.draft_for_decision(user=user, case_id=case.pk, kind=LetterKind.APPEAL_OUTCOME,
                                                    addressee=outcome_addressee(case.provider))
        appeal.status, appeal.reasons = outcome, reasons
        appeal.decided_by, appeal.decided_at, appeal.letter = user, timezone.now(), letter
        appeal.save()
        deadlines.meet(case=case, kinds=[Deadline.Kind.APPEAL_DECISION], user=user, key_prefix=f"appeal:{appeal.pk}")
        event = record(actor=user, obj=case, kind="appeal_decided",
                       summary=f"Provider's appeal decided: {appeal.get_status_display().lower()}",
                       changes={"appeal": appeal.pk, "outcome": outcome, "reasons": reasons,
                                "letter": letter.reference})
        outbox.enqueue(case_tasks.notify_case_team, case.pk, event.pk)
        outbox.enqueue(tasks.email_provider_contacts, case.provider_id)
    return appeal


# --- updates on plan actions -------------------------------------------------------------------------------------

def action_takes_updates(action: PlanAction, case) -> bool:
    """An action a provider may update: not complete, on the improvement plan or on the DAP/CAP at the case's
    current level (a plan from an earlier level is finished with), on an open case."""
    plan = action.plan
    return (case.is_open and action.status != PlanAction.Status.COMPLETE
            and (plan.kind == plan.Kind.IMPROVEMENT or plan.level == case.level))


def send_action_update(*, user, action_id: int, progress: str, proposed_status: str, files=()) -> ActionUpdate:
    """A provider contact's update on a plan action, with optional evidence files. The case team is told."""
    progress = progress.strip()
    with atomic_with_files():
        case_id = PlanAction.objects.values_list("plan__case_id", flat=True).get(pk=action_id)
        case = _locked(case_id)
        require(perms.can_send_update, user, case)
        action = PlanAction.objects.select_related("plan").get(pk=action_id)
        if not action_takes_updates(action, case):
            raise ValidationError({"progress": "This action is no longer open for updates"})
        if ActionUpdate.objects.filter(action=action, status=ActionUpdate.Status.PENDING).exists():
            raise ValidationError({"progress": "Your last update on this action is still waiting for the council. "
                                               "You can send another once it has been answered."})
        if not progress:
            raise ValidationError({"progress": "Enter the progress made on this action"})
        if proposed_status not in ActionUpdate.ProposedStatus.values:
            raise ValidationError({"proposed_status": "Choose where the action now stands"})
        update = ActionUpdate.objects.create(case=case, action=action, progress=progress,
                                             proposed_status=proposed_status, submitted_by=user)
        names = [e.original_name for e in save_checked_uploads(lambda: ActionUpdateEvidence(update=update), files,
                                                                uploaded_by=user, field="evidence")]
        event = record(actor=user, obj=case, kind="action_update_sent",
                       summary="The provider sent an update on a plan action",
                       changes={"update": update.pk, "action": action.pk, "progress": progress,
                                "proposed_status": proposed_status, "evidence": names})
        outbox.enqueue(case_tasks.notify_case_team, case.pk, event.pk)
    return update


def _locked_update(update_id: int):
    case_id = ActionUpdate.objects.values_list("case_id", flat=True).get(pk=update_id)
    case = _locked(case_id)
    update = ActionUpdate.objects.select_for_update().get(pk=update_id)
    update.case = case
    return case, update


def accept_action_update(*, user, update_id: int) -> ActionUpdate:
    """The case team accepts a provider's update: the progress is recorded on the action through the escalation
    services that record progress (a progress note, and the status if the provider says it changed), so there is
    one way to record progress on an action."""
    with transaction.atomic():
        case, update = _locked_update(update_id)
        require(perms.can_review_update, user, update)
        action = PlanAction.objects.select_related("plan").get(pk=update.action_id)
        if not action_takes_updates(action, case):  # completed (or its plan finished with) since the update was sent
            raise ValidationError({"answer": "This action is no longer open for updates (it is complete or its "
                                             "plan is finished with), so the update cannot be accepted: query it "
                                             "instead"})
        names = list(update.evidence.values_list("original_name", flat=True))
        note = (f"Update from the provider, sent {long_date(update.submitted_at)} and accepted: {update.progress}"
                + (f"\nFiles: {', '.join(names)}" if names else ""))
        case_services.add_progress_note(user=user, action_id=action.pk, note=note)
        if update.proposed_status != action.status:
            case_services.update_action(user=user, action_id=action.pk, status=update.proposed_status,
                                        evidence=action.evidence, due_date=action.due_date)
        update.status, update.reviewed_by, update.reviewed_at = ActionUpdate.Status.ACCEPTED, user, timezone.now()
        update.save()
        record(actor=user, obj=case, kind="action_update_accepted", summary="Provider's update on a plan action "
               "accepted", changes={"update": update.pk, "action": action.pk, "status": update.proposed_status})
        outbox.enqueue(tasks.email_provider_contacts, case.provider_id)
    return update


def query_action_update(*, user, update_id: int, question: str) -> ActionUpdate:
    """The case team asks the provider about an update; the provider reads the question in the portal and answers
    with a new update. Nothing is recorded on the action."""
    question = question.strip()
    with transaction.atomic():
        case, update = _locked_update(update_id)
        require(perms.can_review_update, user, update)
        if not question:
            raise ValidationError({"question": "Enter your question for the provider"})
        update.status, update.question = ActionUpdate.Status.QUERIED, question
        update.reviewed_by, update.reviewed_at = user, timezone.now()
        update.save()
        record(actor=user, obj=case, kind="action_update_queried", summary="Provider's update on a plan action "
               "queried", changes={"update": update.pk, "action": update.action_id, "question": question})
        outbox.enqueue(tasks.email_provider_contacts, case.provider_id)
    return update
