"""Generate, preview, issue and download an at-risk letter; its deadline reaches the home page."""

import hashlib
import subprocess

import pytest
from django.utils import timezone

from accounts import roles
from letters.models import Letter
from tests.browser.conftest import fill_date
from tests.factories import CaseFactory, ProviderFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_cqm_generates_previews_issues_and_downloads_an_at_risk_letter(login_as, check_a11y):
    cqm = UserFactory(username="carys", first_name="Carys", last_name="Mensah", roles=[roles.CQM])
    provider = ProviderFactory(name="Cedar Grange", registered_manager="Hannah Wood")
    case = CaseFactory(level="sosg", owner=cqm, provider=provider, route="at_risk")
    page = login_as(cqm)
    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Decisions and letters").click()
    page.get_by_role("link", name="Write a letter").click()
    page.get_by_label("At risk of suspension (amber)").check()
    page.get_by_label("Text of the letter").fill("Staffing fell below safe levels on four nights in October.")
    check_a11y(page)
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("heading", name="At risk of suspension (amber) letter").wait_for()
    check_a11y(page)

    preview = page.request.get(page.get_by_role("link", name="Preview the PDF").get_attribute("href"))
    assert preview.headers["content-type"] == "application/pdf"
    assert b"%PDF" in preview.body()[:8]

    page.get_by_role("button", name="Issue the letter").click()
    page.get_by_text("issued. SHA-256").wait_for()
    check_a11y(page)
    letter = Letter.objects.get()
    assert letter.status == "issued"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the issued PDF").click()
    data = open(download_info.value.path(), "rb").read()
    assert hashlib.sha256(data).hexdigest() == letter.sha256
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
    assert "Cedar Grange" in text and "Staffing fell below safe levels" in text and letter.reference in text

    page.get_by_role("link", name="Record the date of delivery").click()
    fill_date(page, "Date of delivery", timezone.localdate())
    check_a11y(page)
    page.get_by_role("button", name="Record delivery").click()
    page.get_by_text("Delivery date recorded").wait_for()

    page.goto("/")
    page.get_by_text("Improvement plan co-produced (5 working days after the at-risk letter)").wait_for()
    check_a11y(page)
