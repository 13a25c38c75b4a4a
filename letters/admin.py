from django.contrib import admin

from core.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Letter, LetterSettings, LetterTemplate


@admin.register(LetterSettings)
class LetterSettingsAdmin(AuditedAdmin):
    """Council name, address and signatory printed on every letter."""

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LetterTemplate)
class LetterTemplateAdmin(ReadOnlyAdmin):
    list_display = ["kind", "version", "subject", "created_by", "created_at"]


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdmin):
    list_display = ["reference", "kind", "case", "status", "issued_at", "delivered_on"]
