"""Queries for the pages that draw on several apps: each person's home page, the provider register and a
provider's page."""

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Replace

from concerns.models import Concern, RiskAssessment, RiskLevel
from concerns.permissions import can_see_concerns, cleared_case_ids
from concerns.selectors import WAITING_STATES, concern_list, has_full_clearance, next_jqmm, with_clearance
from core.search import text_match
from escalation.models import EscalationCase
from providers.models import Provider


def shown_notifications(user, notifications) -> list:
    """Set `shown_message` on each notification: its message, unless it is about a case this person is not
    cleared for now (the case may have become safeguarding-restricted after it was sent, and the message can
    quote the case), in which case only that there was an update on the case."""
    notifications = list(notifications)
    readable = cleared_case_ids(user, {note.case_id: note.case for note in notifications if note.case_id}.values())
    for note in notifications:
        if note.case_id is None:
            note.shown_message = note.message
            continue
        note.shown_message = note.message if note.case_id in readable else \
            f"Update on restricted case {note.case.reference}"
    return notifications


HOME_LIST = 10


def home_for(user) -> dict:
    meeting = next_jqmm()
    return {
        **concern_lists(user),
        "next_jqmm": meeting,
        "jqmm_agenda": list(with_clearance(meeting.agenda.select_related("provider"), user)[:HOME_LIST + 1])
        if meeting else [],
        "home_list": HOME_LIST,
        "notifications": shown_notifications(user, user.notifications.filter(read_at__isnull=True)
                                             .select_related("case")[:10]),
    }


def concern_lists(user) -> dict:
    """My work's four lists of concerns, the newest HOME_LIST of each and one more (to know whether to link to the
    whole list). On PostgreSQL they are one query, the four read side by side (UNION ALL); elsewhere four."""
    base = concern_list(user)
    lists = {
        "logged_by_me": base.open().filter(logged_by=user),
        "awaiting_advice": base.filter(state=Concern.State.AWAITING_ADVICE),
        "awaiting_routing": base.filter(state=Concern.State.AWAITING_ROUTING),
        # Each concern in one list: one still waiting for advice or routing is in that list, not this one too.
        # NOT EXISTS, not a LEFT JOIN ... IS NULL: PostgreSQL misjudges the join at volume and loops.
        "awaiting_assessment": base.open().exclude(state__in=WAITING_STATES)
        .filter(~Exists(RiskAssessment.objects.filter(concern=OuterRef("pk")))),
    }
    newest = {name: qs.order_by("-received_on", "-id")[:HOME_LIST + 1] for name, qs in lists.items()}
    if connection.vendor != "postgresql":  # SQLite cannot limit each part of a UNION
        return {name: list(qs) for name, qs in newest.items()}
    parts = [qs.annotate(home_list=Value(name)) for name, qs in newest.items()]
    out = {name: [] for name in lists}
    for concern in parts[0].union(*parts[1:], all=True):
        out[concern.home_list].append(concern)
    for rows in out.values():
        rows.sort(key=lambda c: (c.received_on, c.pk), reverse=True)
    return out


def with_concern_counts(providers):
    """Each provider with its numbers of open and of closed concerns (open_count, closed_count): two correlated
    counts on the (provider, state) index, in the providers' own query."""
    return providers.annotate(open_count=concerns_per_provider(Concern.objects.open()),
                              closed_count=concerns_per_provider(Concern.objects.closed()))


def concerns_per_provider(concerns):
    """How many of `concerns` each provider has: a correlated COUNT(*) on the (provider, state) index, 0 if none."""
    return Coalesce(Subquery(concerns.filter(provider=OuterRef("pk")).order_by().values("provider")
                             .annotate(n=Count("*")).values("n"), output_field=IntegerField()), Value(0))


def visible_assessments(user, provider):
    """Risk history, newest first, from assessments on concerns this person is cleared to see (and those made
    without a concern): the clearance rule in SQL, so one query however many there are."""
    cleared = with_clearance(Concern.objects.filter(provider=provider), user).filter(cleared=True).values("pk")
    return (provider.risk_assessments.select_related("assessed_by", "concern", "matrix")
            .filter(Q(concern__isnull=True) | Q(concern__in=cleared))
            .only(*ASSESSMENT_FIELDS))


