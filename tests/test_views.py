"""The pages, through Django's test client: bad input gets a message and changes nothing."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import Event
from concerns.models import Concern, EvidenceFile
from providers.models import Provider
from tests.factories import ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU"
       b"\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 512


def concern_post(for_provider, **overrides):
    received = timezone.localdate() - datetime.timedelta(days=1)
    data = {
        "provider": for_provider.pk, "source": "safeguarding",
        "received_on_0": received.day, "received_on_1": received.month, "received_on_2": received.year,
        "raised_by": "District nurse", "description": "Bruising found", "people_affected": "2",
        "care_management_refs": "CM100, CM101", "safety_concern": "True", "position_of_trust": "False",
        "referral_uncertain": "False",
    }
    data.update(overrides)
    return data


def test_pages_need_sign_in(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_officer_logs_a_restricted_concern_with_evidence(client, officer, provider):
    client.force_login(officer)
    data = concern_post(provider, evidence=[SimpleUploadedFile("note.pdf", PDF)])
    response = client.post(reverse("concerns:create"), data)
    concern = Concern.objects.get()
    assert response.status_code == 302 and response["Location"] == concern.get_absolute_url()
    assert concern.restricted and concern.care_management_refs == ["CM100", "CM101"]
    evidence = EvidenceFile.objects.get()
    assert evidence.content_type == "application/pdf" and evidence.size == len(PDF)
    download = client.get(reverse("concerns:evidence_download", args=[concern.pk, evidence.pk]))
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.parametrize("overrides,message", [
    ({"raised_by": ""}, "Enter who raised the concern"),
    ({"source": ""}, "Select where the concern came from"),
    ({"safety_concern": ""}, "Select yes or no"),
    ({"people_affected": "many"}, "Enter a whole number"),
    ({"received_on_0": "31", "received_on_1": "2", "received_on_2": "2026"}, "must be a real date"),
    ({"received_on_2": str(timezone.localdate().year + 1)}, "must be today or in the past"),
    ({"provider": "999999"}, "Select a provider from the register"),
    ({"care_management_refs": "Mrs Jane Smith"}, "no names or spaces"),
    ({"people_affected": "1", "care_management_refs": "CM1, CM2"}, "enter at least 2"),
])
def test_bad_concern_input_shows_the_error_summary_and_saves_nothing(client, officer, provider, overrides, message):
    client.force_login(officer)
    response = client.post(reverse("concerns:create"), concern_post(provider, **overrides))
    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html and message in html
    assert "<title>Error:" in html
    assert not Concern.objects.exists()


@pytest.mark.parametrize("name,content,message", [
    ("payroll.pdf", EXE, "not an allowed type"),
    ("virus.exe", EXE, "not an allowed type"),
    ("photo.pdf", PNG, "does not contain what its name says"),
    ("notes.txt", b"just some text here", "not an allowed type"),
])
def test_evidence_is_checked_by_content(client, officer, provider, name, content, message):
    client.force_login(officer)
    data = concern_post(provider, evidence=[SimpleUploadedFile(name, content)])
    response = client.post(reverse("concerns:create"), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Concern.objects.exists() and not EvidenceFile.objects.exists()


def test_evidence_over_20_mb_is_refused(client, officer, provider, settings):
    settings.EVIDENCE_MAX_BYTES = 1024  # the same check, without pushing 20 MB through the test client
    client.force_login(officer)
    data = concern_post(provider, evidence=[SimpleUploadedFile("big.pdf", PDF + b"0" * 2048)])
    response = client.post(reverse("concerns:create"), data)
    assert "larger than 20 MB" in response.content.decode()
    assert not Concern.objects.exists()


def test_a_user_without_the_role_cannot_log_a_concern(client, auditor, provider):
    client.force_login(auditor)
    assert client.get(reverse("concerns:create")).status_code == 403
    assert client.post(reverse("concerns:create"), concern_post(provider)).status_code == 403
    assert not Concern.objects.exists()


def test_uncleared_viewer_gets_403_and_the_attempt_is_logged(client, officer):
    concern = ConcernFactory(safeguarding=True, logged_by=officer, description="Secret detail")
    other = UserFactory(roles=[roles.CONTRACT_OFFICER])
    client.force_login(other)
    response = client.get(concern.get_absolute_url())
    assert response.status_code == 403
    assert "Secret detail" not in response.content.decode()
    event = Event.objects.get(kind="restricted_access_denied")
    assert event.actor == other and event.object_id == str(concern.pk)
    # Lists show that it exists, nothing more.
    html = client.get(reverse("concerns:list")).content.decode()
    assert concern.reference in html and "You are not cleared" in html and concern.provider.name not in html
    # Evidence and actions are refused too.
    assert client.get(reverse("concerns:route", args=[concern.pk])).status_code == 403
    assert client.get(reverse("concerns:assess", args=[concern.pk])).status_code == 403


def test_advice_then_route_through_the_pages(client, officer, jqmm):
    concern = ConcernFactory(safeguarding=True, logged_by=officer)
    client.force_login(officer)
    # Routing is not offered before the advice.
    assert "Route this concern" not in client.get(concern.get_absolute_url()).content.decode()
    today = timezone.localdate()
    response = client.post(reverse("concerns:advice", args=[concern.pk]), {
        "adviser": "S Lead", "advised_on_0": today.day, "advised_on_1": today.month, "advised_on_2": today.year,
        "advice": "Refer under section 42", "expected_state": "awaiting_advice"})
    assert response.status_code == 302
    response = client.post(reverse("concerns:route", args=[concern.pk]), {
        "route": "jqmm", "meeting": jqmm.pk, "expected_state": "awaiting_routing"})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert concern.state == Concern.State.ON_JQMM_AGENDA


def test_routing_without_a_reason_explains_and_changes_nothing(client, officer):
    concern = ConcernFactory(logged_by=officer)
    client.force_login(officer)
    response = client.post(reverse("concerns:route", args=[concern.pk]),
                           {"route": "further_action", "reason": "", "expected_state": "awaiting_routing"})
    assert "Enter why this concern cannot wait" in response.content.decode()
    concern.refresh_from_db()
    assert concern.state == Concern.State.AWAITING_ROUTING


def test_stale_route_form_tells_the_user(client, officer, jqmm):
    concern = ConcernFactory(logged_by=officer, state=Concern.State.FURTHER_ACTION)
    client.force_login(officer)
    response = client.post(reverse("concerns:route", args=[concern.pk]),
                           {"route": "jqmm", "meeting": jqmm.pk, "expected_state": "awaiting_routing"},
                           follow=True)
    assert "changed while you were looking at it" in response.content.decode()
    concern.refresh_from_db()
    assert concern.state == Concern.State.FURTHER_ACTION


def test_risk_assessment_preview_shows_the_recommendation_without_saving(client, officer):
    concern = ConcernFactory(logged_by=officer)
    client.force_login(officer)
    url = reverse("concerns:assess", args=[concern.pk])
    html = client.get(url).content.decode()
    assert "Provider has been notified of concerns but has not responded" in html  # criteria text
    response = client.post(url, {"engagement": "3", "impact": "3", "level": "", "action": "preview"})
    assert "recommends: <strong>Joint inter-agency monitoring panel (JIMP)</strong>" in response.content.decode()
    assert not concern.risk_assessments.exists()
    response = client.post(url, {"engagement": "3", "impact": "3", "level": "qa", "action": "save"})
    assert "Enter why you chose a different level" in response.content.decode()
    response = client.post(url, {"engagement": "3", "impact": "3", "level": "", "action": "save"})
    assert response.status_code == 302
    assert concern.risk_assessments.get().level == "jimp"


def test_provider_search_by_name_town_and_location_id(client, officer):
    ProviderFactory(name="Oakwood Lodge", town="Northfield", cqc_location_id="1-555000111")
    ProviderFactory(name="Riverside", town="Eastbrook", cqc_location_id="1-555000222")
    client.force_login(officer)
    for q, expected, absent in [("oakwood", "Oakwood Lodge", "Riverside"), ("Eastbrook", "Riverside", "Oakwood"),
                                ("1-555000111", "Oakwood Lodge", "Riverside")]:
        html = client.get(reverse("providers:list"), {"q": q}).content.decode()
        assert expected in html and absent not in html


def test_provider_page_shows_risk_history_chart_and_table(client, officer):
    from concerns import services

    concern = ConcernFactory(logged_by=officer)
    services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=2, impact=2, level=None)
    client.force_login(officer)
    html = client.get(concern.provider.get_absolute_url()).content.decode()
    assert "Risk over time" in html and "Provider performance meeting (PPM)" in html
    svg = client.get(reverse("providers:risk_chart", args=[concern.provider.pk]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


CSV_HEAD = "CQC Location ID (for office use only),Name,Address,Postcode,Service types,Registered manager\n"


def upload(text: str):
    return SimpleUploadedFile("directory.csv", text.encode(), content_type="text/csv")


def test_csv_import_all_valid_rows_are_imported(client, administrator, django_capture_on_commit_callbacks):
    ProviderFactory(cqc_location_id="1-100000001", name="Old name")
    client.force_login(administrator)
    csv = CSV_HEAD + ("1-100000001,New name,\"1 High St, Northfield\",nf1 1aa,Residential homes,A Manager\n"
                      "1-100000002,Second Home,\"2 Low St, Eastbrook\",EB1 1AA,Nursing homes,\n")
    with django_capture_on_commit_callbacks(execute=True):  # the import runs after commit (Celery, eager here)
        response = client.post(reverse("providers:import"), {"csv_file": upload(csv)})
    assert "1 added, 1 updated" in client.get(response["Location"]).content.decode()
    assert Provider.objects.get(cqc_location_id="1-100000001").name == "New name"
    second = Provider.objects.get(cqc_location_id="1-100000002")
    assert (second.town, second.postcode) == ("Eastbrook", "EB1 1AA")
    assert Event.objects.filter(kind="provider_imported").count() == 2


@pytest.mark.parametrize("csv,message", [
    ("Name,Address\nX,Y\n", "no &#x27;CQC Location ID (for office use only)&#x27; column"),
    (CSV_HEAD + "1-100000009,Good,\"1 St, Town\",AA1 1AA,Homes,M\nnot-an-id,Bad,\"2 St, Town\",AA1 1AA,Homes,M\n",
     "Enter a CQC location ID in the format"),
    (CSV_HEAD + "1-100000009,Good,\"1 St, Town\",AA1 1AA,Homes,M\n1-100000009,Dup,\"2 St, Town\",AA1 1AA,Homes,M\n",
     "is also on line 2"),
    (CSV_HEAD + "1-100000009,,\"1 St, Town\",AA1 1AA,Homes,M\n", "Enter the provider&#x27;s name"),
])
def test_csv_import_with_any_bad_row_imports_nothing(client, administrator, csv, message,
                                                    django_capture_on_commit_callbacks):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("providers:import"), {"csv_file": upload(csv)})
    if response.status_code == 302:  # the rows are checked by the import, whose page shows the result
        response = client.get(response["Location"])
    html = response.content.decode()
    assert message in html and "govuk-error-summary" in html
    assert not Provider.objects.exists() and not Event.objects.filter(kind="provider_imported").exists()


def test_csv_import_needs_the_administrator_role(client, officer):
    client.force_login(officer)
    response = client.post(reverse("providers:import"), {"csv_file": upload(CSV_HEAD + "1-100000001,A,B,C,D,E\n")})
    assert response.status_code == 403
    assert not Provider.objects.exists()


def test_risk_matrix_new_version_through_the_page(client, administrator, officer):
    client.force_login(officer)
    assert client.get(reverse("concerns:risk_matrix_new")).status_code == 403
    client.force_login(administrator)
    data = {f"cell_{e}_{i}": "sosg" if (e, i) == (0, 0) else "ppm" for e in range(5) for i in range(6)}
    response = client.post(reverse("concerns:risk_matrix_new"), data | {"note": ""})
    assert "Enter why the matrix is changing" in response.content.decode()
    response = client.post(reverse("concerns:risk_matrix_new"), data | {"note": "Review of 2026"})
    assert response.status_code == 302
    from concerns.models import RiskMatrix

    assert RiskMatrix.current().version == 2 and RiskMatrix.current().level_for(0, 0) == "sosg"


def test_home_page_lists_my_work(client, officer, jqmm):
    mine = ConcernFactory(logged_by=officer)
    on_agenda = ConcernFactory(state=Concern.State.ON_JQMM_AGENDA, jqmm=jqmm)
    client.force_login(officer)
    html = client.get(reverse("home")).content.decode()
    assert mine.reference in html and on_agenda.reference in html
    assert "Waiting for routing" in html and "Next JQMM agenda" in html


def test_login_is_throttled_after_repeated_failures(client, settings, officer):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "officer", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "officer", "password": "correct-horse-battery"})
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_pages_send_a_content_security_policy(client, officer):
    client.force_login(officer)
    assert "script-src 'self'" in client.get(reverse("home"))["Content-Security-Policy"]




def test_a_cqm_closes_a_further_action_concern_through_its_page(client, cqm, officer):
    concern = ConcernFactory(logged_by=officer, state=Concern.State.FURTHER_ACTION)
    client.force_login(officer)
    assert "Close this concern" not in client.get(concern.get_absolute_url()).content.decode()
    assert client.get(reverse("concerns:close", args=[concern.pk])).status_code == 403
    client.force_login(cqm)
    assert "Close this concern" in client.get(concern.get_absolute_url()).content.decode()
    url = reverse("concerns:close", args=[concern.pk])
    response = client.post(url, {"notes": " ", "expected_state": "further_action"})
    html = response.content.decode()
    assert "There is a problem" in html and "Enter how the further action ended" in html
    concern.refresh_from_db()
    assert concern.state == Concern.State.FURTHER_ACTION
    response = client.post(url, {"notes": "Checked <b>on a visit</b>", "expected_state": "further_action"},
                           follow=True)
    html = response.content.decode()
    assert "Concern closed" in html and "Checked &lt;b&gt;on a visit&lt;/b&gt;" in html
    concern.refresh_from_db()
    assert concern.state == Concern.State.CLOSED
    assert "Close this concern" not in html
