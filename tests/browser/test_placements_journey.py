"""People placed, in Debian Chromium: a suspended provider's placements reviewed by a care manager, the suspension
lifted through the pages, and the register showing the episode with its dates. axe on every page."""

import pytest
from django.utils import timezone

from accounts import roles
from core.dates import long_date
from escalation import route_services as rs
from escalation.models import Route
from placements import services
from placements.models import Placement, PlacementReview, PlacingAuthority
from tests.browser.conftest import fill_date
from tests.browser.test_suspension_walk import dmt, done, sign, sprg_decision, write_report
from tests.factories import CaseFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = timezone.localdate


@pytest.fixture
def team(db):
    return {name: UserFactory(username=name, first_name=name.title(), last_name="Tester", roles=[role])
            for name, role in [("cqm", roles.CQM), ("carer", roles.CARE_MANAGER), ("sprg", roles.SPRG_MEMBER),
                               ("dmt", roles.DMT_MEMBER), ("dass", roles.DASS), ("officer", roles.CONTRACT_OFFICER)]}


def _suspended(team):
    """Built to the suspension through the services: the journey starts with placements suspended."""
    provider = ProviderFactory(name="Foxglove Manor")
    case = CaseFactory(level="sosg", owner=team["cqm"], provider=provider)
    for decision in ("agree_at_risk", "route1_not_complied"):
        rs.record_sprg_decision(user=team["sprg"], case_id=case.pk, decision=decision, meeting_date=TODAY(),
                                members_present="Chair; Finance", notes="Discussed")
    rs.write_report(user=team["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=team["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=team["dass"], case_id=case.pk, capacity="dass", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.SUSPENDED
    ours = PlacingAuthority.objects.get(is_this_council=True)
    other = PlacingAuthority.objects.filter(is_this_council=False).first()
    for reference, authority, funding in [("CM-5001", ours, "council"), ("EB-7002", other, "other_council"),
                                          ("SF-0003", ours, "self_funder")]:
        services.add_placement(user=team["carer"], provider_id=provider.pk, reference=reference,
                               placing_authority=authority, funding=funding)
    return case


def _review(page, check_a11y, reference, wishes):
    page.get_by_role("link", name=f"Record the review of {reference}").click()
    page.get_by_role("heading", name=f"Record the review of {reference}").wait_for()
    fill_date(page, "Date of the review", TODAY())
    page.get_by_role("group", name="Was the person's welfare checked?").get_by_label("Yes").check()
    page.get_by_role("group", name="Advocacy").get_by_label("Advocacy offered").check()
    page.get_by_role("group", name="Family or representative").get_by_label(
        "Family or representative contacted").check()
    page.get_by_role("group", name="The person's wishes").get_by_label(wishes).check()
    check_a11y(page)
    page.get_by_role("button", name="Save the review").click()
    done(page, f"Review of {reference} recorded")


def test_suspend_review_three_placements_lift_and_the_register_shows_the_episode(team, login_as, check_a11y):
    case = _suspended(team)
    carer = login_as(team["carer"])
    carer.goto(case.get_absolute_url())
    carer.get_by_role("link", name="Placements to review").click()
    carer.get_by_role("heading", name="Placements to review").wait_for()
    carer.get_by_text("3 people placed with the provider have no review for this suspension yet.").wait_for()
    check_a11y(carer)
    carer.get_by_role("button", name="Start the reviews").click()
    done(carer, "3 reviews started")
    carer.get_by_text("0 reviewed, 3 outstanding, 0 overdue").wait_for()

    # A bad date is reported in the error summary and nothing is recorded.
    carer.get_by_role("link", name="Record the review of CM-5001").click()
    carer.get_by_role("button", name="Save the review").click()
    carer.locator(".govuk-error-summary").get_by_text("Enter the date of the review").wait_for()
    check_a11y(carer)
    assert not PlacementReview.objects.filter(status="reviewed").exists()
    carer.go_back()
    carer.goto(f"/placements/cases/{case.pk}/reviews/")

    for reference, wishes in [("CM-5001", "Wants to stay"), ("EB-7002", "Wants to move"),
                              ("SF-0003", "Undecided, or could not say")]:
        _review(carer, check_a11y, reference, wishes)
    carer.get_by_text("3 reviewed, 0 outstanding, 0 overdue").wait_for()
    carer.goto(case.get_absolute_url())
    carer.get_by_text("3 reviewed, 0 outstanding, 0 overdue").wait_for()

    # Lifting, through the pages.
    sprg = login_as(team["sprg"])
    sprg_decision(sprg, check_a11y, case, "Sufficient progress: Green route (lifting)", "Sustainable progress")
    cqm = login_as(team["cqm"])
    write_report(cqm, check_a11y, case, "Recommend lifting the suspension.", lifting=True)
    dmt(login_as(team["dmt"]), check_a11y, case)
    dass = login_as(team["dass"])
    sign(dass, check_a11y, case, "DASS (Director of Adult Social Services)")
    dass.get_by_text("Routine monitoring with greater initial oversight").first.wait_for()

    # The register: the episode with its dates, and the CQM's entry.
    day = long_date(TODAY())
    cqm.goto("/placements/register/")
    row = cqm.get_by_role("row").filter(has_text=case.reference)
    row.get_by_text(f"At risk: {day} to {day}").wait_for()
    row.get_by_text(f"Suspended: {day} to {day}").wait_for()
    row.get_by_text("Suspension lifted").wait_for()
    check_a11y(cqm)
    row.get_by_role("link", name=f"Write the entry for {case.reference}").click()
    cqm.get_by_label("Public summary").fill("New placements were stopped while the home improved its care.")
    cqm.get_by_role("group", name="Has the suspension or at-risk decision been made public?").get_by_label(
        "Yes").check()
    fill_date(cqm, "Date made public", TODAY())
    check_a11y(cqm)
    cqm.get_by_role("button", name="Save the entry").click()
    done(cqm, f"Register entry for {case.reference} saved")
    cqm.get_by_role("row").filter(has_text=case.reference).get_by_text(
        "New placements were stopped while the home improved its care.").wait_for()


def test_a_closure_plan_is_refused_until_every_move_is_recorded_then_closed(team, login_as, check_a11y):
    case = _suspended(team)
    rs.record_sprg_decision(user=team["sprg"], case_id=case.pk, decision="provider_failed", meeting_date=TODAY(),
                            members_present="Chair; Finance", notes="Failed to comply")
    bluebell = ProviderFactory(name="Bluebell Court")
    cqm = login_as(team["cqm"])
    cqm.goto(case.get_absolute_url())
    cqm.get_by_role("link", name="Closure plan").click()
    cqm.get_by_role("link", name="Open a closure plan").click()
    check_a11y(cqm)
    cqm.get_by_role("button", name="Open the closure plan").click()
    done(cqm, "Closure plan opened")
    cqm.get_by_text("Moves not recorded yet: CM-5001, EB-7002, SF-0003.").wait_for()
    check_a11y(cqm)

    carer = login_as(team["carer"])
    carer.goto(f"/placements/cases/{case.pk}/closure-plan/")
    carer.get_by_role("link", name="Update CM-5001").click()
    carer.get_by_label("Moved", exact=True).check()
    fill_date(carer, "Date of the move", TODAY())
    carer.get_by_label("CQC location ID of the new provider on the register").fill(bluebell.cqc_location_id)
    check_a11y(carer)
    carer.get_by_role("button", name="Save").click()
    done(carer, "CM-5001 updated")
    carer.get_by_role("link", name="Update SF-0003").click()
    carer.get_by_label("Staying (the service carries on under new management)").check()
    carer.get_by_role("button", name="Save").click()
    done(carer, "SF-0003 updated")
    carer.get_by_role("link", name="Record that they were told").click()
    fill_date(carer, "Date notified", TODAY())
    carer.get_by_role("button", name="Save").click()
    carer.get_by_text(f"Notified on {long_date(TODAY())}, by Carer Tester").wait_for()

    cqm.goto(f"/placements/cases/{case.pk}/closure-plan/")
    cqm.get_by_role("link", name="Close the plan").click()
    cqm.get_by_role("button", name="Close the plan").click()
    cqm.locator(".govuk-error-summary").get_by_text(
        "The plan cannot be closed: the move of 1 resident is not recorded: EB-7002").wait_for()
    check_a11y(cqm)

    carer.goto(f"/placements/cases/{case.pk}/closure-plan/")
    carer.get_by_role("link", name="Update EB-7002").click()
    carer.get_by_label("Moved", exact=True).check()
    fill_date(carer, "Date of the move", TODAY())
    carer.get_by_label("New provider outside the register").fill("Seaview House, Blackpool")
    carer.get_by_role("button", name="Save").click()
    done(carer, "EB-7002 updated")

    cqm.goto(f"/placements/cases/{case.pk}/closure-plan/close/")
    cqm.get_by_role("button", name="Close the plan").click()
    done(cqm, "Closure plan closed")
    cqm.get_by_text("Closed").first.wait_for()
    assert set(Placement.objects.active().filter(provider=case.provider).values_list("reference", flat=True)) == {
        "SF-0003"}  # the people who moved have left the provider's list
