"""The providers' portal in Debian Chromium, by visible labels, with an axe scan on every page: a CQM adds a
contact, an officer shares a concern, the provider signs in to the portal and replies with a file, and the council
sees the reply and marks it read."""

import pytest
from django.core import mail

from accounts import roles
from portal.models import ProviderReply
from providers.models import ProviderContact
from tests.browser.conftest import sign_in
from tests.conftest import totp_code, totp_device
from tests.factories import PASSWORD, ConcernFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DESCRIPTION = "Resident in room 4 missed evening medicines on 2 November"


def test_provider_replies_with_a_file_and_the_council_sees_it(browser, live_server, page, check_a11y, tmp_path):
    cqm = UserFactory(username="chris", roles=[roles.CQM])
    officer = UserFactory(username="olivia", first_name="Olivia", last_name="Officer", roles=[roles.CONTRACT_OFFICER])
    provider = ProviderFactory(name="Oakwood Lodge Care Home")
    concern = ConcernFactory(provider=provider, description=DESCRIPTION, logged_by=officer)
    evidence = tmp_path / "medicines-audit.pdf"
    evidence.write_bytes(PDF)

    # A CQM adds the home's manager as a contact, from the provider's page.
    sign_in(page, cqm.username, PASSWORD)
    page.goto(provider.get_absolute_url())
    page.get_by_role("link", name="Providers' portal contacts").click()
    check_a11y(page)
    page.get_by_label("Full name").fill("Janet Price")
    page.get_by_label("Email address").fill("janet@oakwood.example")
    page.get_by_role("button", name="Add contact and send invitation").click()
    page.get_by_text("Janet Price added").wait_for()
    check_a11y(page)
    account = ProviderContact.objects.get(provider=provider).user
    account.set_password(PASSWORD)
    account.username = "janet"
    account.save()
    totp_device(account)  # as if she had followed the invitation and set up her app

    # An officer shares the concern with the provider.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    officer_page = context.new_page()
    sign_in(officer_page, officer.username, PASSWORD)
    officer_page.goto(concern.get_absolute_url())
    officer_page.get_by_role("link", name="Share with the provider").click()
    check_a11y(officer_page)
    officer_page.get_by_label("A response to the concern").check()
    officer_page.get_by_label("Title the provider sees").fill("Evening medicines")
    officer_page.get_by_label("What the provider reads").fill("Tell us how evening medicine rounds are checked.")
    officer_page.get_by_role("button", name="Share with the provider").click()
    officer_page.locator(".govuk-notification-banner").get_by_text("Shared with Oakwood Lodge Care Home").wait_for()
    new_item = [m for m in mail.outbox if m.to == ["janet@oakwood.example"] and "new" in m.body]
    assert new_item and DESCRIPTION not in new_item[-1].body and "Evening medicines" not in new_item[-1].body

    # The provider signs in to the portal and replies, first forgetting to write anything.
    provider_context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    portal = provider_context.new_page()
    portal.goto("/portal/sign-in/")
    check_a11y(portal)
    portal.get_by_label("Username").fill("janet")
    portal.get_by_label("Password").fill(PASSWORD)
    portal.get_by_role("button", name="Sign in").click()
    portal.get_by_role("heading", name="Enter the security code").wait_for()
    check_a11y(portal)
    portal.get_by_label("Security code").fill(totp_code(account))
    portal.get_by_role("button", name="Continue").click()
    portal.get_by_role("heading", name="Shared with you").wait_for()
    check_a11y(portal)
    assert portal.get_by_role("link", name="Concerns", exact=True).count() == 0  # no staff menu
    portal.get_by_role("link", name="Evening medicines").click()
    check_a11y(portal)
    assert DESCRIPTION not in portal.content()
    portal.get_by_role("button", name="Send reply").click()
    portal.get_by_role("heading", name="There is a problem").wait_for()
    check_a11y(portal)
    portal.get_by_label("Your reply").fill("We now check every round with a second carer. Audit attached.")
    portal.get_by_label("Evidence files").set_input_files(str(evidence))
    portal.get_by_role("button", name="Send reply").click()
    portal.get_by_text("Your reply has been sent to the council").wait_for()
    check_a11y(portal)
    assert ProviderReply.objects.get().files.get().original_name == "medicines-audit.pdf"
    # A staff address does not exist for her.
    assert portal.goto("/concerns/").status == 404

    # The council sees the reply on the concern's page and marks it read.
    officer_page.goto(concern.get_absolute_url())
    officer_page.get_by_text("We now check every round with a second carer").wait_for()
    assert officer_page.get_by_role("link", name="medicines-audit.pdf").count() == 1
    check_a11y(officer_page)
    officer_page.get_by_role("button", name="Mark as read").click()
    officer_page.get_by_text("Reply marked as read").wait_for()
    assert ProviderReply.objects.get().read_by == officer
    context.close()
    provider_context.close()
