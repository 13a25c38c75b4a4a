"""CQC ratings: imported from a CSV as a background job, all or nothing with a per-row report, idempotent, fast for
20,000 rows; a fall in rating raises one suggested concern; the provider page shows current and past ratings; the
scheduled fetch reads CQC_RATINGS_URL."""

import datetime
import http.server
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import Event
from intelligence import ratings, services
from intelligence.models import Rating, RatingsImport, SuggestedConcern
from tests.factories import ProviderFactory

HEAD = "Location ID,Location Name,Location Latest Overall Rating,Publication Date,Safe,Well-led\n"
URL = reverse("intelligence:ratings_import")


def upload(client, text, django_capture_on_commit_callbacks, name="ratings.csv"):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"csv_file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})
    return response


def run(user, text, name="ratings.csv"):
    """Start and run an import the way the page and the worker do (the task runs eagerly after commit)."""
    job = services.start_ratings_import(user=user, file_name=name, content=text.encode())
    return services.run_ratings_import(job_id=job.pk)


@pytest.fixture
def homes(db):
    return [ProviderFactory(cqc_location_id=f"1-10000000{i}", name=f"Home {i}") for i in range(1, 4)]


@pytest.mark.django_db
def test_an_upload_imports_ratings_and_a_fall_raises_one_suggestion(client, cqm, homes,
                                                                     django_capture_on_commit_callbacks):
    client.force_login(cqm)
    first = HEAD + ("1-100000001,Home 1,Good,01/06/2025,Good,Good\n"
                    "1-100000002,Home 2,Outstanding,2025-06-01,,\n")
    response = upload(client, first, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "CQC ratings imported" in page and "2 added, 0 unchanged" in page
    assert not SuggestedConcern.objects.exists()

    later = first + ("1-100000001,Home 1,Requires improvement,03/11/2026,Inadequate,Good\n"
                     "1-100000002,Home 2,Good,2026-11-03,,\n"
                     "1-100000003,Home 3,Inadequate,2026-11-03,,\n")  # a first rating is not a fall
    response = upload(client, later, django_capture_on_commit_callbacks)
    job = RatingsImport.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert (job.status, job.added, job.unchanged, job.drops) == ("done", 3, 2, 2)
    whys = sorted(SuggestedConcern.objects.values_list("why", flat=True))
    assert whys == ["CQC rating fell from Good to Requires improvement (published 3 November 2026)",
                    "CQC rating fell from Outstanding to Good (published 3 November 2026)"]
    home1 = Rating.objects.get(provider=homes[0], published_on=datetime.date(2026, 11, 3))
    assert (home1.overall, home1.safe, home1.well_led, home1.effective) == (
        "requires_improvement", "inadequate", "good", "")
    assert Event.objects.filter(kind="cqc_rating_imported", object_id=str(homes[0].pk)).count() == 2

    # The same file again: nothing changes, no suggestion is raised twice.
    before = (Rating.objects.count(), SuggestedConcern.objects.count(), Event.objects.filter(
        kind__in=["cqc_rating_imported", "suggested_concern_raised"]).count())
    again = run(cqm, later)
    assert (again.status, again.added, again.unchanged, again.drops) == ("done", 0, 5, 0)
    assert (Rating.objects.count(), SuggestedConcern.objects.count(), Event.objects.filter(
        kind__in=["cqc_rating_imported", "suggested_concern_raised"]).count()) == before

    # The provider page shows the current rating and the past one.
    page = client.get(homes[0].get_absolute_url()).content.decode()
    assert "Requires improvement</strong>, published 3 November 2026" in page
    assert "Past CQC ratings, newest first" in page and "1 June 2025" in page


@pytest.mark.django_db
def test_a_file_with_bad_rows_imports_nothing_and_lists_every_row(client, cqm, homes,
                                                                   django_capture_on_commit_callbacks):
    client.force_login(cqm)
    text = HEAD + ("1-100000001,Home 1,Good,01/06/2025,,\n"            # fine
                   "1-999999999,Nowhere,Good,01/06/2025,,\n"          # unknown location
                   "1-100000002,Home 2,Good,31/02/2025,,\n"           # no such date
                   "1-100000003,Home 3,Brilliant,01/06/2025,,\n"      # not a CQC rating
                   "1-100000001,Home 1,Good,2025-06-01,Splendid,\n")  # same location and date again, bad Safe
    response = upload(client, text, django_capture_on_commit_callbacks)
    page = client.get(response["Location"]).content.decode()
    job = RatingsImport.objects.get()
    assert job.status == "refused" and not Rating.objects.exists() and not SuggestedConcern.objects.exists()
    errors = {r["line"]: r["errors"] for r in job.row_errors}
    assert sorted(errors) == [3, 4, 5, 6]
    assert errors[3] == ["Location ID 1-999999999 is not on the provider register"]
    assert "Publication date '31/02/2025' is not a real date" in errors[4][0]
    assert "Overall rating 'Brilliant' is not a CQC rating" in errors[5][0]
    assert any("also" in e or "same date on line 2" in e for e in errors[6])
    assert any("Safe rating 'Splendid'" in e for e in errors[6])
    assert "Nothing was imported" in page and "4 rows of the file have errors" in page


@pytest.mark.django_db
def test_a_file_without_a_required_column_is_refused_on_the_upload_page(client, cqm, homes,
                                                                        django_capture_on_commit_callbacks):
    client.force_login(cqm)
    response = upload(client, "Location ID,Publication Date\n1-100000001,01/06/2025\n",
                      django_capture_on_commit_callbacks)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page and "The file has no &#x27;Location Latest Overall Rating&#x27; column" in page
    assert not RatingsImport.objects.exists()


@pytest.mark.django_db
def test_a_different_rating_for_a_date_already_held_is_refused(cqm, homes):
    run(cqm, HEAD + "1-100000001,Home 1,Good,01/06/2025,,\n")
    job = run(cqm, HEAD + "1-100000001,Home 1,Inadequate,01/06/2025,,\n")
    assert job.status == "refused"
    assert "already has a rating of Good published on that date" in job.row_errors[0]["errors"][0]
    assert Rating.objects.get().overall == "good"


@pytest.mark.django_db
def test_people_without_the_role_cannot_import_and_nothing_changes(client, officer, homes):
    client.force_login(officer)
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"csv_file": SimpleUploadedFile("r.csv", (HEAD + "1-100000001,H,Good,01/06/2025,,\n")
                                                                .encode())})
    assert response.status_code == 403 and not RatingsImport.objects.exists()


