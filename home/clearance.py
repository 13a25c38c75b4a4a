"""The one clearance rule (concerns.permissions.is_cleared / is_cleared_for_case) applied to whole lists:
which restricted cases and audit events a person may not read in full. Used where many records are listed at
once (the audit log in the admin, its search), so the rule is worked out in a few queries, not one per row."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, ExpressionWrapper, Q, Value

from concerns.models import Concern, RiskAssessment
from concerns.selectors import uncleared_concern_ids
from escalation.models import EscalationCase
from intelligence.models import MonitoringVisit


def uncleared_case_ids(user, concern_ids=None) -> set[int]:
    """Cases holding at least one restricted concern this person may not read, and every case reopened from
    one of them (directly or down a chain of reopenings), as concerns.permissions.case_is_restricted counts."""
    concern_ids = uncleared_concern_ids(user) if concern_ids is None else concern_ids
    if not concern_ids:
        return set()
    cases = set(EscalationCase.objects.filter(concerns__pk__in=concern_ids).values_list("pk", flat=True))
    frontier = cases
    while frontier:
        frontier = set(EscalationCase.objects.filter(reopened_from_id__in=frontier)
                       .values_list("pk", flat=True)) - cases
        cases |= frontier
    return cases


def hidden_events_q(user) -> Q | None:
    """Audit events whose summary and changes this person may not read (about a restricted concern, its risk
    assessments, a restricted case, or a monitoring visit whose findings became a restricted concern), as a
    filter; None when there are none."""
    concerns = uncleared_concern_ids(user)
    if not concerns:
        return None
    cases = uncleared_case_ids(user, concerns)
    assessments = set(RiskAssessment.objects.filter(concern_id__in=concerns).values_list("pk", flat=True))
    visits = set(MonitoringVisit.objects.filter(concern_id__in=concerns).values_list("pk", flat=True))
    q = Q(pk__in=[])
    for model, ids in ((Concern, concerns), (EscalationCase, cases), (RiskAssessment, assessments),
                       (MonitoringVisit, visits)):
        if ids:
            content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
            q |= Q(content_type=content_type, object_id__in=[str(pk) for pk in ids])
    return q


def annotate_hidden(queryset, user, name: str = "detail_hidden"):
    """Annotate audit events with `detail_hidden`: True when this person may not read the summary or changes."""
    q = hidden_events_q(user)
    value = Value(False) if q is None else ExpressionWrapper(q, output_field=BooleanField())
    return queryset.annotate(**{name: value})
