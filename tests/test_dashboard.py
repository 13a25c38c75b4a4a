"""The manager's dashboard: each figure counts what the list it links to shows, and risk rising asks the same
clearance rule as a provider's page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from concerns.models import RiskAssessment, RiskMatrix
from deadlines.models import Deadline
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db


def link_count(html, text_after) -> int:
    match = re.search(r">(\d+)<span class=\"govuk-visually-hidden\"> " + re.escape(text_after), html)
    return int(match.group(1))


def assess(provider, level, days_ago, by, concern=None):
    matrix = RiskMatrix.objects.order_by("-version").first()
    item = RiskAssessment.objects.create(provider=provider, concern=concern, engagement=1, impact=1, matrix=matrix,
                                         recommended_level=level, level=level, assessed_by=by)
    RiskAssessment.objects.filter(pk=item.pk).update(assessed_at=timezone.now() - datetime.timedelta(days=days_ago))


def test_the_figures_match_the_lists_they_link_to(client, people):
    for level in ("qa", "qa", "ppm"):
        CaseFactory(level=level, owner=people["cqm"])
    at_risk = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, at_risk, "agree_at_risk")
    today = timezone.localdate()
    for i, days in enumerate((-3, -1, 2, 30)):
        Deadline.objects.create(key=f"d{i}", kind="plan_action", title="Action", case=at_risk,
                                due_date=today + datetime.timedelta(days=days), assignee=people["cqm"])
    client.force_login(people["officer"])
    html = client.get(reverse("dashboard")).content.decode()
    assert link_count(html, "open cases at Quality assurance meeting") == 2
    assert link_count(html, "open cases at Service operations support group (SOSG)") == 1
    assert link_count(html, "cases: Route 1 (amber): at risk of suspension") == 1
    # The SPRG's Route 1 decision is due in 4 weeks: outside the week.
    assert "2 deadlines overdue" in html and "1 deadline due in the next 7 days" in html
    qa_list = client.get(reverse("escalation:list"), {"level": "qa"}).content.decode()
    assert "2 cases" in qa_list
    overdue = client.get(reverse("my_deadlines"), {"scope": "all", "when": "overdue"}).content.decode()
    assert "2 deadlines overdue" in overdue


def test_risk_rising_counts_only_what_the_person_may_see(client, people):
    rose, fell, hidden = ProviderFactory(name="Rose Court"), ProviderFactory(name="Fell House"), \
        ProviderFactory(name="Hidden Lodge")
    officer = people["officer"]
    assess(rose, "qa", 20, officer)
    assess(rose, "jimp", 2, officer)
    assess(fell, "jimp", 20, officer)
    assess(fell, "qa", 2, officer)
    assess(hidden, "qa", 20, officer)
    restricted = ConcernFactory(provider=hidden, safeguarding=True, logged_by=people["cqm"])
    assess(hidden, "sosg", 2, people["cqm"], concern=restricted)
    client.force_login(officer)
    html = client.get(reverse("dashboard")).content.decode()
    assert "1 provider whose latest risk assessment is higher" in html
    assert "Rose Court" in html and "Fell House" not in html and "Hidden Lodge" not in html
    client.force_login(UserFactory(roles=[roles.CQM]))  # cleared for every restricted concern
    html = client.get(reverse("dashboard")).content.decode()
    assert "2 providers whose latest risk assessment is higher" in html and "Hidden Lodge" in html


def test_people_without_a_role_are_refused(client):
    client.force_login(UserFactory(roles=[]))
    assert client.get(reverse("dashboard")).status_code == 403
    assert client.get(reverse("my_deadlines"), {"scope": "all"}).status_code == 403
