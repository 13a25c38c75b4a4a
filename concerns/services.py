"""Every action on a concern, risk assessment, JQMM or risk matrix. One function per action.

Each: checks permission, locks the row, runs the guarded transition, writes the audit event in
the same transaction, and queues side effects with transaction.on_commit.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import has_transition_perm

from accounts import permissions as account_perms
from audit.services import record
from core import outbox
from core.evidence import atomic_with_files, save_checked_uploads
from core.rules import require
from providers.models import Provider

from . import permissions as perms
from . import tasks
from .models import (
    Concern,
    EvidenceFile,
    JqmmMeeting,
    RiskAssessment,
    RiskLevel,
    RiskMatrix,
    SafeguardingAdvice,
    SameDayMonitoring,
)


class StaleConcern(Exception):
    """The concern moved on since the person opened the page."""


def _require(allowed: bool, message: str = "You do not have permission to do that"):
    if not allowed:
        raise PermissionDenied(message)


def _locked(concern_id: int) -> Concern:
    return Concern.objects.select_for_update().select_related("provider").get(pk=concern_id)


def _check_expected_state(concern: Concern, expected_state: str | None):
    if expected_state and concern.state != expected_state:
        raise StaleConcern(
            f"Concern {concern.reference} changed while you were looking at it: it is now "
            f"'{concern.get_state_display()}'. Check the page and try again."
        )


def _store_evidence(concern, files, user):
    """Every file is checked before any is stored; stored files go again if the action rolls back."""
    return save_checked_uploads(lambda: EvidenceFile(concern=concern), files, uploaded_by=user, field="evidence")


def log_concern(*, user, provider_id: int, data: dict, files=()) -> Concern:
    """A concern arrives (docs/process.md section 1): any safeguarding flag restricts it until advice is recorded."""
    require(perms.can_log_concern, user)
    if data["received_on"] > timezone.localdate():
        raise ValidationError({"received_on": "The date received must be today or in the past"})
    restricted = bool(data["safety_concern"] or data["position_of_trust"] or data["referral_uncertain"])
    with atomic_with_files():
        provider = Provider.objects.get(pk=provider_id)
        concern = Concern(
            provider=provider,
            logged_by=user,
            reference=f"new-{uuid.uuid4().hex[:12]}",
            state=Concern.State.AWAITING_ADVICE if restricted else Concern.State.AWAITING_ROUTING,
            **data,
        )
        concern.restricted = restricted
        concern.save()
        concern.reference = f"CON-{concern.pk:05d}"
        concern.save(update_fields=["reference"])
        evidence = _store_evidence(concern, files, user)
        record(
            actor=user, obj=concern, kind="concern_logged",
            summary=f"Concern logged about {provider}" + (" (safeguarding-restricted)" if restricted else ""),
            changes={**data, "provider": provider, "restricted": restricted,
                     "evidence": [e.original_name for e in evidence]},
        )
        if restricted:
            outbox.enqueue(tasks.notify_safeguarding_leads, concern.pk)
    return concern


def add_evidence(*, user, concern_id: int, files) -> list[EvidenceFile]:
    with atomic_with_files():
        concern = _locked(concern_id)
        require(perms.can_add_evidence, user, concern)
        evidence = _store_evidence(concern, files, user)
        record(actor=user, obj=concern, kind="evidence_added",
               summary=f"{len(evidence)} evidence file(s) added",
               changes={"evidence": [f"{e.original_name} (sha256 {e.sha256})" for e in evidence]})
    return evidence


def record_safeguarding_advice(*, user, concern_id: int, adviser: str, advised_on, advice: str,
                               expected_state: str | None = None) -> SafeguardingAdvice:
    """Safeguarding advice (docs/process.md section 1). The first advice on a restricted concern unblocks routing."""
    if advised_on > timezone.localdate():
        raise ValidationError({"advised_on": "The date of the advice must be today or in the past"})
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_record_advice, user, concern)
        _check_expected_state(concern, expected_state)
        _check_open(concern, "advice")
        if advised_on < concern.received_on:
            raise ValidationError({"advised_on": "The advice cannot be dated before the concern was received"})
        entry = SafeguardingAdvice.objects.create(
            concern=concern, adviser=adviser, advised_on=advised_on, advice=advice, recorded_by=user
        )
        if concern.state == Concern.State.AWAITING_ADVICE:
            _require(has_transition_perm(concern.advice_recorded, user))
            concern.advice_recorded(by=user)
            concern.save()
        record(actor=user, obj=concern, kind="safeguarding_advice_recorded",
               summary="Safeguarding advice recorded",
               changes={"adviser": adviser, "advised_on": advised_on, "advice": advice, "state": concern.state})
    return entry


def _check_open(concern, field: str):
    """Nothing more is recorded on a closed concern (Concern.is_open)."""
    if not concern.is_open:
        how = "with no further action" if concern.state == Concern.State.NO_FURTHER_ACTION else "after further action"
        raise ValidationError({field: f"Concern {concern.reference} is closed {how}, so nothing more can be recorded "
                                      "on it"})


def _check_advice_recorded(concern):
    if concern.state == Concern.State.AWAITING_ADVICE:
        raise ValidationError({"route": "Record the safeguarding advice sought before routing this concern"})


def route_to_jqmm(*, user, concern_id: int, meeting_id: int, expected_state: str | None = None) -> Concern:
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_route, user, concern)
        _check_expected_state(concern, expected_state)
        _check_advice_recorded(concern)
        meeting = JqmmMeeting.objects.get(pk=meeting_id)
        if meeting.meeting_date < timezone.localdate():
            raise ValidationError({"meeting": "That JQMM has already taken place; choose a future meeting"})
        concern.queue_for_jqmm(meeting=meeting, by=user)
        concern.routed_by, concern.routed_at = user, timezone.now()
        concern.save()
        record(actor=user, obj=concern, kind="routed_to_jqmm", summary=f"Queued for the {meeting}",
               changes={"state": concern.state, "jqmm": meeting})
    return concern


def route_to_further_action(*, user, concern_id: int, reason: str, expected_state: str | None = None) -> Concern:
    if not reason.strip():
        raise ValidationError({"reason": "Enter why this concern cannot wait for the next JQMM"})
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_route, user, concern)
        _check_expected_state(concern, expected_state)
        _check_advice_recorded(concern)
        concern.send_to_further_action(reason=reason, by=user)
        concern.routed_by, concern.routed_at = user, timezone.now()
        concern.save()
        record(actor=user, obj=concern, kind="routed_to_further_action",
               summary="Sent straight to further action", changes={"state": concern.state, "reason": reason})
        outbox.enqueue(tasks.notify_further_action, concern.pk)
    return concern


def close_concern(*, user, concern_id: int, notes: str, expected_state: str | None = None) -> Concern:
    """A CQM records how a concern marked for further action was dealt with without a case: it closes."""
    notes = notes.strip()
    if not notes:
        raise ValidationError({"notes": "Enter how the further action ended"})
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_close_concern, user, concern)
        _check_expected_state(concern, expected_state)
        concern.close_after_further_action(notes=notes, by=user)
        concern.save()
        record(actor=user, obj=concern, kind="concern_closed", summary="Closed after further action",
               changes={"state": [Concern.State.FURTHER_ACTION, concern.state], "notes": notes})
    return concern


def close_with_case(*, user, case) -> list[str]:
    """The case has ended (closed, or ended by the Provider Failure Policy): its concerns still marked for further
    action close with it. Called by the case's service inside its own transaction, after it checked who may end
    the case; each concern's own history records it. Returns the references closed."""
    closed = []
    for concern in Concern.objects.select_for_update().filter(case=case, state=Concern.State.FURTHER_ACTION):
        concern.close_after_further_action(notes=f"Case {case.reference} {case.get_level_display().lower()}", by=user)
        concern.save()
        record(actor=user, obj=concern, kind="concern_closed", summary=f"Closed with case {case.reference}",
               changes={"state": [Concern.State.FURTHER_ACTION, concern.state], "case": case.reference})
        closed.append(concern.reference)
    return closed


