from django.contrib import admin

from audit.admin_classes import AuditedAdmin

from .models import AuditDomain, AuditStandard, VisitFrequency


@admin.register(VisitFrequency)
class VisitFrequencyAdmin(AuditedAdmin):
    """How often providers are visited, by risk level and CQC rating. The visit programme follows a change the
    next night (or when a provider's next visit is recorded). Each change is recorded in the audit log."""

    list_display = ["risk_level", "rating", "months"]
    list_editable = ["months"]
    list_filter = ["risk_level", "rating"]

    def has_delete_permission(self, request, obj=None):
        return False  # every pair keeps a frequency

    def has_add_permission(self, request):
        return False  # every risk level and rating pair is already there


@admin.register(AuditDomain)
class AuditDomainAdmin(AuditedAdmin):
    list_display = ["number", "name"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditStandard)
class AuditStandardAdmin(AuditedAdmin):
    list_display = ["number", "name", "domain"]
    list_filter = ["domain"]

    def has_delete_permission(self, request, obj=None):
        return False  # audits keep their ratings of each standard
