"""When a suspension came into force, and who took part in deciding it.

The suspension *episode* runs from the SPRG decision that started the route leading to the suspension ('at risk'
status, or straight to Route 2 for urgent safety concerns) to the signature that put the suspension in force.
Someone took part when the case's records show them, in that episode, recording an SPRG decision, writing any
version of the suspension report, recording DMT's decision on any version (endorsed or not) or signing it off
(DASS or ICB). Those are the rows the decision is made of (escalation.models), so the rule reads them and nothing
else; it does not depend on anyone's current role.
"""

import datetime

from django.utils import timezone

from escalation.models import DecisionReport, SignOff, SprgDecision
from escalation.route_services import SPRG_DECISIONS

# The SPRG decisions that start a suspension route from routine monitoring (docs/process.md section 4).
ROUTE_STARTS = [SPRG_DECISIONS["agree_at_risk"], SPRG_DECISIONS["urgent_route2"]]


def in_force_at(report: DecisionReport) -> datetime.datetime | None:
    """When the suspension this report recommended came into force: the last signature it needed (the DASS, and an
    ICB colleague where jointly commissioned). None while it is not (yet) in force."""
    needed = report.required_capacities()
    signed = {s.capacity: s.signed_at for s in report.sign_offs.all()
              if s.decision == SignOff.Decision.APPROVED and s.capacity in needed}
    if report.kind != DecisionReport.Kind.SUSPENSION or report.superseded or set(signed) != needed:
        return None
    return max(signed.values())


def in_force_on(report: DecisionReport) -> datetime.date | None:
    moment = in_force_at(report)
    return timezone.localtime(moment).date() if moment else None


def episode_of(report: DecisionReport) -> tuple[datetime.datetime, datetime.datetime]:
    """(start, end) of the suspension episode that led to this report's decision."""
    end = in_force_at(report) or timezone.now()
    start = (SprgDecision.objects.filter(case_id=report.case_id, decision__in=ROUTE_STARTS,
                                         recorded_at__lte=report.written_at)
             .order_by("-recorded_at").values_list("recorded_at", flat=True).first())
    return start or report.case.opened_at, end


def participants(report: DecisionReport) -> set[int]:
    """The ids of everyone who took part in the decision (see the module's docstring)."""
    start, end = episode_of(report)
    sprg = SprgDecision.objects.filter(case_id=report.case_id, recorded_at__gte=start, recorded_at__lte=end)
    reports = DecisionReport.objects.filter(case_id=report.case_id, kind=DecisionReport.Kind.SUSPENSION,
                                            written_at__gte=start, written_at__lte=end)
    people = set(sprg.values_list("recorded_by_id", flat=True))
    people |= set(reports.values_list("author_id", flat=True))
    people |= set(SignOff.objects.filter(report__in=reports, signed_at__lte=end).values_list("signed_by_id",
                                                                                               flat=True))
    people |= {report.author_id}
    return people


def took_part_in(user, decision: DecisionReport) -> bool:
    """The one rule: did this person take part in the suspension decision? (an appeal's decider must not have)"""
    if decision is None or user is None or not getattr(user, "is_authenticated", False):
        return True  # no one can be shown to be independent of nothing: refuse
    cached = getattr(decision, "_participants", None)
    if cached is None:
        cached = decision._participants = participants(decision)
    return user.pk in cached
