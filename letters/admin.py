from django.contrib import admin

from audit.admin_classes import AuditedAdmin, ReadOnlyAdmin

from .models import Letter, LetterSettings, LetterTemplate
from .permissions import can_read


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
    # What a letter says (and to whom, and why it was withdrawn) is shown only to people cleared for the case:
    # administrators are not cleared for safeguarding-restricted concerns, and the PDF is downloaded from the
    # permission-checked letter page.
    FREE_TEXT = ["addressee", "free_text", "withdrawn_reason", "pdf"]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not can_read(request.user, obj):
            fields = [f for f in fields if f not in self.FREE_TEXT]
        return fields
