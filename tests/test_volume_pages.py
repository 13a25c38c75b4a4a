"""Pages stay the same size and run the same number of queries however much a provider or a person has: long
lists are shown a page at a time."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from concerns.models import RiskAssessment, RiskMatrix
from deadlines.models import Deadline
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db


def rows(html: str, caption: str) -> int:
    table = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    return len(re.findall(r'<tr class="govuk-table__row">', table.group(1))) - 1 if table else 0


def add_concerns(provider, officer, n, **kw):
    matrix = RiskMatrix.objects.order_by("-version").first()
    for _ in range(n):
        concern = ConcernFactory(provider=provider, logged_by=officer, **kw)
        RiskAssessment.objects.create(provider=provider, concern=concern, engagement=1, impact=1, matrix=matrix,
                                      recommended_level="qa", level="qa", assessed_by=officer)


def test_a_busy_providers_page_is_paged_with_the_same_queries_at_any_size(client, officer):
    from home.views import PAGE

    provider = ProviderFactory()
    client.force_login(officer)
    url = reverse("providers:detail", args=[provider.pk])
    counts = []
    for more in (3, 37):  # 3, then 40 concerns (and one restricted each time, which the officer is not cleared for)
        add_concerns(provider, officer, more)
        add_concerns(provider, officer, 1, safeguarding=True)
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts
    assert rows(html, "Open concerns") == PAGE and "Page 1 of 3" in html
    assert rows(html, "Risk assessments, newest first") == 10  # history: ten a page
    last = client.get(url + "?open=3").content.decode()
    assert rows(last, "Open concerns") == 42 - 2 * PAGE


def test_my_work_shows_the_soonest_deadlines_and_links_to_all_of_them(client):
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(owner=cqm)
    today = timezone.localdate()
    for i in range(27):
        Deadline.objects.create(key=f"t{i}", kind="plan_action", title=f"Action {i:02d}", case=case,
                                due_date=today + datetime.timedelta(days=i % 10), assignee=cqm)
    client.force_login(cqm)
    home = client.get(reverse("home")).content.decode()
    assert rows(home, "Your deadlines: overdue and due in the next 14 days") == 10
    assert "See all your deadlines</a>: the soonest 10 are shown here." in home
    page = client.get(reverse("my_deadlines")).content.decode()
    assert "27 deadlines overdue or due in the next 14 days" in page
    assert page.count("Action ") == 27


def test_my_work_shows_ten_of_each_list_and_links_to_the_rest(client):
    from tests.factories import ConcernFactory

    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    for _ in range(23):
        ConcernFactory(logged_by=officer)  # waiting for routing, logged by them
    client.force_login(officer)
    home = client.get(reverse("home")).content.decode()
    assert rows(home, "Waiting for routing") == 10 and rows(home, "Concerns you logged") == 10
    assert "?state=awaiting_routing" in home and "See every concern waiting for routing" in home
    assert "The newest 10 open concerns you logged are shown." in home