# What the risk table and chart show of each assessment (a busy provider has thousands: nothing else is read).
ASSESSMENT_FIELDS = ("id", "provider_id", "assessed_at", "engagement", "impact", "level", "recommended_level",
                     "concern__id", "concern__reference", "concern__state", "matrix__id", "matrix__version",
                     "assessed_by__id", "assessed_by__first_name", "assessed_by__last_name", "assessed_by__username")


#: A provider's searchable text. Migration providers.0004 indexes exactly this expression: change the two together.
PROVIDER_TEXT = ("name", "town", "postcode", "cqc_location_id")


def provider_search(q: str):
    """The register, by name, each provider with its number of open concerns, found by `q` if given.

    The count is one correlated subquery on the (provider, state) index: ordering by it refers to its place in
    the SELECT list rather than running it again, and the page count (Paginator's COUNT) leaves it out."""
    qs = Provider.objects.annotate(open_concerns=concerns_per_provider(Concern.objects.open()))
    q = (q or "").strip()
    if q:
        qs = qs.alias(postcode_compact=Replace("postcode", Value(" "), Value(""))).filter(provider_match(q))
    return qs.order_by("name", "pk")


def provider_match(q: str) -> Q:
    """Part of a name, town, address, postcode (with or without its space) or CQC location ID; or, on
    PostgreSQL, the words of the name, town, postcode or location ID in any order and form ("oakwood lodges"
    finds "Oakwood Lodge"), found through the GIN index."""
    words = Provider.objects.filter(text_match(q, *PROVIDER_TEXT)).values("pk")
    match = (Q(name__icontains=q) | Q(town__icontains=q) | Q(address__icontains=q) | Q(postcode__icontains=q)
             | Q(cqc_location_id__icontains=q) | Q(pk__in=words))
    compact = q.replace(" ", "")
    return match | Q(postcode_compact__icontains=compact) if compact else match


def filtered_providers(user, *, q="", service_type="", placement_status="", open_case="", level="", sort="name"):
    """The provider register list: `provider_search` with the filters and sort order of its page, each provider
    with the level of its open case (`open_case_level`, empty if none) and the rank of its latest risk level
    (`latest_risk`, RiskLevel's order, None if never assessed) as far as this person may see: assessments on
    restricted concerns they are not cleared for do not count. Every value is a subquery or a filter in the
    one query, so a page costs the same however long the list."""
    open_cases = EscalationCase.objects.open().filter(provider=OuterRef("pk"))
    risk_rank = Case(*[When(level=value, then=Value(i)) for i, value in enumerate(RiskLevel.values)],
                     output_field=IntegerField())
    # The clearance rule for each assessment looked at (its concern by its key), not as a list of every cleared
    # concern: only the newest few of each provider are read.
    cleared = with_clearance(Concern.objects.filter(pk=OuterRef("concern_id")), user).filter(cleared=True)
    latest = (RiskAssessment.objects.filter(provider=OuterRef("pk")).filter(Q(concern__isnull=True) | Exists(cleared))
              .order_by("-assessed_at", "-id").annotate(rank=risk_rank).values("rank")[:1])
    providers = provider_search(q).annotate(
        open_case_level=Subquery(open_cases.values("level")[:1]),
        latest_risk=Subquery(latest, output_field=IntegerField()),
    )
    if service_type:
        providers = providers.alias(service_list=service_list()).filter(
            service_list__icontains=f",{service_type.strip()},")
    if placement_status:
        providers = providers.filter(placement_status=placement_status)
    if open_case:
        providers = providers.filter(Exists(open_cases) if open_case == "yes" else ~Exists(open_cases))
    if level == NO_OPEN_CASE:
        providers = providers.filter(~Exists(open_cases))
    elif level:
        providers = providers.filter(Exists(open_cases.filter(level=level)))
    return providers.order_by(*SORT_ORDER.get(sort, SORT_ORDER["name"]))


NO_OPEN_CASE = "none"
SORT_ORDER = {
    "name": ["name", "pk"],
    "open_concerns": [F("open_concerns").desc(), "name", "pk"],
    "risk": [F("latest_risk").desc(nulls_last=True), "name", "pk"],
}


def service_list():
    """A provider's service types as ",type one,type two," (the register keeps them as text separated by commas),
    so a filter finds one whole type: "Care home" is not "Care home with nursing"."""
    types = Replace(Replace("service_types", Value(", "), Value(",")), Value(" ,"), Value(","))
    return Concat(Value(","), types, Value(","), output_field=CharField())


