from django.contrib import admin

from audit.admin_classes import AuditedAdmin

from .models import Provider


@admin.register(Provider)
class ProviderAdmin(AuditedAdmin):
    list_display = ["name", "cqc_location_id", "town", "postcode", "placement_status"]
    search_fields = ["name", "cqc_location_id", "town", "postcode"]
    list_filter = ["placement_status"]
    readonly_fields = ["placement_status", "placement_status_since"]

    def has_delete_permission(self, request, obj=None):
        return False
