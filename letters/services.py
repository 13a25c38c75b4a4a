"""Drafting, issuing, delivering and withdrawing letters; template versions. One function per action."""

import hashlib
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from audit.services import record
from core.dates import long_date
from core.evidence import atomic_with_files, store_file
from core.rules import require
from deadlines import services as deadlines
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from escalation.models import EscalationCase

from . import permissions as perms
from .merge_fields import fields_used
from .models import Letter, LetterKind, LetterTemplate
from .rendering import render_html, render_pdf

IMPROVEMENT_PLAN_WORKING_DAYS = 5  # docs/process.md, Route 1 step 3


def _require(ok, message="You do not have permission to do that"):
    if not ok:
        raise PermissionDenied(message)


def _locked_draft(letter_id) -> Letter:
    letter = Letter.objects.select_for_update().select_related("case__provider").get(pk=letter_id)
    if letter.status != Letter.Status.DRAFT:
        raise ValidationError({"free_text": f"{letter.reference} has been {letter.get_status_display().lower()}; "
                                            "it can no longer be edited"})
    return letter


def create_draft(*, user, case_id: int, kind: str, addressee: str, free_text: str = "", meeting_date=None) -> Letter:
    require(perms.can_draft, user)
    if kind not in LetterKind.values:
        raise ValidationError({"kind": "Choose the kind of letter"})
    with transaction.atomic():
        case = EscalationCase.objects.select_for_update().get(pk=case_id)
        require(perms.can_draft, user, case)
        letter = Letter.objects.create(reference=f"new-{uuid.uuid4().hex[:12]}", case=case, kind=kind,
                                       addressee=addressee, free_text=free_text, meeting_date=meeting_date,
                                       created_by=user)
        letter.reference = f"LET-{letter.pk:05d}"
        letter.save(update_fields=["reference"])
        record(actor=user, obj=case, kind="letter_drafted", summary=f"{letter} drafted",
               changes={"letter": letter.reference, "kind": kind})
    return letter


def draft_for_decision(*, user, case_id: int, kind: str, addressee: str) -> Letter:
    """A letter drafted by the service that records a decision, in its transaction, by the person who decided (an
    appeal's outcome letter: the DASS or a DMT member, who do not draft letters themselves). The caller's service
    has checked that they may make the decision; this checks they may read the case's letters. A CQM issues it
    like any other draft (issue_letter)."""
    if kind not in LetterKind.values:
        raise ValidationError({"kind": "Choose the kind of letter"})
    with transaction.atomic():
        case = EscalationCase.objects.select_for_update().get(pk=case_id)
        require(perms.can_read, user, case)
        letter = Letter.objects.create(reference=f"new-{uuid.uuid4().hex[:12]}", case=case, kind=kind,
                                       addressee=addressee, created_by=user)
        letter.reference = f"LET-{letter.pk:05d}"
        letter.save(update_fields=["reference"])
        record(actor=user, obj=case, kind="letter_drafted", summary=f"{letter} drafted",
               changes={"letter": letter.reference, "kind": kind})
    return letter


def update_draft(*, user, letter_id: int, addressee: str, free_text: str, meeting_date=None) -> Letter:
    require(perms.can_draft, user)
    with transaction.atomic():
        letter = _locked_draft(letter_id)
        require(perms.can_draft, user, letter.case)
        letter.addressee, letter.free_text, letter.meeting_date = addressee, free_text, meeting_date
        letter.save()
        record(actor=user, obj=letter.case, kind="letter_draft_changed", summary=f"{letter} draft changed",
               changes={"letter": letter.reference, "free_text": free_text})
    return letter


def preview_pdf(*, user, letter_id: int) -> bytes:
    _require(perms.can_draft(user) or perms.can_issue(user))
    letter = Letter.objects.select_related("case__provider").get(pk=letter_id)
    require(perms.can_read, user, letter)
    template = letter.template if letter.status != Letter.Status.DRAFT else LetterTemplate.latest(letter.kind)
    return render_pdf(render_html(letter, template, draft=letter.status == Letter.Status.DRAFT))


def _missing_fields(letter, template) -> dict:
    used = fields_used(template.body) | fields_used(template.subject)
    errors = {}
    if not letter.addressee.strip():
        errors["addressee"] = "Enter the addressee's name and address"
    if "free_text" in used and not letter.free_text.strip():
        errors["free_text"] = "Enter the text of the letter: this template needs it"
    if "meeting_date" in used and not letter.meeting_date:
        errors["meeting_date"] = "Enter the meeting date: this template needs it"
    return errors


