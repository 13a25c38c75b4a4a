"""The concern journey in Debian Chromium, by visible labels, with an axe scan on every page."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from concerns.models import Concern
from tests.browser.conftest import fill_date, sign_in
from tests.factories import PASSWORD, JqmmFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def test_officer_logs_a_safeguarding_concern_records_advice_routes_and_assesses(page, check_a11y, tmp_path):
    officer = UserFactory(username="olivia", first_name="Olivia", last_name="Officer",
                          roles=[roles.CONTRACT_OFFICER])
    cqm = UserFactory(roles=[roles.CQM])
    provider = ProviderFactory(name="Oakwood Lodge Care Home", town="Northfield", cqc_location_id="1-101000001")
    ProviderFactory(name="Riverside Nursing Home", town="Eastbrook")
    meeting = JqmmFactory(created_by=cqm, meeting_date=timezone.localdate() + datetime.timedelta(days=10))
    evidence = tmp_path / "body-map.pdf"
    evidence.write_bytes(PDF)

    sign_in(page, officer.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()
    check_a11y(page)

    page.get_by_role("link", name="Providers").click()
    page.get_by_label("Search providers").fill("Oakwood")
    page.get_by_role("button", name="Search").click()
    check_a11y(page)
    page.get_by_role("link", name="Oakwood Lodge Care Home").click()
    page.get_by_role("heading", name="Oakwood Lodge Care Home").wait_for()
    check_a11y(page)

    page.get_by_role("link", name="Log a concern").click()
    check_a11y(page)
    # First a mistake: nothing filled in gives the error summary.
    page.get_by_role("button", name="Log concern").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    check_a11y(page)
    page.get_by_role("group", name="Where did the concern come from?").get_by_label("Safeguarding").check()
    fill_date(page, "Date received", timezone.localdate() - datetime.timedelta(days=1))
    page.get_by_label("Who raised it").fill("District nurse")
    page.get_by_label("What happened").fill("Resident found with unexplained bruising.")
    page.get_by_label("How many people are affected").fill("1")
    page.get_by_label("Care management reference numbers").fill("CM10442")
    page.get_by_role("group", name="Is there concern for the safety of individuals?").get_by_label("Yes").check()
    page.get_by_role("group", name="Is there concern about the conduct of someone in a position of trust?") \
        .get_by_label("No").check()
    page.get_by_role("group", name="Is it unclear whether this should be a safeguarding referral?") \
        .get_by_label("No").check()
    page.get_by_label("Evidence files").set_input_files(str(evidence))
    page.get_by_role("button", name="Log concern").click()

    page.get_by_text("It is safeguarding-restricted").wait_for()
    concern = Concern.objects.get()
    assert concern.restricted and concern.state == Concern.State.AWAITING_ADVICE
    assert page.get_by_role("link", name="body-map.pdf").is_visible()
    assert page.get_by_role("link", name="Route this concern").count() == 0
    check_a11y(page)

    page.get_by_role("link", name="Record safeguarding advice").click()
    page.get_by_label("Who gave the advice").fill("Sam Safeguard, Safeguarding Adults Team")
    fill_date(page, "Date the advice was given", timezone.localdate())
    page.get_by_label("Advice given").fill("Raise a section 42 enquiry.")
    check_a11y(page)
    page.get_by_role("button", name="Save advice").click()
    page.get_by_text("Safeguarding advice recorded", exact=True).wait_for()

    page.get_by_role("link", name="Route this concern").click()
    page.get_by_label("Onto the next JQMM agenda").check()
    page.get_by_label("Which JQMM").select_option(label=str(meeting))
    check_a11y(page)
    page.get_by_role("button", name="Route concern").click()
    page.get_by_text("Concern routed").wait_for()
    assert page.get_by_text("On the JQMM agenda").first.is_visible()

    page.get_by_role("link", name="Record a risk assessment").click()
    page.get_by_role("group", name="Engagement").get_by_label("2", exact=True).check()
    page.get_by_role("group", name="Impact").get_by_label("3", exact=True).check()
    page.get_by_role("button", name="Show recommended level").click()
    page.get_by_text("recommends: Provider performance meeting (PPM)").wait_for()
    check_a11y(page)
    page.get_by_role("button", name="Save assessment").click()
    page.get_by_text("Risk assessment recorded").wait_for()
    check_a11y(page)

    concern.refresh_from_db()
    assessment = concern.risk_assessments.get()
    assert concern.state == Concern.State.ON_JQMM_AGENDA and concern.jqmm == meeting
    assert (assessment.engagement, assessment.impact, assessment.level) == (2, 3, "ppm")

    page.goto(provider.get_absolute_url())
    page.get_by_role("heading", name="Risk over time").wait_for()
    check_a11y(page)
    page.goto("/")
    assert page.get_by_role("link", name=concern.reference).first.is_visible()
    check_a11y(page)
