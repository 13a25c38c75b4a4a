from django.contrib import admin

from audit.admin_classes import AuditedAdmin

from .models import NotificationRecipient


@admin.register(NotificationRecipient)
class NotificationRecipientAdmin(AuditedAdmin):
    """Who is told when a suspension comes into force or is lifted (docs/process.md, Route 2 step 5)."""

    list_display = ["name", "description", "active", "position"]
    list_editable = ["active", "position"]

    def has_delete_permission(self, request, obj=None):
        return False  # untick "active" instead: past checklists point at the recipient
