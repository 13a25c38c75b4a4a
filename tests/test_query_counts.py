"""Every list and detail page runs a fixed number of queries, whatever the number of rows: the same at two sizes,
and at most MAX_QUERIES. (How long the pages take at design volume is `make bench`'s business, not a test's.)"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from concerns.models import RiskAssessment, RiskMatrix
from deadlines.services import schedule
from escalation.models import ActionPlan, CaseMeeting, PlanAction
from tests.factories import CaseFactory, ConcernFactory, JqmmFactory, ProviderFactory, UserFactory

MAX_QUERIES = 12
# Three queries of every page are the session, the person with their roles, and their second-factor device. SPRG
# and DMT members, the DASS and ICB colleagues also see on every page how many decisions wait for them: the cases
# waiting, with their reports and sign-offs, and their clearance, two queries however many wait. Every page,
# whoever reads it, stays within MAX_QUERIES.
TODAY = timezone.localdate


def build(n: int, cqm, officer) -> dict:
    """n of everything: providers with concerns (some restricted) and assessments, cases with meetings, plans,
    actions and deadlines, a JQMM with n concerns on its agenda."""
    jqmm = JqmmFactory(created_by=cqm)
    matrix = RiskMatrix.objects.first()
    busiest = ProviderFactory(name="Busiest")
    case = CaseFactory(level="ppm", owner=cqm, provider=busiest)
    for i in range(n):
        provider = ProviderFactory()
        other = CaseFactory(level=["qa", "ppm", "jimp", "sosg"][i % 4], owner=cqm if i % 2 else officer,
                            provider=provider)
        for p in (provider, busiest):
            concern = ConcernFactory(provider=p, logged_by=officer, jqmm=jqmm, case=case if p is busiest else other)
            ConcernFactory(provider=p, logged_by=officer, state="no_further_action")  # closed: the provider's history
            restricted = ConcernFactory(provider=p, logged_by=cqm, safeguarding=True, jqmm=jqmm)
            for c in (concern, restricted):
                RiskAssessment.objects.create(provider=p, concern=c, engagement=2, impact=3, matrix=matrix,
                                              recommended_level="ppm", level="ppm", assessed_by=cqm)
        for c in (case, other):
            CaseMeeting.objects.create(case=c, level="ppm" if c is case else c.level,
                                       meeting_date=TODAY() - datetime.timedelta(days=i), attendees=[],
                                       provider_attended=True, minutes=f"Minutes {i}", recorded_by=cqm)
            schedule(key=f"t:{c.pk}:{i}", kind="plan_action", case=c, due_date=TODAY() + datetime.timedelta(days=i - 2),
                     assignee=cqm)
        waiting(i, cqm)
        plan = ActionPlan.objects.create(case=case, level="ppm", kind="dap", start_date=TODAY(),
                                         review_date=TODAY() + datetime.timedelta(days=28), created_by=cqm)
        PlanAction.objects.create(plan=plan, area_of_concern=f"Area {i}", action="Do it", owner="provider",
                                  due_date=TODAY() + datetime.timedelta(days=7))
    return {"case": case, "provider": busiest, "jqmm": jqmm, "concern": case.concerns.first()}


def waiting(i, cqm):
    """Cases waiting on the SPRG (at risk), on DMT (a suspension report) and on the DASS (endorsed by DMT)."""
    from escalation.models import DecisionReport, EscalationCase, SignOff

    for route in ("at_risk", "suspension_proposed", "suspension_endorsed"):
        case = CaseFactory(level="sosg", owner=cqm, route_deadline=TODAY() + datetime.timedelta(days=i))
        EscalationCase.objects.filter(pk=case.pk).update(route=route)
        if route != "at_risk":
            report = DecisionReport.objects.create(case=case, kind="suspension", version=1, body="Suspend",
                                                   author=cqm)
            if route == "suspension_endorsed":
                SignOff.objects.create(report=report, report_version=1, capacity="dmt", decision="approved",
                                       signed_by=UserFactory(roles=[roles.DMT_MEMBER]))
        if i % 3 == 0:  # some restricted, so the clearance of the list is asked too
            ConcernFactory(provider=case.provider, case=case, safeguarding=True, logged_by=cqm)


def pages(world) -> dict[str, str]:
    return {
        "home": "/",
        "dashboard": "/dashboard/",
        "my deadlines": "/my-deadlines/",
        "concerns list": "/concerns/",
        "concerns search": "/concerns/?q=Staffing",
        "cases list": "/cases/",
        "providers list": "/providers/",
        "provider page": f"/providers/{world['provider'].pk}/",
        "case page": f"/cases/{world['case'].pk}/",
        "case meetings": f"/cases/{world['case'].pk}/meetings/",
        "case plans": f"/cases/{world['case'].pk}/plans/",
        "case decisions": f"/cases/{world['case'].pk}/decisions/",
        "case provider portal": f"/cases/{world['case'].pk}/provider-portal/",
        "case timeline": f"/cases/{world['case'].pk}/timeline/",
        "case deadlines": f"/cases/{world['case'].pk}/deadlines/",
        "concern page": f"/concerns/{world['concern'].pk}/",
        "JQMM list": "/concerns/jqmm/",
        "JQMM page": f"/concerns/jqmm/{world['jqmm'].pk}/",
        "placement status": "/cases/placement-status/",
        "SPRG meetings": "/cases/sprg/",
        "board reports": "/oversight/reports/",
        "meeting packs": "/oversight/packs/",
    }


def counts(client, world, role) -> dict[str, int]:
    out = {}
    for name, url in pages(world).items():
        if name == "meeting packs" and role == roles.CONTRACT_OFFICER:
            continue  # not theirs (403)
        client.get(url)  # warm: sessions, content types and the like are cached after the first request
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        # The test runs in a transaction, so each atomic block adds SAVEPOINT / RELEASE: not queries in production.
        out[name] = sum(not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for q in queries.captured_queries)
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("role", [roles.CQM, roles.CONTRACT_OFFICER, roles.SPRG_MEMBER, roles.DMT_MEMBER, roles.DASS])
def test_page_queries_do_not_grow_with_the_rows_and_stay_small(client, role):
    cqm = UserFactory(roles=[roles.CQM])
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    viewer = {roles.CQM: cqm, roles.CONTRACT_OFFICER: officer}.get(role) or UserFactory(roles=[role])
    client.force_login(viewer)
    small = counts(client, build(2, cqm, officer), role)
    large = counts(client, build(9, cqm, officer), role)
    grew = {name: (small[name], large[name]) for name in small if large[name] != small[name]}
    too_many = {name: large[name] for name in large if large[name] > MAX_QUERIES}
    print(role, large)
    assert not grew, f"queries grow with the rows: {grew}"
    assert not too_many, f"more than {MAX_QUERIES} queries: {too_many}"


@pytest.mark.django_db
def test_the_clearance_rule_for_many_cases_at_once_agrees_with_the_rule_for_one():
    """Lists ask cleared_case_ids once for all their rows; it must give what is_cleared_for_case gives each."""
    from concerns.permissions import cleared_case_ids, is_cleared_for_case

    cqm, lead = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.SAFEGUARDING_LEAD])
    officer, other, sprg = (UserFactory(roles=[roles.CONTRACT_OFFICER]), UserFactory(roles=[roles.CONTRACT_OFFICER]),
                            UserFactory(roles=[roles.SPRG_MEMBER]))
    nobody = UserFactory(roles=[])
    plain = CaseFactory(level="ppm", owner=cqm)
    ConcernFactory(case=plain, provider=plain.provider)
    logged = CaseFactory(level="ppm", owner=cqm)
    ConcernFactory(case=logged, provider=logged.provider, safeguarding=True, logged_by=officer)
    shared = CaseFactory(level="ppm", owner=cqm)
    concern = ConcernFactory(case=shared, provider=shared.provider, safeguarding=True, logged_by=cqm)
    concern.shared_with.add(sprg)
    two = CaseFactory(level="ppm", owner=cqm)  # cleared for one restricted concern of two: not for the case
    ConcernFactory(case=two, provider=two.provider, safeguarding=True, logged_by=officer)
    ConcernFactory(case=two, provider=two.provider, safeguarding=True, logged_by=other)
    old = CaseFactory(level="closed", owner=cqm)
    ConcernFactory(case=old, provider=old.provider, safeguarding=True, logged_by=other)
    reopened = CaseFactory(level="qa", owner=cqm, provider=old.provider, reopened_from=old)
    again = CaseFactory(level="qa", owner=cqm, provider=ProviderFactory(), reopened_from=reopened)
    cases = [plain, logged, shared, two, old, reopened, again]
    for user in (cqm, lead, officer, other, sprg, nobody):
        expected = {case.pk for case in cases if is_cleared_for_case(user, case)}
        assert cleared_case_ids(user, cases) == expected, user
    assert cleared_case_ids(officer, [again]) == set()  # reopened from a case they cannot read
    assert cleared_case_ids(other, [again]) == {again.pk}
