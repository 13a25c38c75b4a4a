"""Changes to the provider register. Placement status is changed only by the suspension routes."""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from accounts import roles
from accounts.permissions import can_manage_register
from accounts.roles import has_role
from audit.services import diff, record, record_many
from core import outbox

from . import importer, tasks
from .forms import MAX_CSV_BYTES
from .importer import ImportReport
from .models import ImportJob, PlacementStatus, Provider

log = logging.getLogger(__name__)

EDITABLE = ["cqc_location_id", "name", "address", "town", "postcode", "service_types", "registered_manager"]


def _require_admin(user):
    if not can_manage_register(user):
        raise PermissionDenied("Only administrators manage the provider register")


def save_provider(*, user, form) -> Provider:
    """Create or update a provider from a valid ProviderForm."""
    _require_admin(user)
    with transaction.atomic():
        before = model_to_dict(Provider.objects.get(pk=form.instance.pk), fields=EDITABLE) if form.instance.pk else {}
        provider = form.save()
        after = model_to_dict(provider, fields=EDITABLE)
        record(actor=user, obj=provider, kind="provider_updated" if before else "provider_created",
               summary=("Provider details changed" if before else "Provider added to the register"),
               changes=diff(before, after))
    return provider


SAVE_BATCH = 1000  # rows a bulk INSERT or UPDATE


def import_providers(*, user, report: ImportReport, file_name: str) -> dict:
    """All or nothing: imports only a report with no invalid row, in one transaction. The file's providers already
    on the register are read and locked in a few queries, saved with batched INSERTs and UPDATEs, and every
    provider added or changed gets its own `provider_imported` event (its history stays complete)."""
    _require_admin(user)
    if not report.is_valid:
        raise ValueError("An import with invalid rows imports nothing")
    counts = {"create": 0, "update": 0, "unchanged": 0}
    with transaction.atomic():
        keys = [row.location_id for row in report.rows]
        existing = {}
        for start in range(0, len(keys), 5000):
            existing.update((p.cqc_location_id, p) for p in Provider.objects.select_for_update().filter(
                cqc_location_id__in=keys[start:start + 5000]).order_by("pk"))
        added, changed = [], []
        for row in report.rows:
            instance = existing.get(row.location_id)
            before = model_to_dict(instance, fields=EDITABLE) if instance else {}
            provider = instance or Provider()
            for key in EDITABLE:
                setattr(provider, key, row.data.get(key, ""))
            provider.postcode = " ".join(provider.postcode.upper().split())
            changes = diff(before, {k: getattr(provider, k) for k in EDITABLE})
            if instance and not changes:
                counts["unchanged"] += 1
                continue
            (changed if instance else added).append((row, provider, changes))
        Provider.objects.bulk_create([provider for _, provider, _ in added], batch_size=SAVE_BATCH)
        now = timezone.now()
        for _, provider, _ in changed:
            provider.updated_at = now
        # An UPDATE a batch through INSERT ... ON CONFLICT (id) DO UPDATE of the editable fields: every row exists
        # and is locked, so each one is updated (20,000 changed rows: 5 s for the whole import, against 27 s with
        # bulk_update, whose CASE per field and row costs more to build than the database takes to run).
        Provider.objects.bulk_create([provider for _, provider, _ in changed], batch_size=SAVE_BATCH,
                                     update_conflicts=True, unique_fields=["pk"],
                                     update_fields=[*EDITABLE, "updated_at"])
        counts["create"], counts["update"] = len(added), len(changed)
        record_many(actor=user, kind="provider_imported", entries=[
            (provider, f"{verb} from CSV import {file_name} line {row.line}", changes)
            for verb, rows in (("Added", added), ("Updated", changed)) for row, provider, changes in rows])
    return counts


def start_import(*, user, file_name: str, content: bytes) -> ImportJob:
    """Keep the uploaded file and queue its import (providers.tasks.run_import, after commit). The file-level
    checks (size, UTF-8, headings, row count) are made now, so a wrong file is refused on the upload page."""
    _require_admin(user)
    if len(content) > MAX_CSV_BYTES:
        raise ValidationError({"csv_file": "The CSV file must be smaller than 5 MB"})
    report = importer.check_file(content)
    if report.file_errors:
        raise ValidationError({"csv_file": report.file_errors})
    with transaction.atomic():
        job = ImportJob.objects.create(file_name=file_name[:255], content=content, started_by=user,
                                       rows_total=report.rows_total)
        record(actor=user, obj=job, kind="provider_import_started",
               summary=f"CSV import of {file_name} started: {report.rows_total} rows")
        outbox.enqueue(tasks.run_import, job.pk)
    return job


