"""Changes to the provider register. Placement status is changed only by the suspension routes."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict

from accounts.permissions import can_manage_register
from audit.services import diff, record

from .importer import ImportReport
from .models import Provider

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


def import_providers(*, user, report: ImportReport, file_name: str) -> dict:
    """All or nothing: imports only a report with no invalid row, in one transaction."""
    _require_admin(user)
    if not report.is_valid:
        raise ValueError("An import with invalid rows imports nothing")
    counts = {"create": 0, "update": 0, "unchanged": 0}
    with transaction.atomic():
        for row in report.rows:
            instance = Provider.objects.select_for_update().filter(cqc_location_id=row.location_id).first()
            before = model_to_dict(instance, fields=EDITABLE) if instance else {}
            provider = instance or Provider()
            for key in EDITABLE:
                setattr(provider, key, row.data.get(key, ""))
            provider.postcode = " ".join(provider.postcode.upper().split())
            after = {k: getattr(provider, k) for k in EDITABLE}
            changes = diff(before, after)
            if instance and not changes:
                counts["unchanged"] += 1
                continue
            provider.full_clean()
            provider.save()
            counts["update" if instance else "create"] += 1
            record(actor=user, obj=provider, kind="provider_imported",
                   summary=f"{'Updated' if instance else 'Added'} from CSV import {file_name} line {row.line}",
                   changes=changes)
    return counts
