"""Where a page reads several things in one PostgreSQL query (the person with their roles, the menu's cases with
their reports and sign-offs, My work's four lists of concerns), the plain ORM path the SQLite demo takes must give
the same answer: each is computed both ways here, on the same rows."""

import pytest
from django.db import connection, connections
from django.urls import reverse

from accounts import roles
from escalation import route_services as rs
from escalation.models import EscalationCase
from escalation.selectors import _with_current_reports
from home.selectors import concern_lists
from tests.factories import CaseFactory, ConcernFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db


def both_ways(monkeypatch, read):
    assert connection.vendor == "postgresql"
    one = read()
    monkeypatch.setattr(type(connections["default"]), "vendor", "sqlite")  # the demo's path, on the same database
    try:
        return one, read()
    finally:
        monkeypatch.undo()


def summary(cases) -> list:
    out = []
    for case in cases:
        report = case.current_report()
        out.append((case.pk, case.route, report and (report.pk, report.kind, report.version, report.author_id,
                                                      sorted((s.signed_by_id, s.capacity, s.decision)
                                                             for s in report.sign_offs.all()),
                                                      report.signed_capacities(), report.required_capacities())))
    return out


def test_the_menus_cases_with_their_reports_and_sign_offs_are_the_same_both_ways(monkeypatch, people):
    endorsed = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=True)
    sprg(people, endorsed, "agree_at_risk")
    sprg(people, endorsed, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=endorsed.pk, body="First")
    rs.write_report(user=people["cqm"], case_id=endorsed.pk, body="Second")  # the first is superseded
    rs.record_dmt_decision(user=people["dmt"], case_id=endorsed.pk, endorsed=True, rationale="", report_version=2)
    rs.sign_off(user=people["dass"], case_id=endorsed.pk, capacity="dass", report_version=2)
    at_risk = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, at_risk, "agree_at_risk")  # no report at all
    cases = EscalationCase.objects.filter(pk__in=[endorsed.pk, at_risk.pk]).order_by("pk")
    fast, plain = both_ways(monkeypatch, lambda: summary(_with_current_reports(cases)))
    assert fast == plain
    assert fast[0][2][2] == 2 and {s[1] for s in fast[0][2][4]} == {"dmt", "dass"}
    assert fast[1][2] is None


def test_my_works_four_lists_are_the_same_both_ways(monkeypatch, people):
    officer = people["officer"]
    for state in ("awaiting_advice", "awaiting_routing", "further_action", "on_jqmm_agenda", "no_further_action"):
        for mine in (True, False):
            for _ in range(3):
                ConcernFactory(state=state, logged_by=officer if mine else people["cqm"])
    ConcernFactory(state="further_action", logged_by=officer, safeguarding=True)

    def read():
        return {name: [(c.pk, c.cleared, c.provider.name) for c in rows]
                for name, rows in concern_lists(officer).items()}

    fast, plain = both_ways(monkeypatch, read)
    assert fast == plain and all(fast.values())


def test_a_role_taken_away_is_gone_at_the_next_request(client, people):
    """The roles come with the person on every request: nothing remembers them between requests."""
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    client.force_login(officer)
    assert client.get(reverse("concerns:list")).status_code == 200
    officer.groups.clear()
    assert client.get(reverse("concerns:list")).status_code == 403


def test_a_providers_intelligence_is_the_same_from_the_sql_built_once_and_from_the_orm(monkeypatch, people):
    import datetime

    from django.utils import timezone

    from intelligence import services
    from intelligence.models import MonitoringVisit, Rating
    from intelligence.selectors import provider_intelligence
    from tests.factories import ProviderFactory

    today = timezone.localdate()
    rated, plain = ProviderFactory(), ProviderFactory()
    for days, overall in ((400, "good"), (30, "requires_improvement")):
        Rating.objects.create(provider=rated, published_on=today - datetime.timedelta(days=days), overall=overall)
    MonitoringVisit.objects.create(provider=rated, visited_on=today - datetime.timedelta(days=10), visited_by="A",
                                   staffing="ok", safety="ok", medication="ok", complaints="ok", records="ok",
                                   recorded_by=people["cqm"])
    services.compute_visit_programme()

    def read():
        out = []
        for provider in (rated, plain, rated):  # the second time for a provider, the SQL built for the first
            for flags in ((True, True), (False, True), (True, False)):
                summary = provider_intelligence(provider, suggestions=flags[0], monitoring=flags[1])
                summary["ratings"] = [(r.pk, r.published_on, r.overall) for r in summary["ratings"]]
                out.append(summary)
        return out

    fast, plain_orm = both_ways(monkeypatch, read)
    assert fast == plain_orm
    assert [r[2] for r in fast[0]["ratings"]] == ["requires_improvement", "good"]
    assert fast[0]["visited_on"] == today - datetime.timedelta(days=10) and fast[0]["next_due"]
