"""Queries for pages. Restricted concerns are listed to everyone, but flagged so templates hide the detail."""

import re

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.roles import has_role
from core.search import text_match
from providers.models import Provider

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


def filtered_concerns(user, *, q=None, state=None, source=None, restricted=None, received_from=None,
                      received_to=None, sort=None):
    """The concerns list, newest first, with its filters. A concern this person is not cleared for is listed only
    by its reference and status, so any other filter (source, dates, restricted, a provider's name, words of
    its text) leaves it out: filtering on its details would tell what the list does not show.

    The search `q` is a reference (or part of one), or words: those find a concern whose own text (CONCERN_TEXT,
    full-text on PostgreSQL through the GIN index of migration 0005) or whose provider's name holds them."""
    concerns = concern_list(user, state=state)
    detail = {"source": source, "restricted": {"yes": True, "no": False}.get(restricted),
              "received_on__gte": received_from, "received_on__lte": received_to}
    detail = {k: v for k, v in detail.items() if v is not None}
    if detail:
        concerns = concerns.filter(cleared=True, **detail)
    if q and (q := q.strip()):
        if REFERENCE.match(q):  # a reference, or part of one
            concerns = concerns.filter(Q(reference__iexact=q) | Q(reference__icontains=q, cleared=True))
        else:  # the register is small, so find the providers by name first and use the index
            providers = list(Provider.objects.filter(Q(name__icontains=q) | text_match(q, "name"))
                             .values_list("pk", flat=True)[:500])
            # The matching concerns as a subquery, which PostgreSQL runs once through the GIN index: inline, a
            # page of a rare word's few matches would read the text of every concern newest first to fill it.
            by_text = Concern.objects.filter(text_match(q, *CONCERN_TEXT)).values("pk")
            concerns = concerns.filter(Q(provider_id__in=providers) | Q(pk__in=by_text), cleared=True)
    # Only by the date received: sorting by provider would place a concern the person may not read among its
    # provider's rows.
    return concerns.order_by(*(("received_on", "id") if sort == "oldest" else ("-received_on", "-id")))


REFERENCE = re.compile(r"^(con-?)?[a-z]?\d+$", re.IGNORECASE)
#: A concern's own searchable text. Migration 0005 indexes exactly this expression: change the two together.
CONCERN_TEXT = ("reference", "description")


def next_jqmm():
    return JqmmMeeting.objects.filter(meeting_date__gte=timezone.localdate()).order_by("meeting_date").first()


WAITING_STATES = [Concern.State.AWAITING_ADVICE, Concern.State.AWAITING_ROUTING]


def jqmm_agenda(user, meeting):
    return with_clearance(meeting.agenda.select_related("provider"), user).order_by("received_on")


def has_full_clearance(user) -> bool:
    """CQMs and safeguarding leads are cleared for every restricted concern and case."""
    return has_role(user, *perms.CLEARED_ROLES)


def uncleared_concern_ids(user) -> set[int]:
    """The safeguarding-restricted concerns this person may not read: all of them for people with no role;
    for others, all but the ones they logged or that were shared with them (concerns.permissions.is_cleared,
    worked out for every concern at once)."""
    if has_full_clearance(user):
        return set()
    restricted = Concern.objects.filter(restricted=True)
    if perms.can_see_concerns(user) and getattr(user, "pk", None):
        restricted = restricted.exclude(logged_by_id=user.pk).exclude(shared_with__pk=user.pk)
    return set(restricted.values_list("pk", flat=True))