def issue_letter(*, user, letter_id: int) -> Letter:
    """Render with the latest template version, store the PDF bytes and their SHA-256: never changed after."""
    require(perms.can_issue, user)
    with atomic_with_files():  # the PDF file goes again if issuing rolls back
        letter = _locked_draft(letter_id)
        require(perms.can_issue, user, letter)
        template = LetterTemplate.latest(letter.kind)
        errors = _missing_fields(letter, template)
        if errors:
            raise ValidationError(errors)
        issued_at = timezone.now()
        pdf = render_pdf(render_html(letter, template, issue_date=timezone.localdate()))
        letter.template, letter.issued_by, letter.issued_at = template, user, issued_at
        letter.sha256 = hashlib.sha256(pdf).hexdigest()
        letter.status = Letter.Status.ISSUED
        store_file(letter.pdf, f"{letter.reference}.pdf", ContentFile(pdf))
        Letter.objects.filter(pk=letter.pk).update(
            template=template, issued_by=user, issued_at=issued_at, sha256=letter.sha256, status=letter.status,
            pdf=letter.pdf.name)
        record(actor=user, obj=letter.case, kind="letter_issued", summary=f"{letter} issued",
               changes={"letter": letter.reference, "template": str(template), "sha256": letter.sha256})
    return Letter.objects.get(pk=letter.pk)


def record_delivery(*, user, letter_id: int, delivered_on) -> Letter:
    """The date of delivery starts the deadlines that count from it (the at-risk letter's 5 working days)."""
    require(perms.can_draft, user)
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("case").get(pk=letter_id)
        require(perms.can_draft, user, letter.case)
        if letter.status != Letter.Status.ISSUED:
            raise ValidationError({"delivered_on": "Only an issued letter has a delivery date"})
        if letter.delivered_on:
            raise ValidationError(
                {"delivered_on": f"Delivery was already recorded as {long_date(letter.delivered_on)}"})
        if delivered_on < timezone.localtime(letter.issued_at).date():
            raise ValidationError({"delivered_on": "The delivery date cannot be before the letter was issued"})
        if delivered_on > timezone.localdate():
            raise ValidationError({"delivered_on": "The delivery date cannot be in the future"})
        letter.delivered_on = delivered_on
        letter.save()
        if letter.kind == LetterKind.AT_RISK and letter.case.improvement_plan() is None:  # not already written
            deadlines.schedule(key=f"improvement_plan:letter:{letter.pk}", kind=Deadline.Kind.IMPROVEMENT_PLAN,
                               case=letter.case, due_date=add_working_days(delivered_on, IMPROVEMENT_PLAN_WORKING_DAYS))
        record(actor=user, obj=letter.case, kind="letter_delivered",
               summary=f"{letter} delivered {long_date(delivered_on)}",
               changes={"letter": letter.reference, "delivered_on": delivered_on})
    return letter


def withdraw_letter(*, user, letter_id: int, reason: str) -> Letter:
    require(perms.can_issue, user)
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the letter is withdrawn"})
    with transaction.atomic():
        letter = Letter.objects.select_for_update().select_related("case").get(pk=letter_id)
        require(perms.can_issue, user, letter)
        if letter.status != Letter.Status.ISSUED:
            raise ValidationError({"reason": "Only an issued letter can be withdrawn"})
        letter.status, letter.withdrawn_reason = Letter.Status.WITHDRAWN, reason
        letter.withdrawn_by, letter.withdrawn_at = user, timezone.now()
        letter.save()
        record(actor=user, obj=letter.case, kind="letter_withdrawn", summary=f"{letter} withdrawn",
               changes={"letter": letter.reference, "reason": reason})
    return letter


def create_template_version(*, user, kind: str, subject: str, body: str, note: str) -> LetterTemplate:
    """An edit is a new version; unknown merge fields are refused now, not when a letter is sent."""
    require(perms.can_manage_templates, user)
    if not note.strip():
        raise ValidationError({"note": "Enter why the template is changing"})
    with transaction.atomic():
        current = LetterTemplate.objects.select_for_update().filter(kind=kind).order_by("-version").first()
        template = LetterTemplate(kind=kind, version=(current.version + 1) if current else 1, subject=subject,
                                  body=body, note=note, created_by=user)
        template.save()
        record(actor=user, obj=template, kind="letter_template_version_created", summary=f"{template}: {note}",
               changes={"subject": subject, "body": body})
    return template