def record_jqmm_outcome(*, user, concern_id: int, further_action: bool, notes: str,
                        expected_state: str | None = None) -> Concern:
    """The JQMM chair's outcome for one agenda item (docs/process.md section 1, routing)."""
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_record_jqmm_outcome, user, concern)
        _check_expected_state(concern, expected_state)
        if concern.jqmm and concern.jqmm.meeting_date > timezone.localdate():
            raise ValidationError({"outcome": f"The {concern.jqmm} has not happened yet"})
        if further_action:
            concern.jqmm_further_action(notes=notes, by=user)
        else:
            concern.jqmm_no_further_action(notes=notes, by=user)
        concern.outcome_recorded_by, concern.outcome_recorded_at = user, timezone.now()
        concern.save()
        record(actor=user, obj=concern, kind="jqmm_outcome_recorded",
               summary=f"JQMM outcome: {concern.get_state_display()}",
               changes={"state": concern.state, "notes": notes, "jqmm": concern.jqmm})
        if further_action:
            outbox.enqueue(tasks.notify_further_action, concern.pk)
    return concern


def start_same_day_monitoring(*, user, concern_id: int, monitoring_date, carried_out_by: str,
                              note: str) -> SameDayMonitoring:
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_start_monitoring, user, concern)
        _check_open(concern, "monitoring_date")
        if monitoring_date < concern.received_on:
            raise ValidationError({"monitoring_date": "Monitoring cannot start before the concern was received"})
        entry = SameDayMonitoring.objects.create(
            concern=concern, monitoring_date=monitoring_date, carried_out_by=carried_out_by, note=note,
            recorded_by=user,
        )
        record(actor=user, obj=concern, kind="same_day_monitoring_started",
               summary=f"Same-day monitoring on {monitoring_date:%-d %B %Y}",
               changes={"monitoring_date": monitoring_date, "carried_out_by": carried_out_by, "note": note})
    return entry


