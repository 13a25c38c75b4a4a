"""With the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys and typing; no clicks): log a concern after a
mistake, record safeguarding advice, escalate a case and sign off a suspension as the DASS. On every page it
visits: an axe scan, and at 320 CSS px wide (400% zoom) nothing but a table's own box scrolls sideways."""

import datetime

import pytest
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from concerns.models import Concern
from escalation import route_services as rs
from escalation.models import EscalationCase, Route
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, CaseFactory, ConcernFactory, ProviderFactory, UserFactory, meeting_decided, sprg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => { const e = document.activeElement;
    return {id: e.id, tag: e.tagName, text: (e.innerText || e.value || '').trim().slice(0, 80),
            summary: !!e.closest('.govuk-error-summary'), banner: !!e.closest('.govuk-notification-banner')}; }"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, *, id=None, text=None, back=False, limit=120) -> dict:
    """Press Tab (or Shift+Tab) until the element with this id, or whose text starts with `text`, has focus."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        now = focused(page)
        if (id and now["id"] == id) or (text and now["text"].startswith(text)):
            return now
    raise AssertionError(f"Tab never reached {id or text!r}; last: {now}")


def check_page(page, check_a11y):
    """axe, then the page at 320 px wide: the page itself never scrolls sideways."""
    check_a11y(page)
    page.set_viewport_size({"width": 320, "height": 800})
    wide = page.evaluate("document.documentElement.scrollWidth")
    page.set_viewport_size({"width": 1100, "height": 900})
    assert wide <= 320, f"{page.url} is {wide} px wide at 320 px"


def type_date(page, field_id, value):
    tab_to(page, id=f"{field_id}_0")
    page.keyboard.type(str(value.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(value.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(value.year))


def new_page(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, user.username, PASSWORD)
    page.get_by_role("heading", name="My work").wait_for()
    return context, page


def test_log_advise_escalate_and_sign_off_with_the_keyboard_alone(browser, live_server, check_a11y):
    officer = UserFactory(username="kofficer", roles=[roles.CONTRACT_OFFICER])
    lead = UserFactory(username="klead", roles=[roles.SAFEGUARDING_LEAD])
    cqm = UserFactory(username="kcqm", roles=[roles.CQM])
    provider = ProviderFactory(name="Oakwood Lodge Care Home")
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    # --- the officer logs a concern, first sending the empty form -------------------------------------------
    context, page = new_page(browser, live_server, officer)
    check_page(page, check_a11y)
    page.goto(f"/concerns/new/provider/{provider.pk}/")
    check_page(page, check_a11y)
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to main content"
    page.keyboard.press("Enter")  # the skip link: the form below must still send focus to the summary
    tab_to(page, text="Log concern")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert focused(page)["summary"], focused(page)
    assert "#main-content" not in page.url
    check_page(page, check_a11y)
    # Each summary link moves focus to its field: the radio group's first option, a date's day box.
    tab_to(page, text="Select where the concern came from")
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_source_1"
    page.keyboard.press("Space")  # Safeguarding
    tab_to(page, text="Enter the date received", back=True)
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "id_received_on_0"
    page.keyboard.type(str(yesterday.day))
    page.keyboard.press("Tab")
    page.keyboard.type(str(yesterday.month))
    page.keyboard.press("Tab")
    page.keyboard.type(str(yesterday.year))
    tab_to(page, id="id_raised_by")
    page.keyboard.type("District nurse")
    tab_to(page, id="id_description")
    page.keyboard.type("Unexplained bruising to a resident's forearms.")
    tab_to(page, id="id_people_affected")
    page.keyboard.type("1")
    tab_to(page, id="id_safety_concern_1")
    page.keyboard.press("Space")  # yes
    tab_to(page, id="id_position_of_trust_1")
    page.keyboard.press("ArrowDown")  # arrows move within a radio group and choose: no
    tab_to(page, id="id_referral_uncertain_1")
    page.keyboard.press("ArrowDown")
    tab_to(page, text="Log concern")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Concern", exact=False).first.wait_for()
    assert focused(page)["banner"], focused(page)
    concern = Concern.objects.get(provider=provider)
    assert concern.restricted and concern.raised_by == "District nurse"
    check_page(page, check_a11y)
    context.close()

    # --- the safeguarding lead records advice ---------------------------------------------------------------
    context, page = new_page(browser, live_server, lead)
    page.goto(concern.get_absolute_url())
    check_page(page, check_a11y)
    tab_to(page, text="Record safeguarding advice")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Record safeguarding advice").wait_for()
    check_page(page, check_a11y)
    tab_to(page, id="id_adviser")
    page.keyboard.type("Sam Safeguard, Safeguarding Adults Team")
    type_date(page, "id_advised_on", timezone.localdate())
    tab_to(page, id="id_advice")
    page.keyboard.type("Raise a section 42 enquiry.")
    tab_to(page, text="Save advice")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{concern.get_absolute_url()}")
    assert focused(page)["banner"], focused(page)
    concern.refresh_from_db()
    assert concern.state == Concern.State.AWAITING_ROUTING
    context.close()

    # --- the CQM escalates a case whose QA meeting found the issues not resolved ----------------------------
    case = CaseFactory(level="qa", owner=cqm)
    meeting_decided(case, "not_resolved")
    context, page = new_page(browser, live_server, cqm)
    page.goto(case.get_absolute_url())
    check_page(page, check_a11y)
    tab_to(page, text="Escalate to PPM")
    page.keyboard.press("Enter")
    page.get_by_label("Reason").wait_for()
    check_page(page, check_a11y)
    tab_to(page, id="id_reason")
    page.keyboard.type("The QA meeting found the issues not resolved.")
    tab_to(page, text="Escalate to PPM")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{case.get_absolute_url()}")
    assert focused(page)["banner"], focused(page)
    assert EscalationCase.objects.get(pk=case.pk).level == "ppm"
    context.close()


def test_the_dass_finds_the_sign_off_on_my_work_and_signs_with_the_keyboard(browser, live_server, check_a11y,
                                                                              people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    context, page = new_page(browser, live_server, people["dass"])
    check_page(page, check_a11y)
    assert page.locator(".app-count").inner_text().startswith("1")
    tab_to(page, text="Sign off the suspension")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Sign off the decision").wait_for()
    check_page(page, check_a11y)
    assert page.get_by_label("DASS (Director of Adult Social Services)").is_checked()  # the only capacity
    tab_to(page, id="id_confirm")
    page.keyboard.press("Space")
    tab_to(page, text="Sign off")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{case.get_absolute_url()}")
    assert focused(page)["banner"], focused(page)
    assert EscalationCase.objects.get(pk=case.pk).route == Route.SUSPENDED
    check_page(page, check_a11y)
    context.close()


def test_the_header_is_in_reading_order_and_every_control_shows_the_gov_uk_focus(browser, live_server):
    user = UserFactory(username="kheader", roles=[roles.CONTRACT_OFFICER])
    Notification.objects.create(recipient=user, message="A case you own moved")
    context, page = new_page(browser, live_server, user)
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        now = focused(page)
        style = page.evaluate("getComputedStyle(document.activeElement).backgroundColor")
        order.append((now["text"].split("\n")[0], style))
    texts = [text for text, _ in order]
    council = texts.index(next(t for t in texts if t.startswith("Northfield")))
    assert texts[0] == "Skip to main content"
    assert council < texts.index("Your account") < texts.index("Sign out") < texts.index("My work")
    for text, background in order[1:]:
        if text in ("Your account", "Sign out") or text.startswith("Northfield"):
            assert background == "rgb(255, 221, 0)", (text, background)  # GOV.UK focus yellow
    tab_to(page, text="A case you own moved")
    assert page.evaluate("getComputedStyle(document.activeElement).backgroundColor") == "rgb(255, 221, 0)"
    context.close()


def test_at_320_px_no_page_scrolls_sideways(browser, live_server, people):
    """400% zoom: the pages a council team uses most, with long names and wide tables, and the calendar link."""
    cqm = UserFactory(username="wide", roles=[roles.CQM, roles.ADMINISTRATOR], is_staff=True)
    provider = ProviderFactory(name="St Mary's & St John's Residential and Nursing Care Home (Northfield) Limited")
    concern = ConcernFactory(provider=provider, logged_by=cqm)
    case = CaseFactory(level="sosg", owner=cqm, provider=provider)
    sprg(people, case, "agree_at_risk")
    context, page = new_page(browser, live_server, cqm)
    page.set_viewport_size({"width": 320, "height": 800})
    pages = ["/", "/providers/", provider.get_absolute_url(), "/concerns/", concern.get_absolute_url(),
             "/concerns/risk-matrix/", "/concerns/risk-matrix/new/", "/concerns/jqmm/", "/cases/",
             case.get_absolute_url(), "/cases/how-the-process-works/", "/cases/placement-status/", "/cases/sprg/",
             "/letters/templates/", "/account/", f"/concerns/{concern.pk}/risk-assessment/"]
    scrolling = 0
    for path in pages:
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} is {width} px wide at 320 px"
        # A table box that scrolls is named and can be reached with Tab.
        for box in page.locator(".app-table-scroll").all():
            if box.evaluate("b => b.scrollWidth > b.clientWidth + 1"):
                assert box.get_attribute("tabindex") == "0" and box.get_attribute("role") == "region"
                assert box.get_attribute("aria-label")
                scrolling += 1
    assert scrolling >= 3  # the wide tables (concerns, cases, the matrix...) did scroll in their boxes
    page.goto("/")
    page.get_by_text("Add your deadlines and JQMMs to your calendar").click()
    page.get_by_role("button", name="Create a calendar link").click()
    page.get_by_role("heading", name="Your calendar link has been created").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    context.close()


def test_error_links_move_focus_for_checkboxes_text_and_files(browser, live_server, people, tmp_path):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    context, page = new_page(browser, live_server, people["dass"])
    page.goto(f"/cases/{case.pk}/sign-off/")
    page.get_by_role("button", name="Sign off").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    page.get_by_role("link", name="Confirm you have read the report and sign it off").click()
    assert focused(page)["id"] == "id_confirm"
    context.close()

    context, page = new_page(browser, live_server, people["officer"])
    provider = ProviderFactory()
    page.goto(f"/concerns/new/provider/{provider.pk}/")
    evidence = tmp_path / "body-map.pdf"
    evidence.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("Evidence files").set_input_files(str(evidence))
    page.get_by_role("button", name="Log concern").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    page.get_by_role("link", name="Enter who raised the concern").click()
    assert focused(page)["id"] == "id_raised_by"
    page.get_by_role("link", name="Describe what happened").click()
    assert focused(page)["id"] == "id_description" and focused(page)["tag"] == "TEXTAREA"
    link = page.get_by_role("link", name="Choose body-map.pdf again: files are not kept when the page shows a problem")
    link.click()
    assert focused(page)["id"] == "id_evidence"
    context.close()