@pytest.mark.django_db
def test_twenty_thousand_rows_import_correctly_in_a_bounded_number_of_queries(cqm):
    from providers.models import Provider

    n = 20000
    Provider.objects.bulk_create([Provider(cqc_location_id=f"1-{500000000 + i}", name=f"Home {i}", address="1 St",
                                           postcode="NF1 1AA") for i in range(n)], batch_size=5000)
    words = ["Outstanding", "Good", "Requires improvement", "Inadequate"]
    old = "".join(f"1-{500000000 + i},H,Good,01/01/2024,,\n" for i in range(0, n, 2))
    run(cqm, HEAD + old)
    text = HEAD + "".join(f"1-{500000000 + i},H,{words[i % 4]},02/02/2026,Good,\n" for i in range(n))
    assert len(ratings.check_file(text.encode()).file_errors) == 0
    job = services.start_ratings_import(user=cqm, file_name="big.csv", content=text.encode())
    with CaptureQueriesContext(connection) as queries:
        job = services.run_ratings_import(job_id=job.pk)
    assert (job.status, job.added, job.unchanged) == ("done", n, 0)
    # The even rows had "Good" before: those now Requires improvement or Inadequate fell (i % 4 == 2).
    assert job.drops == n // 4 == SuggestedConcern.objects.count()
    assert Rating.objects.count() == n + n // 2
    assert len(queries) < 150, len(queries)  # batches, not a query a row
    again = run(cqm, text)
    assert (again.added, again.unchanged, again.drops) == (0, n, 0)


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):  # noqa: N802 - the standard library's name
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.mark.django_db
def test_the_scheduled_fetch_reads_the_configured_address_once(settings, homes, django_capture_on_commit_callbacks):
    from intelligence import tasks

    settings.CQC_RATINGS_URL = ""
    assert tasks.fetch_cqc_ratings() is None  # off by default
    # CQC's national file lists locations the council does not commission: the scheduled fetch skips them.
    _Handler.body = (HEAD + "1-100000001,Home 1,Good,01/06/2025,,\n1-987654321,Elsewhere,Good,01/06/2025,,\n").encode()
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.CQC_RATINGS_URL = f"http://127.0.0.1:{server.server_address[1]}/ratings.csv"
        with django_capture_on_commit_callbacks(execute=True):
            job_id = tasks.fetch_cqc_ratings()
        job = RatingsImport.objects.get(pk=job_id)
        assert (job.origin, job.status, job.added, job.skipped, job.started_by) == ("scheduled", "done", 1, 1, None)
        assert tasks.fetch_cqc_ratings() is None  # the same file again: not imported again
        _Handler.body = (HEAD + "1-100000001,Home 1,Inadequate,01/07/2025,,\n").encode()
        with django_capture_on_commit_callbacks(execute=True):
            job_id = tasks.fetch_cqc_ratings()
        job = RatingsImport.objects.get(pk=job_id)
        assert (job.status, job.added, job.drops) == ("done", 1, 1)
    finally:
        server.shutdown()
        server.server_close()