def share_concern(*, user, concern_id: int, colleague) -> Concern:
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_share, user, concern)
        if not account_perms.is_staff_member(colleague) or not colleague.is_active:
            raise ValidationError({"colleague": "Choose an active member of staff"})
        concern.shared_with.add(colleague)
        record(actor=user, obj=concern, kind="concern_shared", summary=f"Shared with {colleague}",
               changes={"shared_with": colleague})
    return concern


def log_restricted_access_denied(*, user, concern: Concern) -> None:
    """Someone without clearance tried to open a restricted concern: keep a record."""
    with transaction.atomic():
        record(actor=user, obj=concern, kind="restricted_access_denied",
               summary=f"{user} was refused access to restricted concern {concern.reference}")


def require_case_clearance(*, user, case) -> None:
    """The one clearance rule for a case, for pages that show what is recorded on it or act on it: refuses anyone
    not cleared (PermissionDenied), after recording the refusal in its own transaction, so it stands."""
    if not perms.is_cleared_for_case(user, case):
        with transaction.atomic():
            record(actor=user, obj=case, kind="restricted_access_denied",
                   summary=f"{user} was refused the details of restricted case {case.reference}")
        raise PermissionDenied(perms.RESTRICTED_CASE_MESSAGE)


def schedule_jqmm(*, user, meeting_date, location: str = "", chair=None) -> JqmmMeeting:
    require(perms.can_schedule_jqmm, user)
    if meeting_date < timezone.localdate():
        raise ValidationError({"meeting_date": "A new JQMM must be today or in the future"})
    taken = ValidationError({"meeting_date": "A JQMM is already scheduled on that date"})
    with transaction.atomic():
        if JqmmMeeting.objects.filter(meeting_date=meeting_date).exists():
            raise taken
        try:
            # Two CQMs scheduling the same date at once both pass the check above; the unique date decides, and
            # the one who loses is told so on the page (the savepoint keeps this transaction usable).
            with transaction.atomic():
                meeting = JqmmMeeting.objects.create(meeting_date=meeting_date, location=location, chair=chair,
                                                     created_by=user)
        except IntegrityError as exc:
            raise taken from exc
        record(actor=user, obj=meeting, kind="jqmm_scheduled", summary=f"{meeting} scheduled",
               changes={"meeting_date": meeting_date, "location": location, "chair": chair})
    return meeting


