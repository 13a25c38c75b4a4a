from django.contrib import admin

from audit.admin_classes import ReadOnlyAdmin

from .models import Concern, JqmmMeeting, RiskAssessment, RiskMatrix
from .selectors import uncleared_concern_ids


@admin.register(Concern)
class ConcernAdmin(ReadOnlyAdmin):
    list_display = ["reference", "provider", "source", "received_on", "state", "restricted"]
    list_filter = ["state", "source", "restricted"]
    search_fields = ["reference", "provider__name"]

    def get_fields(self, request, obj=None):  # restricted details stay in the permission-checked pages
        return ["reference", "provider", "source", "received_on", "state", "restricted", "logged_by"]

    def get_queryset(self, request):
        # Restricted concerns the viewer is not cleared for are left out: the provider, source, dates and state
        # of one are shown only to cleared people (the concern pages show others just the reference).
        return super().get_queryset(request).exclude(pk__in=uncleared_concern_ids(request.user))


@admin.register(RiskMatrix)
class RiskMatrixAdmin(ReadOnlyAdmin):
    list_display = ["version", "note", "created_by", "created_at"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["provider", "engagement", "impact", "level", "assessed_by", "assessed_at"]
    fields = ["provider", "concern", "engagement", "impact", "matrix", "recommended_level", "level", "assessed_by",
              "assessed_at"]

    def get_queryset(self, request):
        # Assessments of restricted concerns the viewer is not cleared for are left out, as on the provider page
        # and its risk chart: the scores and levels follow from the concern.
        return super().get_queryset(request).exclude(concern_id__in=uncleared_concern_ids(request.user))


@admin.register(JqmmMeeting)
class JqmmMeetingAdmin(ReadOnlyAdmin):
    list_display = ["meeting_date", "location", "chair"]
