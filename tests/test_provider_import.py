"""The provider CSV import runs as a background job: the upload page checks the file, the import's own page shows
its progress and then its result, and it stays all or nothing with each provider's own history complete."""

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse

from accounts import roles
from audit.services import events_for
from providers import importer, services
from providers.models import ImportJob, PlacementStatus, Provider
from tests.factories import ProviderFactory, UserFactory
from tests.test_celery_worker import celery_worker_process  # noqa: F401 - the real worker fixture

HEAD = "CQC Location ID (for office use only),Name,Address,Postcode,Service types,Registered manager\n"
URL = reverse("providers:import")


def upload(text: str, name: str = "directory.csv", encoding: str = "utf-8"):
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def start(client, text: str, django_capture_on_commit_callbacks, name: str = "directory.csv"):
    """Upload through the page; the import runs after commit (Celery, eager in tests). Returns its page."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"csv_file": upload(text, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


@pytest.mark.django_db
def test_the_import_page_shows_progress_while_it_runs_then_the_result(client, administrator, monkeypatch,
                                                                       django_capture_on_commit_callbacks):
    old = ProviderFactory(cqc_location_id="1-100000001", name="Old name", address="1 High St, Northfield")
    same = ProviderFactory(cqc_location_id="1-100000003", name="Same Home", address="3 Mill Lane, Westfield",
                           town="Westfield", postcode="WF1 1AA", service_types="Nursing homes",
                           registered_manager="B Manager")
    csv = HEAD + ("1-100000001,New name,\"1 High St, Northfield\",nf1 1aa,Residential homes,A Manager\n"
                  "1-100000002,Second Home,\"2 Low St, Eastbrook\",EB1 1AA,Nursing homes,\n"
                  "1-100000003,Same Home,\"3 Mill Lane, Westfield\",WF1 1AA,Nursing homes,B Manager\n"
                  "1-100000004,Fourth Home,\"4 Low St, Eastbrook\",EB1 1AB,Nursing homes,\n"
                  "1-100000005,Fifth Home,\"5 Low St, Eastbrook\",EB1 1AC,Nursing homes,\n")
    pages_while_checking = []
    real_parse = importer.parse

    def parse(raw, progress=None, every=1000):
        def watch(done, total):  # the page as the person sees it while the rows are being checked
            progress(done, total)
            pages_while_checking.append(client.get(job_url))
        return real_parse(raw, progress=watch, every=2)

    monkeypatch.setattr(services.importer, "parse", parse)
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(URL, {"csv_file": upload(csv)})
    job_url = response["Location"]
    waiting = client.get(job_url)
    assert waiting["Refresh"] == "2" and "The import is waiting to start" in waiting.content.decode()
    assert not Provider.objects.filter(cqc_location_id="1-100000002").exists()

    for callback in callbacks:  # the worker's turn
        callback()
    first = pages_while_checking[0]
    assert first["Refresh"] == "2" and "Checked 2 of 5 rows" in first.content.decode()

    done = client.get(job_url)
    html = done.content.decode()
    assert not done.has_header("Refresh")
    assert "Import complete" in html and "3 added, 1 updated, 1 unchanged" in html
    assert "3 added, 1 updated, 1 unchanged" in client.get(URL).content.decode()  # the recent imports list
    # Each provider added or changed has the import in its own history; the unchanged one has nothing new.
    old_events = list(events_for(old).filter(kind="provider_imported"))
    assert [e.summary for e in old_events] == ["Updated from CSV import directory.csv line 2"]
    assert old_events[0].changes == {"name": ["Old name", "New name"]} and old_events[0].actor == administrator
    assert not events_for(same).exists()
    second = Provider.objects.get(cqc_location_id="1-100000002")
    assert (second.town, second.postcode) == ("Eastbrook", "EB1 1AA")
    assert events_for(second).get().summary == "Added from CSV import directory.csv line 3"
    job = ImportJob.objects.get()
    assert [e.kind for e in events_for(job).order_by("pk")] == ["provider_import_started",
                                                               "provider_import_completed"]
    assert bytes(job.content) == b""  # the file is not kept once imported


@pytest.mark.django_db
def test_every_row_error_is_listed_with_its_line_and_nothing_is_saved(client, administrator,
                                                                      django_capture_on_commit_callbacks):
    client.force_login(administrator)
    csv = HEAD + ("1-100000001,Good Home,\"1 St, Town\",AA1 1AA,Homes,M\n"
                  "not-an-id,Bad Id Home,\"2 St, Town\",AA1 1AA,Homes,M\n"
                  "1-100000003,Good Home 3,\"3 St, Town\",AA1 1AA,Homes,M\n"
                  "1-100000004,,\"4 St, Town\",,Homes,M\n"
                  "1-100000001,Twice,\"5 St, Town\",AA1 1AA,Homes,M\n")
    page = start(client, csv, django_capture_on_commit_callbacks)
    html = page.content.decode()
    assert not page.has_header("Refresh") and "govuk-error-summary" in html
    assert "3 rows of the file have errors" in html and "No provider was added or changed." in html
    rows = re.findall(r'<tr class="govuk-table__row"><td class="govuk-table__cell">(\d+)</td>(.*?)</tr>', html, re.S)
    assert [line for line, _ in rows] == ["3", "5", "6"]
    listed = dict(rows)
    assert "Enter a CQC location ID in the format 1-123456789" in listed["3"]
    assert "Enter the provider&#x27;s name" in listed["5"] and "Enter the postcode" in listed["5"]
    assert "Location ID 1-100000001 is also on line 2" in listed["6"]
    assert not Provider.objects.exists()
    assert ImportJob.objects.get().status == ImportJob.Status.REFUSED


@pytest.mark.django_db
@pytest.mark.parametrize("raw,message", [
    ("Caf\xe9,Name\n".encode("latin-1"), "The file is not a UTF-8 CSV file"),
    (b"Name,Address\nX,Y\n", "The file has no &#x27;Postcode&#x27; column"),
    (HEAD.encode(), "The file has no rows under the heading row"),
    ((HEAD + "1-100000001,A,\"1 St, T\",AA1 1AA,H,M\n" * 20001).encode(), "The file has more than 20000 rows"),
])
def test_a_file_that_cannot_be_imported_is_refused_on_the_upload_page(client, administrator, raw, message):
    client.force_login(administrator)
    response = client.post(URL, {"csv_file": SimpleUploadedFile("d.csv", raw)})
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and message in html
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
def test_a_file_with_a_byte_order_mark_is_imported(client, administrator, django_capture_on_commit_callbacks):
    client.force_login(administrator)
    page = start(client, "\ufeff" + HEAD + "1-100000001,A Home,\"1 St, Town\",AA1 1AA,Homes,M\n",
                 django_capture_on_commit_callbacks)
    assert "1 added, 0 updated, 0 unchanged" in page.content.decode()


@pytest.mark.django_db
def test_only_administrators_start_or_see_an_import(client, administrator, officer,
                                                    django_capture_on_commit_callbacks):
    client.force_login(administrator)
    page = start(client, HEAD + "1-100000001,A Home,\"1 St, Town\",AA1 1AA,Homes,M\n",
                 django_capture_on_commit_callbacks)
    job_url = page.wsgi_request.path
    client.force_login(officer)
    assert client.get(job_url).status_code == 403
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"csv_file": upload(HEAD + "1-100000002,B Home,\"1 St, Town\",AA1 1AA,Homes,M\n")})
    assert response.status_code == 403
    assert ImportJob.objects.count() == 1 and Provider.objects.count() == 1
    client.force_login(administrator)
    assert client.get(reverse("providers:import_job", args=[ImportJob.objects.get().pk + 1])).status_code == 404


@pytest.mark.django_db
def test_an_update_keeps_the_placement_status_and_when_the_provider_was_added(client, administrator,
                                                                              django_capture_on_commit_callbacks):
    provider = ProviderFactory(cqc_location_id="1-100000001", name="Old name")
    Provider.objects.filter(pk=provider.pk).update(placement_status=PlacementStatus.SUSPENDED,
                                                   placement_decision="Suspended by the SPRG")
    provider.refresh_from_db()
    client.force_login(administrator)
    start(client, HEAD + "1-100000001,New name,\"1 St, Town\",AA1 1AA,Homes,M\n", django_capture_on_commit_callbacks)
    html = client.get(provider.get_absolute_url()).content.decode()
    assert "New name" in html and "Placements suspended" in html
    after = Provider.objects.get(pk=provider.pk)
    assert (after.created_at, after.placement_decision) == (provider.created_at, "Suspended by the SPRG")
    assert after.updated_at > provider.updated_at


@pytest.mark.django_db
def test_an_import_that_loses_a_race_saves_nothing_and_says_so(client, administrator, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    def clash(**kwargs):
        Provider.objects.create(cqc_location_id="1-100000009", name="Half saved", address="x", postcode="X1 1XX")
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(services, "import_providers", clash)
    client.force_login(administrator)
    page = start(client, HEAD + "1-100000001,A Home,\"1 St, Town\",AA1 1AA,Homes,M\n",
                 django_capture_on_commit_callbacks)
    html = page.content.decode()
    assert "added to the register by someone else while the import ran" in html and "govuk-error-summary" in html
    assert not Provider.objects.exists()


@pytest.mark.django_db
def test_an_import_runs_again_safely_and_only_for_an_administrator(administrator, django_capture_on_commit_callbacks):
    csv = (HEAD + "1-100000001,A Home,\"1 St, Town\",AA1 1AA,Homes,M\n").encode()
    with django_capture_on_commit_callbacks(execute=False):
        job = services.start_import(user=administrator, file_name="d.csv", content=csv)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.CHECKING, rows_done=1)  # a worker was lost
    assert services.run_import(job_id=job.pk).status == ImportJob.Status.DONE
    assert services.run_import(job_id=job.pk).status == ImportJob.Status.DONE  # delivered twice: nothing more
    provider = Provider.objects.get()
    assert events_for(provider).count() == 1 and events_for(job).count() == 2

    with django_capture_on_commit_callbacks(execute=False):
        second = services.start_import(user=administrator, file_name="e.csv", content=csv.replace(b"A Home", b"B"))
    administrator.groups.clear()
    ended = services.run_import(job_id=second.pk)
    assert ended.status == ImportJob.Status.FAILED and "no longer manages the provider register" in ended.failure
    assert Provider.objects.get().name == "A Home"


def test_parse_reports_progress_as_it_checks_the_rows(db):
    csv = (HEAD + "".join(f"1-1000000{i:02d},Home {i},\"{i} St, Town\",AA1 1AA,Homes,M\n" for i in range(5))).encode()
    seen = []
    report = importer.parse(csv, progress=lambda done, total: seen.append((done, total)), every=2)
    assert report.is_valid and seen == [(2, 5), (4, 5), (5, 5)]


@pytest.mark.services
def test_an_import_through_the_pages_runs_on_a_real_worker(celery_worker_process, client):  # noqa: F811
    administrator = UserFactory(roles=[roles.ADMINISTRATOR])
    ProviderFactory(cqc_location_id="1-300000000", name="Old name")
    csv = HEAD + "".join(f"1-{300000000 + i},Home {i},\"{i} High St, Northfield\",NF1 1AA,Residential homes,M\n"
                         for i in range(2000))
    client.force_login(administrator)
    response = client.post(URL, {"csv_file": upload(csv, "big.csv")})
    assert response.status_code == 302
    deadline = time.monotonic() + 90
    while True:
        page = client.get(response["Location"])
        html = page.content.decode()
        if not page.has_header("Refresh"):
            break
        assert re.search(r"waiting to start|Checked [\d,]+ of 2,000 rows|Saving 2,000 providers", html)
        assert celery_worker_process.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the import did not finish"
        time.sleep(0.2)
    assert "Import complete" in html and "1,999 added, 1 updated, 0 unchanged" in html
    assert Provider.objects.count() == 2000
    assert Provider.objects.get(cqc_location_id="1-300000000").name == "Home 0"