def service_types() -> list[str]:
    """Every service type in the register, in order (one query over the distinct values)."""
    found = set()
    for text in Provider.objects.order_by().values_list("service_types", flat=True).distinct():
        found.update(t.strip() for t in text.split(",") if t.strip())
    return sorted(found, key=str.lower)


def risk_label(rank) -> str:
    """The name of a latest risk level from its rank (`filtered_providers`), empty if none."""
    return RiskLevel(RiskLevel.values[rank]).label if rank is not None else ""


def visible_risk_assessments(user):
    """Every risk assessment this person may see: the clearance rule in SQL, as on a provider's page."""
    if has_full_clearance(user):
        return RiskAssessment.objects.all()
    if not can_see_concerns(user):
        return RiskAssessment.objects.filter(concern__isnull=True)
    # with_clearance's rule, written on the assessment's own concern (a join, not a subquery a row)
    shared = Concern.shared_with.through.objects.filter(concern_id=OuterRef("concern_id"), user_id=user.pk)
    return RiskAssessment.objects.filter(Q(concern__isnull=True) | Q(concern__restricted=False)
                                         | Q(concern__logged_by_id=user.pk) | Q(Exists(shared)))


def risk_rising(user, limit: int = 20) -> tuple[list[dict], int]:
    """Providers whose latest risk assessment put them at a higher level than the one before it, as far as this
    person may see, highest first: (the first `limit`, how many in all). Each provider's newest two are read
    through the index on (provider, newest first): a few index probes a provider, not a pass over every
    assessment."""
    from concerns.models import RiskLevel

    newest = visible_risk_assessments(user).filter(provider=OuterRef("pk")).order_by("-assessed_at", "-id")
    rows = (Provider.objects.annotate(latest=Subquery(newest.values("level")[:1]),
                                      previous=Subquery(newest.values("level")[1:2]))
            .filter(previous__isnull=False).values_list("pk", "name", "latest", "previous"))
    rising = [(pk, name, latest, previous) for pk, name, latest, previous in rows
              if RiskLevel.rank(latest) > RiskLevel.rank(previous)]
    rising.sort(key=lambda r: (-RiskLevel.rank(r[2]), r[1]))
    shown = rising[:limit]
    when = dict(Provider.objects.filter(pk__in=[r[0] for r in shown])
                .annotate(at=Subquery(newest.values("assessed_at")[:1])).values_list("pk", "at"))
    return [{"pk": pk, "name": name, "latest_label": RiskLevel(latest).label,
             "previous_label": RiskLevel(previous).label, "latest_at": when[pk]}
            for pk, name, latest, previous in shown], len(rising)


def dashboard(user) -> dict:
    """A manager's overview: each number is a link to the list it counts."""
    import datetime

    from django.utils import timezone

    from deadlines.models import Deadline
    from deadlines.services import LIVE
    from escalation.models import LADDER, EscalationCase, Level, Route
    from escalation.selectors import filtered_cases

    today = timezone.localdate()
    by_level = dict(EscalationCase.objects.open().values_list("level").annotate(n=Count("pk")).order_by())
    by_route = dict(EscalationCase.objects.exclude(route=Route.NONE).open().values_list("route")
                    .annotate(n=Count("pk")).order_by())
    live = Deadline.objects.filter(status__in=LIVE)
    rising, rising_total = risk_rising(user)
    return {
        "levels": [{"value": v, "label": Level(v).label, "n": by_level.get(v, 0)} for v in LADDER],
        "routes": [{"value": v, "label": label, "n": by_route.get(v, 0)}
                   for v, label in Route.choices if v != Route.NONE and v != Route.PROVIDER_FAILURE],
        "overdue": live.filter(due_date__lt=today).count(),
        "due_this_week": live.filter(due_date__gte=today, due_date__lte=today + datetime.timedelta(days=7)).count(),
        "quiet_days": QUIET_DAYS,
        "quiet": filtered_cases(quiet_days=QUIET_DAYS).count(),
        "rising": rising, "rising_total": rising_total,
    }


QUIET_DAYS = 30  # "no activity" on the dashboard: nothing recorded on an open case for a month
