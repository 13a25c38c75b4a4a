from django.contrib import admin
from django.db import transaction
from django.forms.models import model_to_dict

from .services import diff, record


class AuditedAdmin(admin.ModelAdmin):
    """Admin changes write the same audit event as any other change, in the same transaction."""

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            before = model_to_dict(type(obj).objects.get(pk=obj.pk)) if change else {}
            super().save_model(request, obj, form, change)
            after = model_to_dict(obj)
            changes = diff({k: before.get(k) for k in after}, after)
            changes.pop("password", None)
            record(actor=request.user, obj=obj, kind=f"{obj._meta.model_name}_{'changed' if change else 'created'}",
                   summary=f"{obj._meta.verbose_name} {'changed' if change else 'created'} in administration",
                   changes=changes)

    def save_related(self, request, form, formsets, change):
        with transaction.atomic():
            super().save_related(request, form, formsets, change)
            if "groups" in form.cleaned_data:
                record(actor=request.user, obj=form.instance, kind="roles_set",
                       summary="Roles set in administration",
                       changes={"roles": sorted(g.name for g in form.cleaned_data["groups"])})

    def delete_model(self, request, obj):
        with transaction.atomic():
            record(actor=request.user, obj=obj, kind=f"{obj._meta.model_name}_deleted",
                   summary=f"{obj._meta.verbose_name} deleted in administration")
            super().delete_model(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through services (state machines, audit) are read-only here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
