"""A case's record is drawn on several pages: the overview links to each (the timeline, every deadline...), and
the long ones are shown a page at a time."""

import pytest
from django.db import transaction
from django.urls import reverse

from tests.factories import CaseFactory, ConcernFactory


@pytest.mark.django_db
def test_the_case_page_links_to_the_timeline_which_shows_the_newest_entries_a_page_at_a_time(client, people):
    from audit.services import record
    from escalation.views import TIMELINE_PAGE

    case = CaseFactory(level="ppm", owner=people["cqm"])
    with transaction.atomic():
        for i in range(TIMELINE_PAGE + 25):
            record(actor=people["cqm"], obj=case, kind="note", summary=f"Entry number {i:03d}")
    client.force_login(people["officer"])
    page = client.get(case.get_absolute_url()).content.decode()
    timeline = reverse("escalation:timeline", args=[case.pk])
    assert f'href="{timeline}"' in page and "Entry number" not in page  # the overview links to it
    newest = TIMELINE_PAGE + 24
    first = client.get(timeline).content.decode()
    assert f"Entry number {newest:03d}" in first and "Page 1 of 2" in first and 'aria-current="page">Timeline' in first
    last = client.get(timeline, {"page": 99}).content.decode()  # past the end: the last page
    assert "Entry number 000" in last and "Page 2 of 2" in last
    # A restricted case's timeline is for people cleared for it, like the case page's.
    ConcernFactory(provider=case.provider, case=case, safeguarding=True, logged_by=people["cqm"])
    assert client.get(timeline).status_code == 403


@pytest.mark.django_db
def test_the_case_page_shows_the_first_running_deadlines_and_links_to_every_deadline(client, people):
    import datetime

    from django.utils import timezone

    from deadlines.models import Deadline
    from escalation.selectors import CASE_PAGE_DEADLINES as SHOWN

    case = CaseFactory(level="ppm", owner=people["cqm"])
    today = timezone.localdate()
    Deadline.objects.create(key="done", kind="plan_action", title="Already met", case=case, due_date=today,
                            status="met")
    for i in range(25):
        Deadline.objects.create(key=f"d{i}", kind="plan_action", title=f"Running {i:02d}", case=case,
                                due_date=today + datetime.timedelta(days=i))
    client.force_login(people["cqm"])
    page = client.get(case.get_absolute_url()).content.decode()
    assert "Running 00" in page and f"Running {SHOWN - 1:02d}" in page and f"Running {SHOWN:02d}" not in page
    assert "Already met" not in page
    url = reverse("escalation:deadlines", args=[case.pk])
    assert url in page
    every = client.get(url).content.decode()
    assert "26 deadlines" in every and "Running 24" in every and "Already met" in every
    assert every.index("Running 24") < every.index("Already met") and "Extend" in every
    ConcernFactory(provider=case.provider, case=case, safeguarding=True, logged_by=people["cqm"])
    client.force_login(people["officer"])
    assert client.get(url).status_code == 403
