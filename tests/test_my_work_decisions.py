"""My work lists the suspension-route decisions waiting on each decision-maker, with due dates, and the
navigation shows how many."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from escalation import route_services as rs
from tests.factories import CaseFactory, ConcernFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db


def waiting(client, user) -> tuple[list[str], str]:
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    table = re.search(r'<table class="govuk-table" id="decisions-waiting">(.*?)</table>', html, re.S)
    rows = re.findall(r'<tr class="govuk-table__row"><td.*?</tr>', table.group(1), re.S) if table else []
    nav = re.search(r'class="govuk-service-navigation__link"[^>]*>My work(.*?)</a>', html, re.S).group(1)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows], nav


def test_each_decision_maker_sees_what_waits_on_them_and_the_count(client, people):
    at_risk = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=True)
    sprg(people, at_risk, "agree_at_risk")
    proposed = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=True)
    sprg(people, proposed, "agree_at_risk")
    sprg(people, proposed, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=proposed.pk, body="Recommend suspension")

    rows, nav = waiting(client, people["sprg"])
    assert len(rows) == 1 and at_risk.reference in rows[0] and "SPRG decision on Route 1" in rows[0]
    assert 'class="app-count">1<' in nav and "1 decision waits for you" not in nav and "decision waits for you" in nav

    rows, nav = waiting(client, people["dmt"])
    assert len(rows) == 1 and proposed.reference in rows[0] and "Endorse or decline the suspension report" in rows[0]
    rs.record_dmt_decision(user=people["dmt"], case_id=proposed.pk, endorsed=True, rationale="", report_version=1)
    assert waiting(client, people["dmt"])[0] == []

    # Jointly commissioned: both the DASS and the ICB colleague must sign; each sees it until they have.
    for who in ("dass", "icb"):
        rows, _ = waiting(client, people[who])
        assert len(rows) == 1 and "Sign off the suspension" in rows[0]
    rs.sign_off(user=people["dass"], case_id=proposed.pk, capacity="dass", report_version=1)
    assert waiting(client, people["dass"])[0] == []
    assert len(waiting(client, people["icb"])[0]) == 1

    # People who decide nothing on the routes see no such list and no count.
    rows, nav = waiting(client, people["officer"])
    assert rows == [] and "app-count" not in nav


def test_a_decision_on_a_case_the_person_is_not_cleared_for_is_not_listed(client, people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    assert len(waiting(client, people["sprg"])[0]) == 1
    restricted = ConcernFactory(safeguarding=True, provider=case.provider)
    restricted.case = case
    restricted.save(update_fields=["case"])
    rows, nav = waiting(client, UserFactory(roles=[roles.SPRG_MEMBER]))
    assert rows == [] and "app-count" not in nav


def test_the_list_is_soonest_due_first_and_says_overdue(client, people):
    late = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, late, "agree_at_risk", new_deadline=timezone.localdate() + datetime.timedelta(days=20))
    soon = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, soon, "agree_at_risk")
    type(soon).objects.filter(pk=soon.pk).update(route_deadline=timezone.localdate() - datetime.timedelta(days=1))
    rows, _ = waiting(client, people["sprg"])
    assert [soon.reference in rows[0], late.reference in rows[1]] == [True, True]
    assert "Overdue" in rows[0] and "Overdue" not in rows[1]


def test_a_sign_off_waiting_shows_no_stale_decision_date(client, people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    client.force_login(people["dmt"])
    assert "Decision due" in client.get(reverse("escalation:dmt_decision", args=[case.pk])).content.decode()
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    client.force_login(people["dass"])
    assert "Decision due" not in client.get(reverse("escalation:sign_off", args=[case.pk])).content.decode()
    assert "next decision due" not in client.get(case.get_absolute_url()).content.decode()
    rows, _ = waiting(client, people["dass"])
    assert len(rows) == 1 and "No date set" in rows[0]
