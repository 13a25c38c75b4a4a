"""Queries for pages. Restricted concerns are listed to everyone, but flagged so templates hide the detail."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.roles import has_role
from accounts.selectors import shown_notifications

from . import permissions as perms
from .models import Concern, JqmmMeeting


def with_clearance(queryset, user):
    """Annotate `cleared`: may this user see the concern's details?"""
    if has_role(user, *perms.CLEARED_ROLES):
        return queryset.annotate(cleared=Q(pk__isnull=False))
    if not perms.can_see_concerns(user):
        return queryset.annotate(cleared=Q(pk__isnull=True))
    shared = Concern.shared_with.through.objects.filter(concern_id=OuterRef("pk"), user_id=user.pk)
    return queryset.annotate(cleared=Q(restricted=False) | Q(logged_by_id=user.pk) | Q(Exists(shared)))


def concern_list(user, *, state=None, provider=None):
    qs = Concern.objects.select_related("provider", "logged_by")
    if state:
        qs = qs.filter(state=state)
    if provider:
        qs = qs.filter(provider=provider)
    return with_clearance(qs, user)


def next_jqmm():
    return JqmmMeeting.objects.filter(meeting_date__gte=timezone.localdate()).order_by("meeting_date").first()


def home_for(user) -> dict:
    base = concern_list(user)
    meeting = next_jqmm()
    return {
        "logged_by_me": base.open().filter(logged_by=user)[:20],
        "awaiting_advice": base.filter(state=Concern.State.AWAITING_ADVICE)[:50],
        "awaiting_routing": base.filter(state=Concern.State.AWAITING_ROUTING)[:50],
        "awaiting_assessment": base.open().filter(risk_assessments__isnull=True)[:50],
        "next_jqmm": meeting,
        "jqmm_agenda": with_clearance(meeting.agenda.select_related("provider"), user) if meeting else [],
        "notifications": shown_notifications(user, user.notifications.filter(read_at__isnull=True)
                                             .select_related("case")[:10]),
    }


def jqmm_agenda(user, meeting):
    return with_clearance(meeting.agenda.select_related("provider"), user).order_by("received_on")
