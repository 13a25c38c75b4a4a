"""Two-factor sign-in and the session time-out warning in Debian Chromium, with an axe scan on each page."""

import base64
import time

import pytest
from django_otp.oath import totp

from accounts import roles
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def app_code(base32_key: str) -> str:
    """What an authenticator app shows now for the key as typed in from the set-up page."""
    raw = base32_key.replace(" ", "")
    return f"{totp(base64.b32decode(raw + '=' * (-len(raw) % 8))):06d}"


def test_new_person_sets_up_two_factor_then_signs_in_with_codes(page, check_a11y):
    user = UserFactory(username="newstarter", first_name="Nia", last_name="Newton", roles=[roles.CONTRACT_OFFICER])

    page.goto("/sign-in/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Set up two-factor authentication").wait_for()
    assert page.get_by_role("img", name="QR code").get_attribute("src").startswith("data:image/svg+xml;base64,")
    check_a11y(page)
    key = page.locator("#setup-key").inner_text()
    page.get_by_label("Security code").fill("000000" if app_code(key) != "000000" else "111111")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert page.get_by_role("link", name="The security code is wrong or has been used").is_visible()
    check_a11y(page)
    time.sleep(1.1)  # wrong codes are throttled: 1 second after the first
    page.get_by_label("Security code").fill(app_code(key))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    page.get_by_role("heading", name="Two-factor authentication is on").wait_for()
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10
    check_a11y(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="My work").wait_for()

    page.get_by_role("link", name="Your account").click()
    page.get_by_role("heading", name="Your account").wait_for()
    assert page.get_by_text("On: authenticator app").is_visible()
    check_a11y(page)
    page.get_by_role("button", name="Create new recovery codes").click()
    page.get_by_role("heading", name="Create new recovery codes").wait_for()  # a confirmation, then the codes
    check_a11y(page)
    page.get_by_role("button", name="Create new recovery codes").click()
    page.get_by_role("heading", name="Your new recovery codes").wait_for()
    new_codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()
    assert len(new_codes) == 10 and not set(codes) & set(new_codes)
    page.get_by_role("button", name="Sign out").click()

    # Next time: password, then a recovery code (the old ones no longer work).
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Enter the security code").wait_for()
    check_a11y(page)
    page.get_by_label("Security code").fill(codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    time.sleep(1.1)
    page.get_by_label("Security code").fill(new_codes[0])
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="My work").wait_for()
    assert page.get_by_text("You used a recovery code. You have 9 left").is_visible()


def test_warning_before_the_idle_time_out_and_staying_signed_in(page, check_a11y, settings):
    settings.SESSION_IDLE_MINUTES = 5.1  # the warning (5 minutes before) comes 6 seconds after the page loads
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    sign_in(page, officer.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()

    dialog = page.get_by_role("alertdialog", name="You will be signed out in 5 minutes to protect the data")
    dialog.wait_for(timeout=20000)
    assert page.evaluate("document.activeElement.id") == "session-timeout-dialog"
    check_a11y(page)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Stay signed in"
    with page.expect_response(lambda r: r.url.endswith("/account/keep-alive/") and r.request.method == "POST") as r:
        page.keyboard.press("Enter")
    assert r.value.ok and r.value.json()["seconds_left"] == 306
    dialog.wait_for(state="hidden")
    assert page.get_by_role("heading", name="My work").is_visible()

    # It comes back; this time, sign out from it.
    dialog.wait_for(timeout=20000)
    dialog.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()


def test_page_left_open_goes_to_sign_in_with_the_reason(page, settings):
    settings.SESSION_IDLE_MINUTES = 0.1  # 6 seconds
    settings.SESSION_WARNING_MINUTES = 0.05
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    sign_in(page, officer.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()
    page.get_by_role("heading", name="Sign in").wait_for(timeout=20000)
    assert page.get_by_text("You were signed out because you had not done anything for 0.1 minutes.").is_visible()
