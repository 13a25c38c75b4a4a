"""Creating and resetting the calendar link in Debian Chromium, with an axe scan on each page."""

import urllib.error
import urllib.request

import pytest

from accounts import roles
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - the test's own live server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_create_copy_and_reset_the_calendar_link(login_as, check_a11y):
    page = login_as(UserFactory(roles=[roles.CQM]))
    page.get_by_text("Add your deadlines and JQMMs to your calendar").click()
    check_a11y(page)
    page.get_by_role("button", name="Create a calendar link").click()
    page.get_by_role("heading", name="Your calendar link has been created").wait_for()
    check_a11y(page)
    first = page.get_by_label("Your calendar address").input_value()
    assert "/deadlines/calendar/" in first and first.endswith(".ics")
    assert status_of(first) == 200

    page.get_by_role("link", name="Back to my work").first.click()
    page.get_by_text("Add your deadlines and JQMMs to your calendar").click()
    assert first not in page.content()
    page.get_by_role("button", name="Reset the calendar link").click()
    page.get_by_role("heading", name="Your calendar link has been reset").wait_for()
    check_a11y(page)
    second = page.get_by_label("Your calendar address").input_value()
    assert second != first and status_of(second) == 200 and status_of(first) == 404
