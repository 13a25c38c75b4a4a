"""Queries for the intelligence pages: a fixed number of queries whatever the number of rows."""

from django.utils import timezone

from . import permissions as perms
from .models import Rating, RatingsImport, SuggestedConcern, TriggerRule


def overview(user) -> dict:
    return {
        "can_see_suggestions": perms.can_see_suggestions(user),
        "can_import": perms.can_import_ratings(user),
        "can_manage_triggers": perms.can_manage_triggers(user),
        "waiting": SuggestedConcern.objects.filter(status=SuggestedConcern.Status.OPEN).count(),
        "rules": TriggerRule.objects.filter(active=True).count(),
        "ratings": Rating.objects.count(),
        "last_import": RatingsImport.objects.defer("content").filter(status=RatingsImport.Status.DONE).first(),
        "can_see_visits": perms.can_see_visits(user),
        "can_see_cqc_meetings": perms.can_see_cqc_meetings(user),
        "next_due": next_cqc_meeting_due(),
        "today": timezone.localdate(),
    }


RATING_COLUMNS = ["id", "published_on", "overall", "safe", "effective", "caring", "responsive", "well_led"]


def provider_intelligence(provider, *, suggestions: bool, monitoring: bool, limit: int = 20) -> dict:
    """For the provider page, in one query: its CQC ratings, newest first (the first is the current one), and, for
    the people who may see them, the suggestions waiting about it, its next routine visit, its last visit and its
    last quality audit (subqueries on the provider row, joined to its ratings)."""
    from .models import AuditRating

    rows = _intelligence_rows(provider.pk, suggestions, monitoring, limit)
    names = _summary_fields(suggestions, monitoring)
    summary = {name: rows[0][name] for name in names} if rows else {}
    if summary.get("audit_overall"):
        summary["audit_overall"] = AuditRating(summary["audit_overall"]).label
    words = [name for name in RATING_COLUMNS if name not in ("id", "published_on")]
    summary["ratings"] = [Rating(provider=provider, id=row["cqc_ratings__id"],
                                 published_on=row["cqc_ratings__published_on"],
                                 **{name: row[f"cqc_ratings__{name}"] or "" for name in words})
                          for row in rows if row["cqc_ratings__id"]]
    return summary


def _summary_fields(suggestions: bool, monitoring: bool) -> list[str]:
    return (["open_suggestions"] if suggestions else []) + (
        ["next_due", "months", "visit_id", "visited_on", "audit_id", "audit_overall", "audit_report", "reaudit_due"]
        if monitoring else [])


def _intelligence_query(provider_pk, suggestions: bool, monitoring: bool, limit: int):
    from django.db.models import Count, F, IntegerField, OuterRef, Subquery

    from providers.models import Provider

    from .models import MonitoringVisit, QualityAudit, VisitPlan

    fields = {}
    if suggestions:
        waiting = (SuggestedConcern.objects.filter(provider=OuterRef("pk"), status=SuggestedConcern.Status.OPEN)
                   .values("provider").annotate(n=Count("pk")).values("n"))
        fields["open_suggestions"] = Subquery(waiting, output_field=IntegerField())
    if monitoring:
        plan = VisitPlan.objects.filter(provider=OuterRef("pk"))
        visit = MonitoringVisit.objects.filter(provider=OuterRef("pk")).order_by("-visited_on", "-id")
        audit = QualityAudit.objects.filter(provider=OuterRef("pk")).order_by("-report_date", "-id")
        fields.update(next_due=Subquery(plan.values("next_due_on")[:1]), months=Subquery(plan.values("months")[:1]),
                      visit_id=Subquery(visit.values("pk")[:1]), visited_on=Subquery(visit.values("visited_on")[:1]),
                      audit_id=Subquery(audit.values("pk")[:1]), audit_overall=Subquery(audit.values("overall")[:1]),
                      audit_report=Subquery(audit.values("report_date")[:1]),
                      reaudit_due=Subquery(audit.values("reaudit_due")[:1]))
    columns = [f"cqc_ratings__{name}" for name in RATING_COLUMNS]
    return (Provider.objects.filter(pk=provider_pk).annotate(**fields).values(*fields, *columns)
            .order_by(F("cqc_ratings__published_on").desc(nulls_last=True), "-cqc_ratings__id")[:limit])


# Building that query (nine subqueries' expressions) took three times as long as PostgreSQL took to run it, on a
# page people open all day. On PostgreSQL it is built once per process for each shape, with a stand-in for the
# provider's id, and its SQL run with the real one; elsewhere (the SQLite demo) the ORM runs it as usual.
_COMPILED: dict = {}
_STAND_IN = -987_654_321


def _intelligence_rows(provider_pk, suggestions: bool, monitoring: bool, limit: int) -> list[dict]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return list(_intelligence_query(provider_pk, suggestions, monitoring, limit))
    key = (suggestions, monitoring, limit)
    if key not in _COMPILED:
        query = _intelligence_query(_STAND_IN, suggestions, monitoring, limit).query
        sql, params = query.sql_with_params()
        # The row's names in the order ValuesIterable gives them (Django 5.2 keeps the order values() was given).
        names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select,
                                                              *query.annotation_select]
        _COMPILED[key] = (sql, list(params), list(params).index(_STAND_IN), names)
    sql, params, at, names = _COMPILED[key]
    params = [*params[:at], provider_pk, *params[at + 1:]]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def home_summary(user) -> dict:
    """For the home page, in one query (on the person's own row, which is always there): how many suggestions wait
    for triage and the date of the last meeting with CQC."""
    from django.db.models import Count, IntegerField, Subquery

    from .models import CqcMeeting

    waiting = (SuggestedConcern.objects.filter(status=SuggestedConcern.Status.OPEN).values("status")
               .annotate(n=Count("pk")).values("n"))
    last = CqcMeeting.objects.order_by("-meeting_date", "-id").values("meeting_date")[:1]
    from django.contrib.auth import get_user_model

    row = get_user_model().objects.filter(pk=user.pk).annotate(
        waiting=Subquery(waiting, output_field=IntegerField()), last_meeting=Subquery(last)).values(
        "waiting", "last_meeting").first() or {}
    return {"waiting": row.get("waiting") or 0, "last_meeting": row.get("last_meeting")}


def visits_due(window: str):
    """VisitPlan rows overdue ("overdue") or due within 30 or 90 days, soonest first, with their providers."""
    import datetime

    from .models import VisitPlan

    today = timezone.localdate()
    rows = VisitPlan.objects.select_related("provider").order_by("next_due_on", "provider__name", "pk")
    if window == "overdue":
        return rows.filter(next_due_on__lt=today)
    return rows.filter(next_due_on__lte=today + datetime.timedelta(days=int(window)))


def next_cqc_meeting_due():
    """The date the next information-sharing meeting with CQC is due (two months after the last), or None when
    none has been recorded."""
    from .models import CqcMeeting

    last = CqcMeeting.objects.order_by("-meeting_date").first()
    return last.next_due if last else None
