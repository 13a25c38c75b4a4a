"""Changes to the provider register. Placement status is changed only by the suspension routes."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.forms.models import model_to_dict

from accounts import roles
from accounts.permissions import can_manage_register
from accounts.roles import has_role
from audit.services import diff, record

from .importer import ImportReport
from .models import PlacementStatus, Provider

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
