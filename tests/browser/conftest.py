import os
import shutil

import pytest

from tests.conftest import REQUIRE_SERVICES

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium is not installed at {CHROMIUM} and REQUIRE_SERVICES=1")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def check_a11y(axe):
    """Run axe (WCAG 2.2 AA rule set) on the current page and fail on any violation."""

    def check(page):
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check


def sign_in(page, username, password):
    """Both steps: the password, then the security code from the user's authenticator app (made if missing)."""
    from accounts.models import User
    from tests.conftest import totp_code, totp_device

    user = User.objects.get(username=username)
    totp_device(user)  # so the password step goes on to "Enter the security code", not set-up
    page.goto("/sign-in/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Enter the security code").wait_for()
    page.get_by_label("Security code").fill(totp_code(user))
    page.get_by_role("button", name="Continue").click()


def fill_date(page, legend: str, value):
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))


@pytest.fixture
def login_as(browser, live_server):
    """A fresh browser context signed in as the given user: one person per role in a walk."""
    contexts = []

    def login(user):
        from tests.factories import PASSWORD

        context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, user.username, PASSWORD)
        page.get_by_role("heading", name="My work").wait_for()
        return page

    yield login
    for context in contexts:
        context.close()
