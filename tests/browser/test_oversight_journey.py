"""An SPRG member builds the monthly pack in the browser, watches it being built, downloads it and reads it; the
board reports and a case's whole-record export work from the pages. Every page passes axe (WCAG 2.2 AA)."""

import io
import os
import subprocess
import zipfile

import pytest
from django.utils import timezone

from accounts import roles
from escalation.models import Route
from oversight import services
from oversight.models import PackJob
from tests.browser.conftest import fill_date
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, ensure_reference_data, sprg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("OVERSIGHT_SCREENSHOTS")  # a folder to save the pages in, to look at them


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def test_an_sprg_member_builds_waits_for_and_downloads_the_monthly_pack(login_as, check_a11y):
    ensure_reference_data()
    people = {"sprg": UserFactory(roles=[roles.SPRG_MEMBER]), "cqm": UserFactory(roles=[roles.CQM])}
    case = CaseFactory(level="ppm", owner=people["cqm"], provider=ProviderFactory(name="Hawthorn Rise"))
    sprg(people, case, "agree_at_risk")
    CaseFactory(level="sosg", owner=people["cqm"], provider=ProviderFactory(name="Juniper Court"))
    assert case.__class__.objects.get(pk=case.pk).route == Route.AT_RISK

    page = login_as(people["sprg"])
    page.get_by_role("link", name="Board reports").click()  # from My work
    page.get_by_role("heading", name="Board reports").wait_for()
    check_a11y(page)
    page.get_by_role("link", name="Meeting packs").click()
    page.get_by_role("heading", name="Meeting packs").wait_for()
    assert page.get_by_label("SPRG monthly pack").is_checked()  # the only pack an SPRG member builds
    group = page.get_by_role("group", name="Meeting date", exact=True)
    group.get_by_label("Day").fill("31")  # no such date: a message, nothing queued
    group.get_by_label("Month").fill("2")
    page.get_by_role("button", name="Build the pack").click()
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "Meeting date must be a real date" in page.inner_text(".govuk-error-summary")
    check_a11y(page)
    assert not PackJob.objects.exists()

    meeting_day = timezone.localdate()
    page.get_by_label("SPRG monthly pack").check()
    fill_date(page, "Meeting date", meeting_day)
    page.get_by_role("button", name="Build the pack").click()
    page.get_by_role("heading", name="SPRG monthly pack").wait_for()
    page.get_by_text("Pack ready").wait_for(timeout=30000)
    assert "2 providers" in page.inner_text(".govuk-panel")
    shot(page, "pack-ready")
    check_a11y(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the pack (PDF)").click()
    text = pdf_text(open(download_info.value.path(), "rb").read())
    assert "Strategic Provider Risk Group" in text and "Hawthorn Rise" in text and "Juniper Court" in text
    assert "Decision needed: SPRG decision on Route 1" in text

    # A pack still waiting for the worker: the page says so and follows it on its own until it is ready.
    job = PackJob.objects.create(kind="sprg", meeting_date=meeting_day + timezone.timedelta(days=28),
                                 requested_by=people["sprg"])
    page.goto(job.get_absolute_url())
    page.get_by_text("The pack is waiting to start.").wait_for()
    shot(page, "pack-waiting")
    check_a11y(page)
    services.build_pack(job_id=job.pk)
    page.get_by_text("Pack ready").wait_for(timeout=20000)  # the page reloads itself every 10 seconds
    page.get_by_role("link", name="Back to meeting packs").click()
    assert page.locator("table tbody tr").count() == 2
    check_a11y(page)


def test_a_cqm_reads_the_board_reports_and_exports_a_case_record(login_as, check_a11y):
    ensure_reference_data()
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="jimp", owner=cqm, provider=ProviderFactory(name="Laurel Bank"))
    ConcernFactory(provider=case.provider, case=case, description="Call bells unanswered for an hour")
    page = login_as(cqm)
    page.get_by_role("link", name="Board reports").click()  # from My work
    page.get_by_role("heading", name="Concerns received each month, by source").wait_for()
    page.wait_for_function("() => { const img = document.querySelector(\"img[src*='concerns-by-source.svg']\");"
                           " return img && img.complete && img.naturalWidth > 0; }")  # the chart is drawn
    shot(page, "board-reports")
    check_a11y(page)
    page.get_by_text("Change the period").click()
    fill_date(page, "Start date", timezone.localdate().replace(day=1))
    fill_date(page, "End date", timezone.localdate())
    page.get_by_role("button", name="Show the reports").click()
    page.get_by_text(f"From {timezone.localdate().replace(day=1):%-d %B %Y}").wait_for()
    with page.expect_download() as download_info:
        page.locator("#concerns-by-source ~ p a[href*='download=concerns-by-source']").click()
    assert open(download_info.value.path(), encoding="utf-8").read().startswith("Month,Safeguarding")

    page.goto(case.get_absolute_url())
    page.get_by_role("link", name="Timeline", exact=True).click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"Export the whole record (ZIP) of case {case.reference}").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download_info.value.path(), "rb").read()))
    chronology = pdf_text(archive.read(f"{case.reference}-chronology.pdf"))
    assert "Laurel Bank" in chronology and "Call bells unanswered for an hour" in chronology
