"""Oversight actions: ask for a meeting pack (built by a worker), download it, export a case's whole record.
Each checks permission, writes its audit event in the same transaction and queues work after commit."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from audit.services import record
from concerns.permissions import cleared_case_ids
from core import outbox
from core.rules import require
from letters.models import LetterSettings
from letters.rendering import LOGO_URL, render_pdf_and_count

from . import packs, tasks
from .models import PackJob
from .permissions import BUILDERS, can_export_case_record, can_open_pack

log = logging.getLogger(__name__)

MAX_DAYS_AHEAD = 366


def request_pack(*, user, kind: str, meeting_date: datetime.date) -> tuple[PackJob, bool]:
    """Queue a pack for a meeting. Asking again while that person's pack for that meeting is being built gives
    the same job (False: nothing new was queued); once it is ready, asking again builds a fresh one."""
    if kind not in BUILDERS:
        raise ValidationError({"kind": "Select which pack to build"})
    require(BUILDERS[kind], user)
    today = timezone.localdate()
    if meeting_date > today + datetime.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError({"meeting_date": "The meeting date must be within a year from today"})
    running = PackJob.objects.filter(kind=kind, meeting_date=meeting_date, requested_by=user,
                                     status__in=PackJob.RUNNING)
    _give_up_stuck(running)
    existing = running.first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            job = PackJob.objects.create(kind=kind, meeting_date=meeting_date, requested_by=user)
            record(actor=user, obj=job, kind="pack_requested", summary=f"{job} asked for")
            outbox.enqueue(tasks.build_pack, job.pk)
    except IntegrityError:  # the same person asked twice at the same moment: the first request's job
        existing = running.first()
        if existing is None:
            raise
        return existing, False
    return job, True


STUCK_AFTER = datetime.timedelta(minutes=15)  # a pack takes seconds; one waiting this long lost its worker


def _give_up_stuck(running):
    """A job queued or building for longer than STUCK_AFTER lost its message or its worker: mark it stopped, so
    asking again builds a new pack instead of pointing at one that will never be ready."""
    with transaction.atomic():
        for job in running.select_for_update().filter(created_at__lt=timezone.now() - STUCK_AFTER):
            job.status, job.finished_at = PackJob.Status.FAILED, timezone.now()
            job.failure = "The pack was not built in time. Ask for it again"
            job.save(update_fields=["status", "finished_at", "failure"])
            record(actor=None, obj=job, kind="pack_failed", summary=f"{job}: not built in time")


def build_pack(*, job_id: int) -> PackJob:
    """Run by the worker: gather each case (the page shows how many are done), then render the PDF. Safe to run
    again: a finished pack is left as it is."""
    with transaction.atomic():
        job = PackJob.objects.select_for_update().select_related("requested_by").get(pk=job_id)
        if not job.is_running:
            return job
        job.status, job.started_at, job.items_done = PackJob.Status.BUILDING, timezone.now(), 0
        job.save(update_fields=["status", "started_at", "items_done"])
    user = job.requested_by
    try:
        if not BUILDERS[job.kind](user):
            return _finish(job, PackJob.Status.FAILED, failure="The person who asked for this pack may no longer "
                           "build it, so it was not built")
        cases = packs.cases_for(job.kind)
        PackJob.objects.filter(pk=job.pk).update(items_total=len(cases))
        sections = []
        for done, case in enumerate(cases, start=1):
            sections.append(packs.section(job.kind, case, user, job.meeting_date))
            if done % 5 == 0 or done == len(cases):
                PackJob.objects.filter(pk=job.pk).update(items_done=done)
        left_out = sum(not s["cleared"] for s in sections)
        shown = [s["case"].pk for s in sections if s["cleared"]]
        settings = LetterSettings.current()
        html = render_to_string("oversight/pack.html", {
            "job": job, "sections": sections, "left_out": left_out, "settings": settings,
            "logo_uri": LOGO_URL if settings.logo else "", "built_at": timezone.now(),
            "overdue": packs.overdue_deadlines([s["case"] for s in sections], job.meeting_date),
            "decisions": [s for s in sections if not s["for_information"]],
        })
        pdf, pages = render_pdf_and_count(html, letter_settings=settings)
        return _finish(job, PackJob.Status.DONE, pdf=pdf, pages=pages, left_out=left_out, items_done=len(cases),
                       shown_in_full=shown)
    except Exception:
        log.exception("pack %s stopped", job_id)
        return _finish(job, PackJob.Status.FAILED, failure="The pack stopped because of a problem on the server. "
                       "Ask for it again, or ask for help if it happens again")


def _finish(job, status, **fields) -> PackJob:
    with transaction.atomic():
        job = PackJob.objects.select_for_update().get(pk=job.pk)
        if not job.is_running:
            return job
        for name, value in fields.items():
            setattr(job, name, value)
        job.status, job.finished_at = status, timezone.now()
        job.save()
        record(actor=None, obj=job, kind="pack_built" if status == PackJob.Status.DONE else "pack_failed",
               summary=f"{job}: {job.get_status_display().lower()}"
               + (f", {job.items_done} providers, {job.pages} pages" if status == PackJob.Status.DONE else ""))
    return job


class PackOutOfDate(Exception):
    """The reader may no longer see everything the pack shows: it must be built again for them."""


def download_pack(*, user, job: PackJob) -> bytes:
    """The PDF, for the person who asked for it, while they may still build it and are still cleared for every
    case it shows in full (a concern may have become restricted, or their role changed, since it was built);
    each download is in the audit log."""
    require(can_open_pack, user, job)
    if job.status != PackJob.Status.DONE or not job.pdf:
        raise PermissionDenied("This pack is not ready")
    if not still_readable(user, job):
        raise PackOutOfDate("The records or your access have changed since this pack was built, so it cannot be "
                            "downloaded. Build a fresh pack")
    with transaction.atomic():
        record(actor=user, obj=job, kind="pack_downloaded", summary=f"{job} downloaded")
    return bytes(job.pdf)


def still_readable(user, job: PackJob) -> bool:
    from escalation.models import EscalationCase

    if not BUILDERS[job.kind](user):
        return False
    cases = list(EscalationCase.objects.filter(pk__in=job.shown_in_full))
    return len(cases) == len(job.shown_in_full) and cleared_case_ids(user, cases) == set(job.shown_in_full)


PACKS_KEPT_FOR = datetime.timedelta(days=90)  # after the meeting; the minutes are the record, not the pack


def forget_old_packs() -> int:
    """The PDFs of packs for meetings more than PACKS_KEPT_FOR ago are deleted (the job row stays, as history)."""
    old = PackJob.objects.filter(meeting_date__lt=timezone.localdate() - PACKS_KEPT_FOR, pdf__isnull=False)
    return old.update(pdf=None)


def export_case_record(*, user, case):
    """The case's whole record as one ZIP (oversight.bundle), for a complaint, an Ombudsman enquiry or a subject
    access request. Refused unless the person may read the whole case; the export itself is audited."""
    from . import bundle

    require(can_export_case_record, user, case)
    data, manifest = bundle.build(case, user)
    with transaction.atomic():
        record(actor=user, obj=case, kind="case_record_exported",
               summary=f"Whole record exported: {len(manifest)} files", changes={"files": len(manifest)})
    return data
