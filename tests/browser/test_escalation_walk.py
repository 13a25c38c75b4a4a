"""The ladder walk in Debian Chromium: QA -> PPM (DAP and review) -> JIMP -> SOSG -> step down -> close."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from escalation.models import EscalationCase
from tests.browser.conftest import fill_date, sign_in
from tests.factories import PASSWORD, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def move(page, check_a11y, button, reason, skip_rationale=None):
    page.get_by_role("link", name=button).first.click()
    page.get_by_label("Reason").fill(reason)
    if skip_rationale:
        page.get_by_label("Rationale for skipping a step").fill(skip_rationale)
    check_a11y(page)
    page.get_by_role("button", name=button).click()
    page.get_by_text(f"{button}: done", exact=True).wait_for()


def record_meeting(page, check_a11y, outcome):
    page.get_by_role("link", name="Record a meeting").click()
    fill_date(page, "Meeting date", timezone.localdate())
    for number, (name, agency) in enumerate([("Chris Manager", "Council CQT"), ("Jo Bloggs", "Provider")], 1):
        row = page.get_by_role("group", name=f"Attendee {number}", exact=True)
        row.get_by_label("Name").fill(name)
        row.get_by_label("Agency").fill(agency)
    page.get_by_role("button", name="Add another attendee").click()  # a new row; what was typed is kept
    assert page.get_by_role("group", name="Attendee 1", exact=True).get_by_label("Name").input_value() == \
        "Chris Manager"
    row = page.get_by_role("group", name="Attendee 3", exact=True)
    row.get_by_label("Name").fill("Ann Lee")
    row.get_by_label("Agency").fill("ICB")
    page.get_by_role("group", name="Did the provider attend?").get_by_label("Yes").check()
    page.get_by_label("Minutes").fill("Discussed the concerns.")
    page.get_by_label(outcome, exact=True).check()
    page.get_by_label("Outcome notes").fill(f"{outcome}: agreed with everyone present.")
    check_a11y(page)
    page.get_by_role("button", name="Save meeting").click()
    page.get_by_text("Meeting recorded", exact=True).wait_for()  # on the overview, with what it allows next
    page.get_by_role("link", name="Meetings and visits").click()
    page.get_by_text("Ann Lee (ICB)").first.wait_for()
    page.get_by_role("link", name="Overview").click()


def record_plan_and_review(page, check_a11y, verdict_label):
    today = timezone.localdate()
    page.get_by_role("link", name="Record a DAP/CAP").click()
    page.get_by_label("Corrective Action Plan (CAP)").check()
    fill_date(page, "Start date", today)
    fill_date(page, "Review date", today + datetime.timedelta(days=28))
    check_a11y(page)
    page.get_by_role("button", name="Save plan").click()
    page.get_by_text("Plan recorded", exact=True).wait_for()
    page.get_by_role("link", name="Add an action").first.click()
    page.get_by_label("Area of concern").fill("Staffing")
    page.get_by_label("Action", exact=True).fill("Recruit two night nurses")
    page.get_by_role("group", name="Owner").get_by_label("Provider").check()
    fill_date(page, "Due date", today + datetime.timedelta(days=14))
    check_a11y(page)
    page.get_by_role("button", name="Add action").click()
    page.get_by_text("Action added", exact=True).wait_for()
    page.get_by_role("link", name="Record a performance review").first.click()
    fill_date(page, "Review date", today)
    page.get_by_label(verdict_label).check()
    page.get_by_label("Notes").fill("Reviewed with the provider.")
    check_a11y(page)
    page.get_by_role("button", name="Save review").click()
    page.get_by_text("Performance review recorded", exact=True).wait_for()


def test_cqm_walks_a_case_up_the_ladder_and_back_down_to_closure(page, check_a11y):
    cqm = UserFactory(username="chris", first_name="Chris", last_name="Manager", roles=[roles.CQM])
    provider = ProviderFactory(name="Harbour House")
    sign_in(page, cqm.username, PASSWORD)
    page.goto(provider.get_absolute_url())
    page.get_by_role("link", name="Open an escalation case").click()
    page.get_by_label("Quality assurance meeting").check()
    page.get_by_label("Rationale").fill("Complaints cluster; no assessment yet.")
    page.get_by_role("group", name="Is the service jointly commissioned with the ICB?").get_by_label("No").check()
    check_a11y(page)
    page.get_by_role("button", name="Open case").click()
    page.get_by_text("Current step: step 1 of 4, Quality assurance meeting").wait_for()
    check_a11y(page)

    record_meeting(page, check_a11y, "Issues not resolved")
    page.get_by_text("found the issues not resolved. The case can be escalated to PPM").wait_for()
    move(page, check_a11y, "Escalate to PPM", "Issues not resolved at the QA meeting")
    page.get_by_text("Current step: step 2 of 4").wait_for()

    record_plan_and_review(page, check_a11y, "Not satisfactory: escalate to the next level")
    record_meeting(page, check_a11y, "Improvement not satisfactory")
    move(page, check_a11y, "Escalate to JIMP", "DAP/CAP review not satisfactory")
    page.get_by_text("Current step: step 3 of 4").wait_for()

    record_plan_and_review(page, check_a11y, "Not satisfactory: escalate to the next level")
    record_meeting(page, check_a11y, "Improvement not satisfactory")
    move(page, check_a11y, "Escalate to SOSG", "JIMP review not satisfactory")
    page.get_by_text("Current step: step 4 of 4").wait_for()
    check_a11y(page)

    record_plan_and_review(page, check_a11y, "Improvement satisfactory (close or step down)")
    record_meeting(page, check_a11y, "Improvement satisfactory")
    move(page, check_a11y, "Step down to JIMP", "Sustained improvement at SOSG")
    page.get_by_text("Current step: step 3 of 4").wait_for()

    record_meeting(page, check_a11y, "Improvement satisfactory")
    move(page, check_a11y, "Close the case", "Improvement satisfactory; back to normal monitoring")
    page.get_by_text("Closed: back to normal contract monitoring").first.wait_for()
    check_a11y(page)

    case = EscalationCase.objects.get()
    assert case.level == "closed" and case.closing_reason.startswith("Improvement satisfactory")
    page.goto("/cases/")
    page.get_by_role("link", name="How the process works").click()
    page.get_by_role("heading", name="How the process works").wait_for()
    check_a11y(page)
