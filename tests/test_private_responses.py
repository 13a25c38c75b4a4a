"""core.middleware: Cache-Control no-store on everything but static files, and one log line per refused request."""

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils.log import log_response

from accounts import roles
from core.middleware import PrivateResponsesMiddleware, RefusalLogFilter, mask_path
from providers.models import PlacementStatus
from tests.factories import CaseFactory, ProviderFactory, UserFactory


@pytest.fixture
def officer(db):
    return UserFactory(username="olivia.private", first_name="Olivia", last_name="Privateperson",
                       email="olivia.private@example.gov.uk", roles=[roles.CONTRACT_OFFICER])


# --- no-store ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_signed_in_pages_downloads_and_refusals_are_not_stored(client, officer):
    provider = ProviderFactory(placement_status=PlacementStatus.AT_RISK)
    case = CaseFactory(level="ppm", provider=provider)
    client.force_login(officer)
    urls = {"/": 200, "/providers/": 200, f"/providers/{provider.pk}/": 200, "/concerns/": 200,
            f"/cases/{case.pk}/": 200, "/cases/placement-status.csv": 200, "/cases/placement-status.json": 200,
            "/cases/999999/": 404, f"/cases/{case.pk}/sprg-decision/": 403, "/admin/": 302}
    for url, status in urls.items():
        response = client.get(url)
        assert response.status_code == status, url
        assert "no-store" in response["Cache-Control"], url
        assert "private" in response["Cache-Control"] and "max-age=0" in response["Cache-Control"], url


@pytest.mark.django_db
def test_the_sign_in_page_is_not_stored_either(client):
    assert "no-store" in client.get("/sign-in/")["Cache-Control"]


@pytest.mark.django_db
def test_static_files_keep_their_own_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ without collectstatic (read at start-up)
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "") and "max-age" in response["Cache-Control"]

    middleware = PrivateResponsesMiddleware(lambda request: HttpResponse(headers={"Cache-Control": "max-age=60"}))
    assert middleware(RequestFactory().get("/static/js/app.js"))["Cache-Control"] == "max-age=60"
    assert "no-store" in middleware(RequestFactory().get("/providers/"))["Cache-Control"]


# --- one line per refusal ------------------------------------------------------------------------------------

def warnings_of(caplog):
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_clean(caplog, *private):
    for record in caplog.records:
        text = record.getMessage()
        assert record.exc_info is None and record.exc_text is None, text
        assert "Traceback" not in text
        for word in private:
            assert word not in text, (word, text)


@pytest.mark.django_db
def test_a_tampered_id_is_one_line_without_traceback_or_personal_data(client, officer, caplog):
    client.force_login(officer)
    caplog.set_level(logging.INFO)
    assert client.get("/cases/999999/?q=Olivia").status_code == 404
    (record,) = warnings_of(caplog)
    assert record.name == "core.refusals"
    assert record.getMessage() == f"Refused request: method=GET path=/cases/999999/ status=404 user={officer.pk}"
    assert_clean(caplog, "olivia", "Olivia", "Privateperson", "example.gov.uk", "q=")


@pytest.mark.django_db
def test_permission_denied_is_one_line(client, officer, caplog):
    case = CaseFactory(level="ppm")
    client.force_login(officer)
    caplog.set_level(logging.INFO)
    assert client.post(f"/cases/{case.pk}/sprg-decision/", {"decision": "agree_at_risk"}).status_code == 403
    (record,) = warnings_of(caplog)
    assert record.getMessage() == (f"Refused request: method=POST path=/cases/{case.pk}/sprg-decision/ status=403 "
                                   f"user={officer.pk}")
    assert_clean(caplog, "olivia", "Privateperson", "agree_at_risk", "PermissionDenied")


@pytest.mark.django_db
def test_a_csrf_failure_is_one_line_with_its_reason(officer, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer)
    caplog.set_level(logging.INFO)
    assert client.post("/deadlines/calendar-link/", {"action": "create"}).status_code == 403
    (record,) = warnings_of(caplog)
    assert record.getMessage() == (f"Refused request: method=POST path=/deadlines/calendar-link/ status=403 "
                                   f"user={officer.pk} reason=csrf")
    assert_clean(caplog, "olivia", "CSRF cookie")


@pytest.mark.django_db
def test_a_bad_host_is_one_line(client, caplog):
    caplog.set_level(logging.INFO)
    assert client.get("/sign-in/", HTTP_HOST="attacker.example").status_code == 400
    (record,) = warnings_of(caplog)
    assert record.getMessage() == ("Refused request: method=GET path=/sign-in/ status=400 user=- "
                                   "reason=DisallowedHost")
    assert_clean(caplog, "attacker.example")


@pytest.mark.django_db
def test_an_unknown_calendar_secret_is_logged_masked(client, caplog):
    caplog.set_level(logging.INFO)
    secret = "Zm9yZ2VkLXNlY3JldC10aGF0LWlzLW5vdC1yZWFsLWF0LWFsbA"
    assert client.get(f"/deadlines/calendar/{secret}.ics").status_code == 404
    (record,) = warnings_of(caplog)
    assert record.getMessage() == "Refused request: method=GET path=/deadlines/calendar/[secret].ics status=404 user=-"
    assert all(secret not in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_a_path_cannot_forge_a_second_log_line(client, officer, caplog):
    client.force_login(officer)
    caplog.set_level(logging.INFO)
    client.get("/nothing/%0A2026-01-01 INFO forged line")
    (record,) = warnings_of(caplog)
    assert "\n" not in record.getMessage() and "path=/nothing/\\n2026-01-01 INFO forged line" in record.getMessage()


def test_the_filter_turns_a_refusal_outside_the_middleware_into_one_line(caplog):
    """A 4xx Django logs for a request that did not pass through the middleware still becomes one line."""
    caplog.set_level(logging.INFO)
    request = RequestFactory().get("/deadlines/calendar/abcdefghijk.ics")
    try:
        raise PermissionDenied("no")
    except PermissionDenied as exc:
        log_response("Forbidden (Permission denied): %s", request.path, response=HttpResponse(status=403),
                     request=request, exception=exc)
    (record,) = caplog.records
    assert record.getMessage() == "Refused request: method=GET path=/deadlines/calendar/[secret].ics status=403 user=-"
    assert record.exc_info is None and "abcdefghijk" not in caplog.text and "Traceback" not in caplog.text


def test_server_errors_keep_their_traceback_with_secrets_masked():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "%s: %s",
                               ("Internal Server Error", "/deadlines/calendar/s3cr3t.ics"), (ValueError, None, None))
    record.status_code = 500
    assert RefusalLogFilter().filter(record) is True
    assert record.exc_info is not None and "s3cr3t" not in record.getMessage()


def test_mask_path():
    assert mask_path("/deadlines/calendar/a-b_c.ics") == "/deadlines/calendar/[secret].ics"
    assert mask_path("/cases/12/") == "/cases/12/"


def test_the_development_server_access_log_masks_the_calendar_secret():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /deadlines/calendar/s3cr3t-value.ics HTTP/1.1", "200", "512"), None)
    assert RefusalLogFilter().filter(record) is True
    assert record.getMessage() == '"GET /deadlines/calendar/[secret].ics HTTP/1.1" 200 512'
