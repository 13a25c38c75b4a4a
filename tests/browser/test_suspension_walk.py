"""The suspension walks in Debian Chromium, a different person for each role, axe on every page."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from escalation.models import Route
from providers.models import PlacementStatus
from tests.browser.conftest import fill_date
from tests.factories import CaseFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate


@pytest.fixture
def team(db):
    return {name: UserFactory(username=name, first_name=name.title(), last_name="Tester", roles=[role])
            for name, role in [("cqm", roles.CQM), ("officer", roles.CONTRACT_OFFICER), ("sprg", roles.SPRG_MEMBER),
                               ("dmt", roles.DMT_MEMBER), ("dass", roles.DASS), ("icb", roles.ICB_COLLEAGUE)]}


def done(page, text):
    page.get_by_text(text, exact=True).wait_for()


def sprg_decision(page, check_a11y, case, decision, notes, **extra):
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Record an SPRG decision").click()
    page.get_by_role("group", name="SPRG decision").get_by_label(decision).check()
    fill_date(page, "SPRG meeting date", TODAY())
    for number, (name, role) in enumerate([("Hana Cole", "Head of Commissioning, chair"), ("Finn Ray", "Finance"),
                                           ("Cara Quinn", "CQM")], 1):
        row = page.get_by_role("group", name=f"Member {number}", exact=True)
        row.get_by_label("Name").fill(name)
        row.get_by_label("Role").fill(role)
    page.get_by_label("Reasons and notes").fill(notes)
    for label, value in extra.items():
        page.get_by_label(label).fill(value)
    check_a11y(page)
    page.get_by_role("button", name="Record decision").click()
    done(page, "SPRG decision recorded")


def write_report(page, check_a11y, case, body, lifting=False):
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Write the report").click()
    page.get_by_label("Report", exact=True).fill(body)
    if lifting:
        page.get_by_role("group", name="Is the lifting conditional?").get_by_label("Yes").check()
        row = page.get_by_role("group", name="Condition 1", exact=True)
        row.get_by_label("Condition", exact=True).fill("Weekly staffing return to the CQT")
        fill_date(row, "Review date", TODAY() + datetime.timedelta(days=30))
        page.get_by_role("button", name="Add another condition").click()
        row = page.get_by_role("group", name="Condition 2", exact=True)
        row.get_by_label("Condition", exact=True).fill("Monthly medication audit")
        fill_date(row, "Review date", TODAY() + datetime.timedelta(days=60))
        fill_date(page, "Greater initial oversight until", TODAY() + datetime.timedelta(days=90))
    check_a11y(page)
    page.get_by_role("button", name="Save report").click()
    done(page, "Report saved")


def dmt(page, check_a11y, case, endorse=True, rationale=""):
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Record DMT's decision").click()
    page.get_by_label("Endorsed" if endorse else "Not endorsed", exact=True).check()
    if rationale:
        page.get_by_label("Rationale").fill(rationale)
        page.get_by_label("Back to the start of Route 1 (new 4-week deadline)").check()
    check_a11y(page)
    page.get_by_role("button", name="Record decision").click()
    done(page, "DMT decision recorded")


def sign(page, check_a11y, case, capacity):
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Sign off the decision").click()
    page.get_by_label(capacity).check()
    page.get_by_label("I have read this version of the report and sign it off").check()
    check_a11y(page)
    page.get_by_role("button", name="Sign off").click()
    done(page, "Signed off")


def test_amber_to_red_to_green_with_conditional_lifting(team, login_as, check_a11y):
    provider = ProviderFactory(name="Ashdown Care Village")
    case = CaseFactory(level="sosg", owner=team["cqm"], provider=provider, jointly_commissioned=True)
    sprg = login_as(team["sprg"])
    sprg_decision(sprg, check_a11y, case, "Agree 'at risk' status (Route 1 - Amber)", "Serious concerns persist")
    sprg.get_by_text("Route 1 (amber): at risk of suspension").first.wait_for()

    officer = login_as(team["officer"])
    officer.goto(case.get_absolute_url())
    officer.get_by_role("link", name="Record the improvement plan").click()
    fill_date(officer, "Start date", TODAY())
    fill_date(officer, "Review date", TODAY() + datetime.timedelta(days=28))
    check_a11y(officer)
    officer.get_by_role("button", name="Save plan").click()
    done(officer, "Improvement plan recorded")
    officer.get_by_role("link", name="Add an action").first.click()
    officer.get_by_label("Area of concern").fill("Staffing")
    officer.get_by_label("Action", exact=True).fill("Recruit two night nurses")
    officer.get_by_role("group", name="Owner").get_by_label("Provider").check()
    fill_date(officer, "Due date", TODAY() + datetime.timedelta(days=14))
    officer.get_by_role("button", name="Add action").click()
    done(officer, "Action added")

    sprg_decision(sprg, check_a11y, case, "Not complied: proceed to Route 2 (Red)", "Little or no progress")
    cqm = login_as(team["cqm"])
    write_report(cqm, check_a11y, case, "The SPRG recommends immediate suspension of placements.")
    dmt_page = login_as(team["dmt"])
    dmt(dmt_page, check_a11y, case)
    dass = login_as(team["dass"])
    sign(dass, check_a11y, case, "DASS (Director of Adult Social Services)")
    case.refresh_from_db()
    assert case.route == Route.SUSPENSION_ENDORSED  # waiting for the ICB co-signature
    icb = login_as(team["icb"])
    sign(icb, check_a11y, case, "ICB colleague (jointly commissioned)")
    icb.get_by_text("Placements suspended").first.wait_for()
    provider.refresh_from_db()
    assert provider.placement_status == PlacementStatus.SUSPENDED

    for recipient in ["Basecamp (NW)", "CQC", "Care Management", "Internal Finance",
                      "Service users, relatives and advocates"]:
        officer.goto(case.get_absolute_url())
        officer.get_by_role("link", name="Decisions and letters").click()
        officer.get_by_role("row").filter(has_text=recipient).get_by_role("link", name="Mark as notified").click()
        officer.get_by_label("Note").fill("Sent by email")
        officer.get_by_role("button", name="Mark as notified").click()
        done(officer, f"{recipient} marked as notified")
    check_a11y(officer)

    sprg_decision(sprg, check_a11y, case, "Monthly progress review while suspended", "Progress on staffing")
    sprg_decision(sprg, check_a11y, case, "Sufficient progress: Green route (lifting)", "Sustainable progress",
                  **{"Why lift while improvement-plan actions are still open": "Nurses start next week"})
    write_report(cqm, check_a11y, case, "Recommend conditional lifting of the suspension.", lifting=True)
    dmt(dmt_page, check_a11y, case)
    sign(dass, check_a11y, case, "DASS (Director of Adult Social Services)")
    sign(icb, check_a11y, case, "ICB colleague (jointly commissioned)")
    icb.get_by_text("Routine monitoring with greater initial oversight").first.wait_for()
    provider.refresh_from_db()
    assert provider.placement_status == PlacementStatus.CONDITIONS

    officer.get_by_role("link", name="Placement status").click()
    officer.get_by_role("link", name="Ashdown Care Village").wait_for()
    check_a11y(officer)


def test_dmt_does_not_endorse_and_the_case_returns_to_route_1(team, login_as, check_a11y):
    case = CaseFactory(level="jimp", owner=team["cqm"], provider=ProviderFactory(name="Willow Court"))
    sprg = login_as(team["sprg"])
    sprg_decision(sprg, check_a11y, case, "Urgent safety concerns: straight to Route 2 (Red)", "Fire safety risk")
    cqm = login_as(team["cqm"])
    write_report(cqm, check_a11y, case, "Recommend immediate suspension: fire doors and alarms failed.")
    dmt_page = login_as(team["dmt"])
    dmt(dmt_page, check_a11y, case, endorse=False, rationale="Repairs completed; give Route 1 a chance")
    dmt_page.get_by_text("Route 1 (amber): at risk of suspension").first.wait_for()
    case.refresh_from_db()
    assert case.route == Route.AT_RISK
    assert case.route_deadline == TODAY() + datetime.timedelta(weeks=4)
