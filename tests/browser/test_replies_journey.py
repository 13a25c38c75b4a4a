"""A provider contact updates a plan action with a file and appeals against the suspension; a CQM accepts the
update; a DMT member who took no part in the suspension decides the appeal; a CQM issues the outcome letter."""

import pytest
from django.test import Client

from accounts import roles
from escalation.models import PlanAction
from letters.models import Letter, LetterKind
from replies.models import ActionUpdate, Appeal
from tests.factories import UserFactory
from tests.test_replies import make_contact, pdf, suspended

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def contact_page(browser, live_server, user):
    """A browser signed in as a provider contact (both factors, as the tests' force_login does): the portal's own
    sign-in pages are not this journey's business."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    return context, page


def test_a_provider_updates_and_appeals_and_the_council_answers(browser, live_server, login_as, check_a11y,
                                                                 people, tmp_path):
    case = suspended(people)
    contact = make_contact(case.provider, username="manager")
    upload = tmp_path / "falls-assessments.pdf"
    upload.write_bytes(pdf().read())

    context, page = contact_page(browser, live_server, contact)
    try:
        page.goto("/portal/actions/")
        page.get_by_role("heading", name="Your plan actions").wait_for()
        page.get_by_text("Falls risk assessment for every resident").wait_for()
        check_a11y(page)
        page.get_by_role("link", name="Send an update").click()
        page.get_by_label("What progress have you made on this action?").fill("Every resident now has one.")
        page.get_by_label("Complete").check()
        page.get_by_label("Evidence files").set_input_files(str(upload))
        check_a11y(page)
        page.get_by_role("button", name="Send the update").click()
        page.get_by_text("Your update was sent to the council").wait_for()
        page.get_by_text("Waiting for the council").wait_for()

        page.get_by_role("link", name="Appeals").click()
        page.get_by_text("You can appeal until").wait_for()
        check_a11y(page)
        page.get_by_role("link", name="Appeal against this decision").click()
        page.get_by_label("Your grounds of appeal").fill("The falls counted include residents admitted from hospital.")
        page.get_by_label("Evidence files").set_input_files(str(upload))
        page.get_by_role("button", name="Send the appeal").click()
        page.get_by_role("heading", name="Your appeal against the suspension of placements").wait_for()
        page.get_by_text("Waiting for a decision").wait_for()
        check_a11y(page)
    finally:
        context.close()
    assert ActionUpdate.objects.get().evidence.get().original_name == "falls-assessments.pdf"
    appeal = Appeal.objects.get()

    cqm = login_as(people["cqm"])
    cqm.goto(case.get_absolute_url())
    cqm.get_by_role("link", name="Provider portal").click()
    cqm.get_by_role("heading", name="The provider's updates and appeals").wait_for()
    cqm.get_by_role("link", name="Accept or query").click()
    cqm.get_by_role("link", name="falls-assessments.pdf").wait_for()
    check_a11y(cqm)
    cqm.get_by_label("Accept the update: record the progress on the action").check()
    cqm.get_by_role("button", name="Send your answer").click()
    cqm.get_by_text("Update accepted").wait_for()
    assert PlanAction.objects.get().status == PlanAction.Status.COMPLETE

    senior = UserFactory(username="dmt-independent", first_name="Dee", last_name="Senior", roles=[roles.DMT_MEMBER])
    dmt = login_as(senior)
    dmt.goto("/replies/")
    dmt.get_by_role("row", name=case.reference).get_by_role("link", name=str(case.provider)).click()
    dmt.get_by_role("heading", name="Appeal against the suspension of placements").wait_for()
    check_a11y(dmt)
    dmt.get_by_label("Decision upheld: the suspension stands").check()
    dmt.get_by_label("Reasons for the decision").fill("The council's figures exclude hospital admissions.")
    dmt.get_by_role("button", name="Record the decision").click()
    dmt.get_by_text("Appeal decided").wait_for()
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD and appeal.decided_by == senior
    letter = Letter.objects.get(kind=LetterKind.APPEAL_OUTCOME)
    assert appeal.letter == letter

    cqm.goto(case.get_absolute_url())
    cqm.get_by_role("link", name="Provider portal").click()
    cqm.get_by_role("link", name=f"Outcome letter {letter.reference}").click()
    cqm.get_by_role("button", name="Issue the letter").click()
    cqm.get_by_text("issued. SHA-256").wait_for()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED
