"""An administrator imports the provider register from a CSV in the browser: a file with errors, the progress
page of an import still running, and a clean import. Every page passes axe (WCAG 2.2 AA)."""

import os

import pytest

from accounts import roles
from providers.models import ImportJob, Provider
from tests.browser.conftest import sign_in
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEAD = "CQC Location ID (for office use only),Name,Address,Postcode,Service types,Registered manager\n"
SHOTS = os.environ.get("IMPORT_SCREENSHOTS")  # a folder to save the pages in, to look at them


def shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def upload(page, name, text):
    page.goto("/providers/import/")
    page.get_by_label("CSV file from the CQC care directory").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_role("button", name="Upload and import").click()


def test_an_administrator_imports_providers_and_sees_each_error_with_its_line(page, check_a11y):
    administrator = UserFactory(roles=[roles.ADMINISTRATOR])
    sign_in(page, administrator.username, PASSWORD)
    page.wait_for_url(lambda url: "/sign-in/" not in url)

    upload(page, "wrong.csv", "Name,Address\nX,Y\n")  # refused at once, on the upload page
    page.get_by_role("heading", name="There is a problem").wait_for()
    assert "The file has no 'CQC Location ID (for office use only)' column" in page.inner_text(".govuk-error-summary")
    check_a11y(page)

    upload(page, "errors.csv", HEAD + "1-100000001,Good Home,\"1 St, Town\",AA1 1AA,Homes,M\n"
                                      "not-an-id,Bad Home,\"2 St, Town\",AA1 1AA,Homes,M\n")
    page.get_by_role("heading", name="Nothing was imported").wait_for()
    row = page.locator("#row-errors tbody tr")
    assert row.count() == 1 and row.locator("td").first.inner_text() == "3"
    assert "Enter a CQC location ID in the format 1-123456789" in row.inner_text()
    shot(page, "import-errors")
    check_a11y(page)
    assert not Provider.objects.exists()

    running = ImportJob.objects.create(file_name="register.csv", content=b"", started_by=administrator,
                                       status=ImportJob.Status.CHECKING, rows_total=20000, rows_done=4000)
    page.goto(running.get_absolute_url())
    assert "Checked 4,000 of 20,000 rows." in page.inner_text("main")
    shot(page, "import-progress")
    check_a11y(page)
    ImportJob.objects.filter(pk=running.pk).update(rows_done=8000)  # the worker moves on: the page follows alone
    page.get_by_text("Checked 8,000 of 20,000 rows.").wait_for(timeout=10000)
    running.delete()

    upload(page, "register.csv", HEAD + "1-100000001,Good Home,\"1 St, Town\",AA1 1AA,Homes,M\n"
                                        "1-100000002,Other Home,\"2 St, Town\",AA1 1AA,Homes,M\n")
    page.get_by_role("heading", name="Providers imported").wait_for()
    assert "2 added, 0 updated, 0 unchanged" in page.inner_text(".govuk-panel")
    shot(page, "import-done")
    check_a11y(page)
    page.get_by_role("link", name="Import another file").click()
    assert "register.csv" in page.inner_text("table") and "errors.csv" in page.inner_text("table")
    shot(page, "import-form")
    check_a11y(page)
