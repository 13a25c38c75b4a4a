from django.contrib import admin

from audit.admin_classes import AuditedAdmin

from .models import PlacingAuthority


@admin.register(PlacingAuthority)
class PlacingAuthorityAdmin(AuditedAdmin):
    """The councils that place people with providers (the list an import's "Placing authority" column is checked
    against). Each change is recorded in the audit log."""

    list_display = ["name", "code", "is_this_council"]
    search_fields = ["name", "code"]

    def has_delete_permission(self, request, obj=None):
        return False  # placements point at their authority
