from django.contrib import admin

from core.admin import ReadOnlyAdmin

from .models import Event


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "kind", "object_repr", "summary"]
    list_filter = ["kind", "content_type"]
    search_fields = ["object_repr", "summary", "actor__username"]
    date_hierarchy = "at"
    # `changes` can hold safeguarding-restricted details; administrators are not cleared for them, so the
    # admin shows who did what and when, and the details stay behind the permission-checked pages.
    fields = ["at", "actor", "kind", "content_type", "object_id", "object_repr", "summary"]
