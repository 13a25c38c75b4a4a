"""A fall in a provider's CQC rating, imported through the upload page, becomes a suggested concern that an officer
turns into a concern, in Debian Chromium, by visible labels, with an axe scan on every page."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from concerns.models import Concern
from intelligence.models import SuggestedConcern
from tests.factories import ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEAD = "Location ID,Location Name,Location Latest Overall Rating,Publication Date\n"


def upload(page, name, text):
    page.goto("/intelligence/ratings/import/")
    page.get_by_label("CSV file of CQC ratings").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_role("button", name="Upload and import").click()


def test_a_rating_drop_becomes_a_concern_an_officer_logs(login_as, check_a11y):
    cqm = UserFactory(roles=[roles.CQM])
    officer = UserFactory(username="olivia", first_name="Olivia", last_name="Officer",
                          roles=[roles.CONTRACT_OFFICER])
    home = ProviderFactory(name="Oakwood Lodge Care Home", cqc_location_id="1-101000001")
    today = timezone.localdate()
    earlier, latest = today - datetime.timedelta(days=400), today - datetime.timedelta(days=5)

    manager = login_as(cqm)
    upload(manager, "wrong.csv", HEAD + f"1-999999999,Nowhere,Good,{earlier:%d/%m/%Y}\n")
    manager.get_by_role("heading", name="Nothing was imported").wait_for()
    assert "Location ID 1-999999999 is not on the provider register" in manager.inner_text("#row-errors")
    check_a11y(manager)
    upload(manager, "ratings.csv", HEAD + f"1-101000001,Oakwood,Good,{earlier:%d/%m/%Y}\n"
                                          f"1-101000001,Oakwood,Requires improvement,{latest:%d/%m/%Y}\n")
    manager.get_by_role("heading", name="CQC ratings imported").wait_for()
    assert "2 added, 0 unchanged" in manager.inner_text(".govuk-panel")
    check_a11y(manager)

    page = login_as(officer)
    page.get_by_role("link", name="1 suggested concern waits for triage").click()
    page.get_by_role("heading", name="Suggested concerns").wait_for()
    check_a11y(page)
    page.get_by_role("link", name="Oakwood Lodge Care Home").click()
    why = page.inner_text("main")
    assert "CQC rating fell from Good to Requires improvement" in why
    check_a11y(page)
    page.get_by_role("link", name="Accept and log a concern").click()
    page.get_by_role("heading", name="Log a concern from the suggestion").wait_for()
    assert "CQC rating fell from Good to Requires improvement" in page.get_by_label("What happened").input_value()
    check_a11y(page)
    page.get_by_label("How many people are affected").fill("0")
    page.get_by_role("group", name="Is there concern for the safety of individuals?").get_by_label("No").check()
    page.get_by_role("group", name="Is there concern about the conduct of someone in a position of trust?") \
        .get_by_label("No").check()
    page.get_by_role("group", name="Is it unclear whether this should be a safeguarding referral?") \
        .get_by_label("No").check()
    page.get_by_role("button", name="Log concern").click()
    page.get_by_text("logged from the suggestion").wait_for()
    check_a11y(page)

    concern = Concern.objects.get()
    assert concern.provider == home and concern.logged_by == officer and concern.source == "internal"
    assert SuggestedConcern.objects.get().concern == concern
    page.goto(home.get_absolute_url())
    assert "Requires improvement" in page.inner_text("#cqc-ratings ~ p")
    check_a11y(page)


def test_an_officer_records_a_visit_and_raises_a_concern_from_its_findings(login_as, check_a11y):
    from intelligence import reference, services
    from intelligence.models import MonitoringVisit
    from tests.browser.conftest import fill_date

    reference.ensure()  # migration data that transactional tests flush
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    home = ProviderFactory(name="Willow Court")
    services.compute_visit_programme()
    page = login_as(officer)
    page.get_by_role("link", name="Monitoring visits due").click()
    page.get_by_role("heading", name="Monitoring visits due").wait_for()
    check_a11y(page)
    page.get_by_role("link", name="Record a visit to Willow Court").click()
    page.get_by_role("button", name="Record visit").click()  # nothing filled in: the error summary
    page.get_by_role("heading", name="There is a problem").wait_for()
    check_a11y(page)
    fill_date(page, "Date of the visit", timezone.localdate())
    page.get_by_label("Who visited").fill("Olivia Officer")
    for area, finding in (("Staffing", "Concern"), ("Safety", "No concerns"), ("Medication", "No concerns"),
                          ("Complaints", "Not checked"), ("Records", "No concerns")):
        page.get_by_role("group", name=area, exact=True).get_by_label(finding, exact=True).check()
    page.get_by_label("Notes on staffing").fill("One carer on the night shift for 30 residents")
    page.get_by_role("button", name="Record visit").click()
    page.get_by_role("heading", name="Monitoring visit on").wait_for()
    check_a11y(page)
    page.get_by_role("link", name="Raise a concern from these findings").click()
    assert "Staffing: concern. One carer on the night shift" in page.get_by_label("What happened").input_value()
    check_a11y(page)
    page.get_by_label("How many people are affected").fill("30")
    page.get_by_role("group", name="Is there concern for the safety of individuals?").get_by_label("No").check()
    page.get_by_role("group", name="Is there concern about the conduct of someone in a position of trust?") \
        .get_by_label("No").check()
    page.get_by_role("group", name="Is it unclear whether this should be a safeguarding referral?") \
        .get_by_label("No").check()
    page.get_by_role("button", name="Log concern").click()
    page.get_by_text("logged from the visit's findings").wait_for()
    assert MonitoringVisit.objects.get().concern == Concern.objects.get(provider=home)
    for url in ("/intelligence/", "/intelligence/audits/", "/intelligence/cqc-meetings/", "/intelligence/triggers/",
                "/intelligence/suggestions/?status=dismissed",
                f"/intelligence/audits/new/provider/{home.pk}/", "/intelligence/cqc-meetings/new/"):
        page.goto(url)
        check_a11y(page)


def test_a_cqm_is_told_why_a_trigger_rule_is_refused(login_as, check_a11y):
    page = login_as(UserFactory(roles=[roles.CQM]))
    page.goto("/intelligence/triggers/new/")
    page.get_by_label("Name").fill("Everything")
    page.get_by_label("A number of concerns at one provider within a number of days").check()
    page.get_by_label("How many concerns").fill("1")
    page.get_by_label("Within how many days").fill("30")
    page.get_by_role("button", name="Save rule").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "1 concern from any source would fire on every concern logged" in page.inner_text(".govuk-error-summary")
    check_a11y(page)
    page.get_by_label("How many concerns").fill("3")
    page.get_by_role("button", name="Save rule").click()
    page.get_by_role("heading", name="Early-warning trigger rules").wait_for()
    assert "3 or more concerns at one provider received within 30 days" in page.inner_text("table")
    check_a11y(page)
