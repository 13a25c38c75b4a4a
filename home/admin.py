from django.contrib import admin
from django.db.models import Q

from audit.admin_classes import ReadOnlyAdmin
from audit.models import Event

from .clearance import annotate_hidden, hidden_events_q

RESTRICTED = "Restricted"


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "kind", "shown_object", "shown_summary"]
    list_filter = ["kind", "content_type"]
    search_fields = ["object_repr", "summary", "actor__username"]
    date_hierarchy = "at"
    # `changes` can hold safeguarding-restricted details; administrators are not cleared for them, so the
    # admin shows who did what and when, and the details stay behind the permission-checked pages. The summary
    # and the object's name of an event about a restricted concern, risk assessment or case show as "Restricted"
    # to anyone not cleared for it.
    fields = ["at", "actor", "kind", "content_type", "object_id", "shown_object", "shown_summary"]
    readonly_fields = ["shown_object", "shown_summary"]

    def get_queryset(self, request):
        return annotate_hidden(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        event = super().get_object(request, object_id, from_field)
        if event is not None and getattr(event, "detail_hidden", True):
            event.object_repr = RESTRICTED  # in memory only: the page's title and breadcrumbs quote it
        return event

    @admin.display(description="Object")
    def shown_object(self, obj):
        return RESTRICTED if getattr(obj, "detail_hidden", True) else obj.object_repr

    @admin.display(description="Summary")
    def shown_summary(self, obj):
        return RESTRICTED if getattr(obj, "detail_hidden", True) else obj.summary

    def get_search_results(self, request, queryset, search_term):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        hidden = hidden_events_q(request.user)
        term = search_term.strip()
        if term and hidden is not None:
            # A restricted event's summary is not searchable by people not cleared for it: it matches only on
            # what they may see (who acted).
            visible_match = Q(actor__username__icontains=term)
            results = results.exclude(hidden & ~visible_match)
        return results, may_have_duplicates