def run_import(*, job_id: int) -> ImportJob:
    """The import itself, run by the Celery task for the person who started it: check every row (the page shows
    how many), then save all or nothing. Safe to run again (a worker lost part way): a finished import is left
    as it is, an unfinished one checks its rows again, since nothing was saved."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if not job.is_running:
            return job
        job.status, job.rows_done = ImportJob.Status.CHECKING, 0
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "rows_done", "started_at"])
    user = job.started_by
    if not can_manage_register(user):
        return _end_import(job_id, ImportJob.Status.FAILED, failure="The person who started this import no "
                           "longer manages the provider register, so nothing was imported")

    def progress(done, total):
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).update(rows_done=done,
                                                                                    rows_total=total)

    try:
        report = importer.parse(bytes(job.content), progress=progress)
        if not report.is_valid:
            return _end_import(job_id, ImportJob.Status.REFUSED, file_errors=report.file_errors, row_errors=[
                {"line": r.line, "location_id": r.location_id, "name": r.name, "errors": r.errors}
                for r in report.error_rows])
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.CHECKING).update(
            status=ImportJob.Status.SAVING)
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=job_id)
            if job.status != ImportJob.Status.SAVING:  # another worker got there first
                return job
            counts = import_providers(user=user, report=report, file_name=job.file_name)
            return _end_import(job_id, ImportJob.Status.DONE, created=counts["create"], updated=counts["update"],
                               unchanged=counts["unchanged"])
    except IntegrityError:
        log.warning("provider import %s: a location ID was added to the register while it ran", job_id)
        return _end_import(job_id, ImportJob.Status.FAILED, failure="A provider in the file was added to the "
                           "register by someone else while the import ran, so nothing was imported. Upload the "
                           "file again")
    except Exception:
        log.exception("provider import %s stopped", job_id)
        return _end_import(job_id, ImportJob.Status.FAILED, failure="The import stopped because of a problem on "
                           "the server, so nothing was imported. Upload the file again, or ask for help if it "
                           "happens again")


IMPORT_OUTCOMES = {
    ImportJob.Status.DONE: "provider_import_completed",
    ImportJob.Status.REFUSED: "provider_import_refused",
    ImportJob.Status.FAILED: "provider_import_failed",
}


def _end_import(job_id: int, status: str, **fields) -> ImportJob:
    """Record how an import ended, with one summary event on the import (in the caller's transaction when the
    import saved rows, so the providers, their events and the outcome commit together)."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job_id)
        if not job.is_running:
            return job
        for name, value in fields.items():
            setattr(job, name, value)
        job.status, job.finished_at, job.content = status, timezone.now(), b""
        if status == ImportJob.Status.DONE:
            job.rows_done = job.rows_total
            summary = f"{job.created} added, {job.updated} updated, {job.unchanged} unchanged"
            changes = {"added": job.created, "updated": job.updated, "unchanged": job.unchanged}
        elif status == ImportJob.Status.REFUSED:
            summary = (f"Nothing imported: {len(job.row_errors)} rows with errors"
                       + (f", {len(job.file_errors)} problems with the file" if job.file_errors else ""))
            changes = {"rows_with_errors": len(job.row_errors), "file_errors": job.file_errors}
        else:
            summary, changes = f"Nothing imported: {job.failure}", {}
        job.save()
        record(actor=job.started_by, obj=job, kind=IMPORT_OUTCOMES[status],
               summary=f"CSV import of {job.file_name}: {summary}", changes=changes)
    return job


PLACEMENT_FIELDS = ["placement_status", "placement_status_since", "placement_decision", "placement_case"]
PLACEMENT_DECIDERS = (roles.SPRG_MEMBER, roles.DASS, roles.ICB_COLLEAGUE)


def _require_placement_decider(user):
    """Placement status follows the decisions of the suspension routes: the SPRG's, and the DASS's (and an ICB
    colleague's) sign-off. The calling service has already checked the decision itself."""
    if not has_role(user, *PLACEMENT_DECIDERS):
        raise PermissionDenied("Only the SPRG, the DASS or an ICB colleague changes whether placements are made")


def set_placement_status(*, user, provider_id: int, status: str, decision: str, case,
                         on: datetime.date) -> Provider:
    """Record a new placement status on the provider, with the decision and case behind it, in the provider's
    own history. Runs inside the caller's transaction (the route decision and the status stand or fall together)."""
    _require_placement_decider(user)
    if status not in PlacementStatus.values:
        raise ValueError(f"Unknown placement status {status!r}")
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        if case.provider_id != provider.pk:
            raise ValueError("The case behind a placement status must be about this provider")
        before = {"placement_status": provider.placement_status,
                  "placement_status_since": provider.placement_status_since,
                  "placement_decision": provider.placement_decision, "placement_case": provider.placement_case_id}
        provider.placement_status = status
        provider.placement_status_since = on
        provider.placement_decision = decision[:300]
        provider.placement_case = case
        provider.save(update_fields=[*PLACEMENT_FIELDS, "updated_at"])
        record(actor=user, obj=provider, kind="placement_status_changed",
               summary=f"{provider.get_placement_status_display()}: {decision}",
               changes={**diff(before, {"placement_status": status, "placement_status_since": on,
                                        "placement_decision": provider.placement_decision,
                                        "placement_case": case.pk}),
                        "case": case.reference})
    return provider


def flag_provider_failure(*, user, provider_id: int, case, on: datetime.date) -> Provider:
    """The SPRG referred the provider to the Provider Failure Policy: flag it on the register, in its own history."""
    _require_placement_decider(user)
    with transaction.atomic():
        provider = Provider.objects.select_for_update().get(pk=provider_id)
        if case.provider_id != provider.pk:
            raise ValueError("The case behind the referral must be about this provider")
        before = provider.provider_failure_flagged_on
        provider.provider_failure_flagged_on = on
        provider.save(update_fields=["provider_failure_flagged_on", "updated_at"])
        record(actor=user, obj=provider, kind="provider_failure_flagged",
               summary=f"Referred under the Provider Failure Policy (case {case.reference})",
               changes={"provider_failure_flagged_on": [before, on], "case": case.reference})
    return provider
