"""The cases list filters by status, level, route, owner and "no activity for N days", a page at a time, and
downloads what it shows as CSV."""

import csv
import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.services import record
from tests.factories import CaseFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db


def listed(client, **query) -> str:
    return client.get(reverse("escalation:list"), query).content.decode()


def test_filters_combine_and_the_csv_has_the_same_cases(client, people):
    other = UserFactory(roles=[roles.CQM], first_name="Oona", last_name="Other")
    qa = CaseFactory(level="qa", owner=people["cqm"])
    sosg = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, sosg, "agree_at_risk")
    theirs = CaseFactory(level="qa", owner=other)
    ended = CaseFactory(level="closed", owner=people["cqm"])
    client.force_login(people["officer"])
    html = listed(client)
    assert all(c.reference in html for c in (qa, sosg, theirs)) and ended.reference not in html
    assert "3 cases" in html
    assert ended.reference in listed(client, status="ended") and qa.reference not in listed(client, status="ended")
    html = listed(client, level="qa", owner=other.pk)
    assert theirs.reference in html and qa.reference not in html and sosg.reference not in html
    html = listed(client, route="at_risk")
    assert sosg.reference in html and qa.reference not in html
    response = client.get(reverse("escalation:list"), {"level": "qa", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {r["reference"] for r in rows} == {qa.reference, theirs.reference}
    assert {r["level"] for r in rows} == {"Quality assurance meeting"}


def test_no_activity_for_n_days_uses_the_last_thing_recorded(client, people):
    quiet, busy = CaseFactory(owner=people["cqm"]), CaseFactory(owner=people["cqm"])
    old = timezone.now() - datetime.timedelta(days=45)
    with time_machine.travel(old, tick=False):
        record(actor=people["cqm"], obj=quiet, kind="case_opened")
        record(actor=people["cqm"], obj=busy, kind="case_opened")
    record(actor=people["cqm"], obj=busy, kind="meeting_recorded")
    client.force_login(people["cqm"])
    html = listed(client, quiet=30)
    assert quiet.reference in html and busy.reference not in html
    assert busy.reference in listed(client)


def test_a_wrong_number_of_days_is_an_error_on_the_page_not_a_500(client, people):
    client.force_login(people["cqm"])
    response = client.get(reverse("escalation:list"), {"quiet": "soon"})
    html = response.content.decode()
    assert response.status_code == 200 and "There is a problem" in html and "Enter a whole number of days" in html


def test_the_list_is_paged(client, people):
    for _ in range(53):
        CaseFactory(level="closed", owner=people["cqm"])
    client.force_login(people["cqm"])
    html = listed(client, status="ended")
    assert "53 cases" in html and "Page 1 of 2" in html
    assert html.count('<tr class="govuk-table__row"><td') == 50
    assert listed(client, status="ended", page=2).count('<tr class="govuk-table__row"><td') == 3


@pytest.mark.django_db
def test_cases_sort_in_the_order_asked_for_and_a_bad_filter_value_is_a_message(client):
    from escalation.models import EscalationCase
    from tests.factories import ProviderFactory

    cqm = UserFactory(roles=[roles.CQM])
    now = timezone.now()
    cases = {}
    for name, level, days in (("Birch", "qa", 5), ("Ash", "sosg", 50), ("Cedar", "ppm", 20)):
        case = CaseFactory(level=level, owner=cqm, provider=ProviderFactory(name=name))
        EscalationCase.objects.filter(pk=case.pk).update(opened_at=now - datetime.timedelta(days=days),
                                                         level_since=now - datetime.timedelta(days=days))
        cases[name] = case.reference
    client.force_login(cqm)

    def order(sort):
        html = client.get(reverse("escalation:list"), {"sort": sort}).content.decode()
        return sorted(cases, key=lambda n: html.index(cases[n]))

    assert order("newest") == ["Birch", "Cedar", "Ash"]
    assert order("oldest") == ["Ash", "Cedar", "Birch"]
    assert order("provider") == ["Ash", "Birch", "Cedar"]
    assert order("level") == ["Ash", "Cedar", "Birch"]
    assert order("longest") == ["Ash", "Cedar", "Birch"]
    page = client.get(reverse("escalation:list"), {"sort": "pk; DROP TABLE x", "level": "<b>x</b>"})
    html = page.content.decode()
    assert page.status_code == 200 and "There is a problem" in html
    assert "Choose a sort order from the list" in html and "Choose a level from the list" in html
    assert "<b>x</b>" not in html