def record_risk_assessment(*, user, concern_id: int, engagement: int, impact: int, level: str | None,
                           override_reason: str = "", notes: str = "") -> RiskAssessment:
    """Score engagement and impact; the current matrix recommends a level; another level needs a reason."""
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_assess_risk, user, concern)
        _check_open(concern, "engagement")
        matrix = RiskMatrix.current()
        recommended = matrix.level_for(engagement, impact)
        chosen = level or recommended
        if chosen not in RiskLevel.values:
            raise ValidationError({"level": "Choose a level"})
        if chosen != recommended and not override_reason.strip():
            raise ValidationError({"override_reason": "Enter why you chose a different level from the one recommended"})
        if chosen == recommended:
            override_reason = ""
        assessment = RiskAssessment.objects.create(
            provider=concern.provider, concern=concern, engagement=engagement, impact=impact, matrix=matrix,
            recommended_level=recommended, level=chosen, override_reason=override_reason, notes=notes,
            assessed_by=user,
        )
        record(actor=user, obj=assessment, kind="risk_assessed",
               summary=f"Engagement {engagement}, impact {impact}: {assessment.get_level_display()}",
               changes={"concern": concern, "engagement": engagement, "impact": impact,
                        "matrix_version": matrix.version, "recommended_level": recommended, "level": chosen,
                        "override_reason": override_reason, "notes": notes})
    return assessment


def create_matrix_version(*, user, cells: dict, note: str) -> RiskMatrix:
    require(account_perms.can_manage_risk_matrix, user)
    if not note.strip():
        raise ValidationError({"note": "Enter why the matrix is changing"})
    with transaction.atomic():
        current = RiskMatrix.objects.select_for_update().order_by("-version").first()
        if current and current.cells == cells:
            raise ValidationError({"note": "Nothing changed: the new version is the same as the current one"})
        matrix = RiskMatrix.objects.create(
            version=(current.version + 1) if current else 1, cells=cells, note=note, created_by=user
        )
        record(actor=user, obj=matrix, kind="risk_matrix_version_created", summary=f"{matrix} created: {note}",
               changes={k: [current.cells.get(k) if current else None, v] for k, v in cells.items()
                        if not current or current.cells.get(k) != v})
    return matrix


def link_to_case(*, user, concern_id: int, case) -> Concern:
    """Put a concern marked for further action on an escalation case about the same provider, once. The case
    service locks the case and calls this inside its own transaction; the link is recorded in the concern's own
    history (the case records it in its history too)."""
    with transaction.atomic():
        concern = _locked(concern_id)
        require(perms.can_link_to_case, user, concern)
        if concern.provider_id != case.provider_id:
            raise ValidationError({"concern": "That concern is about a different provider"})
        if concern.case_id:
            raise ValidationError({"concern": f"{concern.reference} is already linked to a case"})
        if concern.state != Concern.State.FURTHER_ACTION:
            raise ValidationError({"concern": "Only concerns marked for further action can be linked"})
        concern.case = case
        concern.save(update_fields=["case"])
        record(actor=user, obj=concern, kind="linked_to_case", summary=f"Linked to case {case.reference}",
               changes={"case": [None, case.reference]})
    return concern
