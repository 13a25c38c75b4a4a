"""Queries for the pages that draw on several apps: each person's home page, the provider register and a
provider's page."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from concerns.models import Concern, RiskAssessment
from concerns.selectors import WAITING_STATES, concern_list, next_jqmm, with_clearance
from escalation.permissions import can_read_case
from providers.models import Provider


def shown_notifications(user, notifications) -> list:
    """Set `shown_message` on each notification: its message, unless it is about a case this person is not
    cleared for now (the case may have become safeguarding-restricted after it was sent, and the message can
    quote the case), in which case only that there was an update on the case."""
    cleared = {}
    notifications = list(notifications)
    for note in notifications:
        if note.case_id is None:
            note.shown_message = note.message
            continue
        if note.case_id not in cleared:
            cleared[note.case_id] = can_read_case(user, note.case)
        note.shown_message = note.message if cleared[note.case_id] else \
            f"Update on restricted case {note.case.reference}"
    return notifications


def home_for(user) -> dict:
    base = concern_list(user)
    meeting = next_jqmm()
    return {
        "logged_by_me": base.open().filter(logged_by=user)[:20],
        "awaiting_advice": base.filter(state=Concern.State.AWAITING_ADVICE)[:50],
        "awaiting_routing": base.filter(state=Concern.State.AWAITING_ROUTING)[:50],
        # Each concern in one list: one still waiting for advice or routing is in that list, not this one too.
        # NOT EXISTS, not a LEFT JOIN ... IS NULL: PostgreSQL misjudges the join at volume and loops.
        "awaiting_assessment": base.open().exclude(state__in=WAITING_STATES)
        .filter(~Exists(RiskAssessment.objects.filter(concern=OuterRef("pk"))))[:50],
        "next_jqmm": meeting,
        "jqmm_agenda": with_clearance(meeting.agenda.select_related("provider"), user) if meeting else [],
        "notifications": shown_notifications(user, user.notifications.filter(read_at__isnull=True)
                                             .select_related("case")[:10]),
    }


def visible_assessments(user, provider):
    """Risk history, newest first, from assessments on concerns this person is cleared to see (and those made
    without a concern): the clearance rule in SQL, so one query however many there are."""
    cleared = with_clearance(Concern.objects.filter(provider=provider), user).filter(cleared=True).values("pk")
    return (provider.risk_assessments.select_related("assessed_by", "concern", "matrix")
            .filter(Q(concern__isnull=True) | Q(concern__in=cleared)))


def provider_search(q: str):
    """The register, each provider with its number of open concerns."""
    open_per_provider = (Concern.objects.open().filter(provider=OuterRef("pk")).order_by()
                         .values("provider").annotate(n=Count("pk")).values("n"))
    qs = Provider.objects.annotate(
        open_concerns=Coalesce(Subquery(open_per_provider, output_field=IntegerField()), Value(0))
    )
    q = (q or "").strip()
    if q:
        qs = qs.filter(
            Q(name__icontains=q) | Q(town__icontains=q) | Q(cqc_location_id__iexact=q)
            | Q(cqc_location_id__icontains=q) | Q(postcode__icontains=q) | Q(address__icontains=q)
        )
    return qs.order_by("name")


def visible_risk_assessments(user):
    """Every risk assessment this person may see: the clearance rule in SQL, as on a provider's page."""
    cleared = with_clearance(Concern.objects.all(), user).filter(cleared=True).values("pk")
    return RiskAssessment.objects.filter(Q(concern__isnull=True) | Q(concern__in=cleared))


def risk_rising(user, limit: int = 20) -> tuple[list[dict], int]:
    """Providers whose latest risk assessment put them at a higher level than the one before it, as far as this
    person may see, highest first: (the first `limit`, how many in all). One pass over the assessments: each
    provider's newest two, numbered by a window function."""
    from django.db.models import F, Window
    from django.db.models.functions import RowNumber

    from concerns.models import RiskLevel

    newest_two = (visible_risk_assessments(user)
                  .annotate(n=Window(RowNumber(), partition_by=F("provider_id"),
                                     order_by=[F("assessed_at").desc(), F("id").desc()]))
                  .filter(n__lte=2).values_list("provider_id", "n", "level", "assessed_at"))
    latest, previous = {}, {}
    for provider_id, n, level, at in newest_two:
        (latest if n == 1 else previous)[provider_id] = (level, at)
    rising = [pk for pk in previous if RiskLevel.rank(latest[pk][0]) > RiskLevel.rank(previous[pk][0])]
    rising.sort(key=lambda pk: -RiskLevel.rank(latest[pk][0]))
    names = dict(Provider.objects.filter(pk__in=rising[:limit]).values_list("pk", "name"))
    shown = [{"pk": pk, "name": names[pk], "latest_label": RiskLevel(latest[pk][0]).label,
              "previous_label": RiskLevel(previous[pk][0]).label, "latest_at": latest[pk][1]} for pk in rising[:limit]]
    shown.sort(key=lambda p: (-RiskLevel.rank(latest[p["pk"]][0]), p["name"]))
    return shown, len(rising)


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
