from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Concern, JqmmMeeting, RiskAssessment, RiskMatrix


@admin.register(Concern)
class ConcernAdmin(ReadOnlyAdmin):
    list_display = ["reference", "provider", "source", "received_on", "state", "restricted"]
    list_filter = ["state", "source", "restricted"]
    search_fields = ["reference", "provider__name"]

    def get_fields(self, request, obj=None):  # restricted details stay in the permission-checked pages
        return ["reference", "provider", "source", "received_on", "state", "restricted", "logged_by"]


@admin.register(RiskMatrix)
class RiskMatrixAdmin(ReadOnlyAdmin):
    list_display = ["version", "note", "created_by", "created_at"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["provider", "engagement", "impact", "level", "assessed_by", "assessed_at"]
    fields = ["provider", "concern", "engagement", "impact", "matrix", "recommended_level", "level", "assessed_by",
              "assessed_at"]


@admin.register(JqmmMeeting)
class JqmmMeetingAdmin(ReadOnlyAdmin):
    list_display = ["meeting_date", "location", "chair"]
