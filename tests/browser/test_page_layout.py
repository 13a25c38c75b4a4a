"""Layout people trip over, measured in Debian Chromium at a 1280 px wide window (and 640 px, 200% zoom)."""

import pytest

from accounts import roles
from accounts.models import Notification
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAV_LINKS = ".govuk-service-navigation a"


def signed_in_page(browser, live_server, user, width):
    context = browser.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, user.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()
    return context, page


def boxes(page, selector):
    return page.eval_on_selector_all(selector, """els => els.map(e => {
        const r = e.getBoundingClientRect();
        return {text: e.textContent.trim(), top: r.top, left: r.left, right: r.right, bottom: r.bottom};
    })""")


@pytest.fixture
def administrator_with_every_link(db):
    # The longest menu: an administrator (the Administration link) with other roles too.
    return UserFactory(username="everylink", is_staff=True, roles=[roles.ADMINISTRATOR, roles.CQM, roles.DASS])


def test_the_top_navigation_fits_on_one_line_at_1280_px_and_works_with_the_keyboard(
        browser, live_server, administrator_with_every_link):
    context, page = signed_in_page(browser, live_server, administrator_with_every_link, 1280)
    links = boxes(page, NAV_LINKS)
    assert len({round(link["top"]) for link in links}) == 1, links  # one line
    assert [link["text"] for link in links] == ["My work", "Providers", "Concerns", "Cases", "Placement status",
                                                "JQMM", "Risk matrix", "Administration"]
    # Tabbing from the top of the page reaches every menu link, in order.
    names = [link["text"] for link in links]
    reached = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.closest('.govuk-service-navigation') ? "
                                "document.activeElement.textContent.trim() : null")
        if focused:
            reached.append(focused)
        if len(reached) == len(names):
            break
    assert reached == names
    context.close()


@pytest.mark.parametrize("width", [640, 320])
def test_on_a_narrow_screen_the_menu_folds_behind_a_button_that_opens_it(browser, live_server,
                                                                         administrator_with_every_link, width):
    # 200% zoom of a 1280 px window is a 640 px wide page; 400% zoom is 320 px.
    context, page = signed_in_page(browser, live_server, administrator_with_every_link, width)
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible() and menu.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Placement status").is_visible()
    menu.focus()
    page.keyboard.press("Enter")
    assert menu.get_attribute("aria-expanded") == "true"
    links = boxes(page, NAV_LINKS)
    assert len(links) == 8
    for i, a in enumerate(links):
        assert a["right"] <= width
        for b in links[i + 1:]:
            apart = a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"] \
                or b["bottom"] <= a["top"]
            assert apart, (a, b)
    header = page.locator(".govuk-header").bounding_box()
    assert header["y"] + header["height"] <= min(link["top"] for link in links)  # the menu is below the header
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_without_javascript_the_menu_is_a_plain_list(browser, live_server, administrator_with_every_link):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 320, "height": 900},
                                  java_script_enabled=False)
    page = context.new_page()
    sign_in(page, administrator_with_every_link.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()
    assert not page.get_by_role("button", name="Menu").is_visible()
    assert page.get_by_role("link", name="Placement status").is_visible()
    context.close()


def test_a_notification_that_wraps_is_left_aligned(browser, live_server):
    user = UserFactory(username="wrapped", roles=[roles.CONTRACT_OFFICER])
    Notification.objects.create(recipient=user, message="CASE-00012 Oakwood Care Home: the improvement plan review "
                                "is due today, and the provider has not yet sent the evidence of recruitment that "
                                "the plan asks for; check with the registered manager before the review")
    context, page = signed_in_page(browser, live_server, user, 1280)
    button = page.locator(".app-link-button--dark").first
    lines = button.evaluate("""el => {
        const range = document.createRange();
        range.selectNodeContents(el);
        const byLine = {};
        for (const r of range.getClientRects()) {
            const top = Math.round(r.top);
            byLine[top] = Math.min(byLine[top] ?? Infinity, r.left);
        }
        return Object.values(byLine);
    }""")
    assert len(lines) >= 2, "the message should wrap at this width"
    assert max(lines) - min(lines) < 1, lines  # every line starts at the same left edge
    context.close()
