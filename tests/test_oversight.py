"""Oversight: the SPRG and DMT meeting packs (built in the background, one job when asked twice, only for the
person who asked, clearance kept), the board reports (tables, charts, CSV) and a case's whole record as a ZIP."""

import csv
import datetime
import hashlib
import io
import re
import subprocess
import time
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from audit.models import Event
from audit.services import events_for
from concerns.models import EvidenceFile, RiskAssessment, RiskMatrix
from escalation import route_services as rs
from letters import services as letter_services
from oversight import services
from oversight.models import PackJob
from tests.factories import CaseFactory, ConcernFactory, JqmmFactory, ProviderFactory, UserFactory, sprg
from tests.test_celery_worker import celery_worker_process  # noqa: F401 - the real worker fixture

TODAY = timezone.localdate
PACKS = reverse("oversight:packs")


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                          check=True).stdout.decode()


def date_fields(prefix, day):
    return {f"{prefix}_0": day.day, f"{prefix}_1": day.month, f"{prefix}_2": day.year}


def assess(provider, user, engagement, impact, level):
    return RiskAssessment.objects.create(provider=provider, engagement=engagement, impact=impact,
                                         matrix=RiskMatrix.objects.first(), recommended_level=level, level=level,
                                         assessed_by=user)


@pytest.fixture
def meeting(people):
    """Cases at every stage the packs care about, and one they leave out."""
    cqm = people["cqm"]
    at_risk = CaseFactory(level="ppm", owner=cqm, provider=ProviderFactory(name="Alder House"))
    sprg(people, at_risk, "agree_at_risk")
    assess(at_risk.provider, cqm, 1, 2, "ppm")
    assess(at_risk.provider, cqm, 3, 4, "jimp")
    suspended = CaseFactory(level="sosg", owner=cqm, provider=ProviderFactory(name="Birch Court"))
    sprg(people, suspended, "agree_at_risk")
    sprg(people, suspended, "route1_not_complied")
    rs.write_report(user=cqm, case_id=suspended.pk, body="Recommend suspension: medicines unsafe on Birch unit")
    proposed = CaseFactory(level="sosg", owner=cqm, provider=ProviderFactory(name="Cedar Lodge"))
    sprg(people, proposed, "agree_at_risk")
    sprg(people, proposed, "route1_not_complied")
    rs.write_report(user=cqm, case_id=proposed.pk, body="Recommend suspension: night staffing at Cedar")
    rs.record_dmt_decision(user=people["dmt"], case_id=suspended.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=suspended.pk, capacity="dass", report_version=1)
    jimp = CaseFactory(level="jimp", owner=cqm, provider=ProviderFactory(name="Damson Care"))
    restricted = CaseFactory(level="sosg", owner=cqm, provider=ProviderFactory(name="Elm Grange"))
    ConcernFactory(provider=restricted.provider, case=restricted, safeguarding=True,
                   description="SECRET-RESTRICTED-TEXT about a named carer")
    assess(restricted.provider, cqm, 4, 5, "sosg")
    quiet = CaseFactory(level="qa", owner=cqm, provider=ProviderFactory(name="Fir Tree Home"))
    return {"at_risk": at_risk, "suspended": suspended, "proposed": proposed, "jimp": jimp,
            "restricted": restricted, "quiet": quiet}


@pytest.mark.django_db
def test_an_sprg_member_builds_the_monthly_pack_and_downloads_it(client, people, meeting,
                                                                 django_capture_on_commit_callbacks):
    member = people["sprg"]
    client.force_login(member)
    day = TODAY() + datetime.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PACKS, {"kind": "sprg", **date_fields("meeting_date", day)})
    assert response.status_code == 302
    job = PackJob.objects.get()
    assert response["Location"] == job.get_absolute_url()
    page = client.get(job.get_absolute_url())
    html = page.content.decode()
    assert job.status == "queued" or "Pack ready" in html
    job.refresh_from_db()
    assert job.status == "done" and job.items_done == 5 and job.left_out == 1 and job.pages >= 6
    assert not page.has_header("Refresh")
    assert "1 restricted case is listed by reference and stage only" in html

    download = client.get(reverse("oversight:pack_download", args=[job.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert f'filename="sprg-pack-{day:%Y-%m-%d}.pdf"' in download["Content-Disposition"]
    text = pdf_text(download.content)
    assert "Strategic Provider Risk Group" in text and f"{day:%-d %B %Y}" in text
    for name in ("Alder House", "Birch Court", "Cedar Lodge", "Damson Care", "Elm Grange"):
        assert name in text
    assert "Fir Tree Home" not in text  # at QA with no route: not the SPRG's business
    assert "SPRG decision on Route 1" in text and "SPRG monthly progress review while suspended" in text
    assert "Consider whether to place the provider at risk" in text
    # The order of the meeting: decisions first (at risk, then suspended), information after.
    assert text.index("Alder House") < text.index("Birch Court") < text.index("Damson Care")
    # Risk history with its direction, and the restricted case by reference and stage only.
    assert "the risk level is rising" in text
    assert meeting["restricted"].reference in text
    assert "SECRET-RESTRICTED-TEXT" not in text and "restricted (safeguarding)" in text
    kinds = list(events_for(job).values_list("kind", flat=True))
    assert sorted(kinds) == ["pack_built", "pack_downloaded", "pack_requested"]


@pytest.mark.django_db
def test_a_cleared_person_gets_the_restricted_details_and_the_dmt_pack_has_the_reports(people, meeting,
                                                                                       django_capture_on_commit_callbacks):
    cqm = people["cqm"]  # CQMs are cleared for every restricted concern
    with django_capture_on_commit_callbacks(execute=True):
        job, created = services.request_pack(user=cqm, kind="sprg", meeting_date=TODAY())
    job.refresh_from_db()
    assert created and job.left_out == 0
    text = pdf_text(bytes(job.pdf))
    assert "restricted (safeguarding)" not in text and "Elm Grange" in text

    with django_capture_on_commit_callbacks(execute=True):
        dmt_job, _ = services.request_pack(user=people["dmt"], kind="dmt", meeting_date=TODAY())
    dmt_job.refresh_from_db()
    text = pdf_text(bytes(dmt_job.pdf))
    assert "Directorate Management Team" in text
    assert "Endorse or decline the suspension report" in text and "night staffing at Cedar" in text
    assert "Birch Court" in text and "Alder House" not in text and "Damson Care" not in text


@pytest.mark.django_db
def test_asking_twice_gives_one_job_and_only_the_person_who_asked_opens_it(client, people, meeting,
                                                                           django_capture_on_commit_callbacks):
    member = people["sprg"]
    client.force_login(member)
    data = {"kind": "sprg", **date_fields("meeting_date", TODAY())}
    with django_capture_on_commit_callbacks(execute=False):  # no worker yet: the job waits
        first = client.post(PACKS, data)
        second = client.post(PACKS, data, follow=True)
    assert PackJob.objects.count() == 1
    job = PackJob.objects.get()
    assert first["Location"] == job.get_absolute_url() and second.redirect_chain[-1][0] == job.get_absolute_url()
    assert "This pack was already being built" in second.content.decode()
    waiting = client.get(job.get_absolute_url())
    assert waiting["Refresh"] == "10" and "The pack is waiting to start." in waiting.content.decode()
    # Two requests at the same moment: the database keeps one job building.
    with pytest.raises(IntegrityError), transaction.atomic():
        PackJob.objects.create(kind="sprg", meeting_date=TODAY(), requested_by=member)
    # Nobody else opens or downloads it, and no download is recorded.
    for other in (people["cqm"], people["officer"]):
        client.force_login(other)
        assert client.get(job.get_absolute_url()).status_code == 404
        assert client.get(reverse("oversight:pack_download", args=[job.pk])).status_code == 404
    assert not Event.objects.filter(kind="pack_downloaded").exists()
    # Once it is built, asking again builds a fresh pack (the records may have changed).
    services.build_pack(job_id=job.pk)
    with django_capture_on_commit_callbacks(execute=False):
        again, created = services.request_pack(user=member, kind="sprg", meeting_date=TODAY())
    assert created and again.pk != job.pk


@pytest.mark.django_db
def test_who_may_build_which_pack_and_bad_input_is_a_message(client, people):
    client.force_login(people["officer"])
    assert client.get(PACKS).status_code == 403
    client.force_login(people["dmt"])
    page = client.get(PACKS).content.decode()
    assert "DMT pack" in page and 'value="sprg"' not in page
    response = client.post(PACKS, {"kind": "sprg", **date_fields("meeting_date", TODAY())})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    response = client.post(PACKS, {"kind": "dmt", "meeting_date_0": "31", "meeting_date_1": "2",
                                   "meeting_date_2": "2027"})
    assert "Meeting date must be a real date" in response.content.decode()
    far = TODAY() + datetime.timedelta(days=400)
    response = client.post(PACKS, {"kind": "dmt", **date_fields("meeting_date", far)})
    assert "The meeting date must be within a year from today" in response.content.decode()
    response = client.post(PACKS, {"kind": "dmt"})
    assert "Enter the meeting date" in response.content.decode()
    assert not PackJob.objects.exists()


@pytest.mark.django_db
def test_a_pack_for_someone_who_lost_the_role_is_not_built(people, django_capture_on_commit_callbacks):
    member = people["sprg"]
    with django_capture_on_commit_callbacks(execute=False):
        job, _ = services.request_pack(user=member, kind="sprg", meeting_date=TODAY())
    member.groups.clear()
    job = services.build_pack(job_id=job.pk)
    assert job.status == "failed" and "may no longer build it" in job.failure and not job.pdf
    assert services.build_pack(job_id=job.pk).status == "failed"  # running it again changes nothing


@pytest.mark.services
def test_a_pack_is_built_by_a_real_worker(celery_worker_process, client):  # noqa: F811
    from tests.factories import ensure_reference_data

    ensure_reference_data()
    member = UserFactory(roles=[roles.SPRG_MEMBER])
    CaseFactory(level="jimp", provider=ProviderFactory(name="Worker Built Home"))
    client.force_login(member)
    response = client.post(PACKS, {"kind": "sprg", **date_fields("meeting_date", TODAY())})
    assert response.status_code == 302
    deadline = time.monotonic() + 90
    while client.get(response["Location"]).has_header("Refresh"):
        assert celery_worker_process.poll() is None, "the worker died"
        assert time.monotonic() < deadline, "the pack was not built"
        time.sleep(0.3)
    job = PackJob.objects.get()
    assert job.status == "done"
    text = pdf_text(client.get(reverse("oversight:pack_download", args=[job.pk])).content)
    assert "Worker Built Home" in text


# -- board reports --------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_board_reports_count_concerns_by_month_source_and_service_type_with_csv(client, people):
    this_month = TODAY().replace(day=1)
    homes = ProviderFactory(service_types="Care home|<script>alert(1)</script>")
    ConcernFactory.create_batch(3, provider=homes, source="complaints", received_on=this_month)
    ConcernFactory(provider=homes, source="safeguarding", received_on=this_month)
    ConcernFactory(source="contracts", received_on=this_month - datetime.timedelta(days=400))  # outside
    # A restricted concern counts only for people cleared for it: its source and month are details too.
    ConcernFactory(provider=ProviderFactory(service_types="Rare service"), source="safeguarding",
                   received_on=this_month, safeguarding=True, logged_by=people["cqm"])
    client.force_login(people["officer"])
    page = client.get(reverse("oversight:reports"))
    html = page.content.decode()
    assert page.status_code == 200 and "Board reports" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    csv_response = client.get(reverse("oversight:reports"), {"download": "concerns-by-source"})
    rows = list(csv.reader(io.StringIO(csv_response.content.decode())))
    assert rows[0] == ["Month", "Safeguarding", "Contracts", "Complaints", "Internal", "Total"]
    assert len(rows) == 13 and rows[-1] == [this_month.strftime("%B %Y"), "1", "0", "3", "0", "4"]
    client.force_login(people["cqm"])
    cleared = list(csv.reader(io.StringIO(client.get(reverse("oversight:reports"),
                                                     {"download": "concerns-by-source"}).content.decode())))
    assert cleared[-1] == [this_month.strftime("%B %Y"), "2", "0", "3", "0", "5"]
    client.force_login(people["officer"])
    by_type = list(csv.reader(io.StringIO(client.get(reverse("oversight:reports"),
                                                     {"download": "concerns-by-service-type"}).content.decode())))
    assert "Rare service" not in by_type[0]
    assert by_type[0] == ["Month", "'<script>alert(1)</script>", "Care home"] or \
        by_type[0] == ["Month", "<script>alert(1)</script>", "Care home"]
    assert by_type[-1][1:] == ["4", "4"]
    svg = client.get(reverse("oversight:report_chart", args=["concerns-by-service-type"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<script>alert" not in svg.content
    assert client.get(reverse("oversight:report_chart", args=["nothing-here"])).status_code == 404


@pytest.mark.django_db
def test_board_reports_time_to_first_meeting_levels_and_suspensions(client, people, meeting):
    from escalation.models import CaseMeeting

    case = meeting["jimp"]
    ConcernFactory(provider=case.provider, case=case, received_on=TODAY() - datetime.timedelta(days=10))
    CaseMeeting.objects.create(case=case, level="jimp", meeting_date=TODAY() - datetime.timedelta(days=4),
                               attendees=[], provider_attended=True, minutes="m", recorded_by=people["cqm"])
    client.force_login(people["dass"])
    rows = {r[0]: r for r in csv.reader(io.StringIO(client.get(reverse("oversight:reports"), {
        "download": "time-to-first-meeting"}).content.decode()))}
    assert rows["Contracts"][1:3] == ["1", "6"]
    rows = {r[0]: r for r in csv.reader(io.StringIO(client.get(reverse("oversight:reports"), {
        "download": "suspensions"}).content.decode()))}
    assert rows[TODAY().strftime("%B %Y")] == [TODAY().strftime("%B %Y"), "1", "0"]
    rows = {r[0]: r for r in csv.reader(io.StringIO(client.get(reverse("oversight:reports"), {
        "download": "time-on-routes"}).content.decode()))}
    assert rows["Route 1 (amber): at risk of suspension"][5] == "1"  # Alder House, still at risk
    assert rows["Placements suspended"][5] == "1"
    rows = {r[0]: r for r in csv.reader(io.StringIO(client.get(reverse("oversight:reports"), {
        "download": "time-at-levels"}).content.decode()))}
    assert rows["Joint inter-agency monitoring panel (JIMP)"][5] == "1"


@pytest.mark.django_db
def test_board_report_periods_are_checked(client, people):
    client.force_login(people["officer"])
    url = reverse("oversight:reports")
    page = client.get(url, {"start_0": "31", "start_1": "2", "start_2": "2026"}).content.decode()
    assert "There is a problem" in page and "Start date must be a real date" in page
    page = client.get(url, {**date_fields("start", TODAY()), **date_fields("end", TODAY() - datetime.timedelta(40))})
    assert "The end date must be the same as or after the start date" in page.content.decode()
    page = client.get(url, {**date_fields("start", datetime.date(2020, 1, 1)), **date_fields("end", TODAY())})
    assert "three years or less" in page.content.decode()
    page = client.get(url, date_fields("end", datetime.date(2015, 1, 1)))  # one date, far from the default other
    assert "three years or less" in page.content.decode()
    # Whole months only: a single day is widened to its month, so a count cannot point at one day's concern.
    day = TODAY().replace(day=1) - datetime.timedelta(days=20)
    page = client.get(url, {**date_fields("start", day), **date_fields("end", day)}).content.decode()
    last = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
    assert f"From 1 {day:%B %Y} to {last.day} {last:%B %Y}" in page
    page = client.get(url, {**date_fields("start", TODAY().replace(day=1)), **date_fields("end", TODAY())})
    assert page.status_code == 200 and "There is a problem" not in page.content.decode()
    assert client.get(url, {"download": "no-such-table"}).status_code == 404


# -- a case's whole record --------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_case_record_exports_chronology_letters_evidence_and_a_manifest(client, people):
    cqm = people["cqm"]
    case = CaseFactory(level="sosg", owner=cqm, provider=ProviderFactory(name="Gorse House"))
    concern = ConcernFactory(provider=case.provider, case=case, description="Bruising =HYPERLINK(\"x\") seen")
    evidence = b"%PDF-1.4 evidence bytes"
    EvidenceFile.objects.create(concern=concern, file=ContentFile(evidence, name="photo.pdf"),
                                original_name="../../etc/passwd =cmd.pdf", content_type="application/pdf",
                                size=len(evidence), sha256=hashlib.sha256(evidence).hexdigest(), uploaded_by=cqm)
    letter = letter_services.create_draft(user=cqm, case_id=case.pk, kind="at_risk", addressee="A Manager\n1 St",
                                          free_text="Medicines errors.")
    letter = letter_services.issue_letter(user=cqm, letter_id=letter.pk)
    letter_services.create_draft(user=cqm, case_id=case.pk, kind="at_risk", addressee="Draft only", free_text="x")
    client.force_login(cqm)
    page = client.get(reverse("escalation:timeline", args=[case.pk])).content.decode()
    url = reverse("oversight:case_record", args=[case.pk])
    assert url in page and "Export the whole record" in page
    response = client.get(url)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = archive.namelist()
    assert names[0] == f"{case.reference}-chronology.pdf"
    assert f"letters/{letter.reference}.pdf" in names and len([n for n in names if n.startswith("letters/")]) == 1
    evidence_name = next(n for n in names if n.startswith("evidence/"))
    assert ".." not in evidence_name and evidence_name.startswith(f"evidence/{concern.reference}/")
    assert archive.read(evidence_name) == evidence
    manifest = list(csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig"))))
    assert {m["file"] for m in manifest} == set(names) - {"manifest.csv"}
    for row in manifest:
        assert hashlib.sha256(archive.read(row["file"])).hexdigest() == row["sha256"]
    with letter.pdf.open("rb") as handle:
        assert archive.read(f"letters/{letter.reference}.pdf") == handle.read()
    chronology = pdf_text(archive.read(names[0]))
    assert "Gorse House" in chronology and concern.reference in chronology and "Audit trail" in chronology
    assert "Bruising" in chronology and letter.reference in chronology
    event = events_for(case).get(kind="case_record_exported")
    assert event.actor == cqm and "Whole record exported: 3 files" == event.summary


@pytest.mark.django_db
def test_a_case_record_is_refused_to_people_not_cleared_or_without_the_role(client, people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    ConcernFactory(provider=case.provider, case=case, safeguarding=True, logged_by=people["cqm"])
    url = reverse("oversight:case_record", args=[case.pk])
    auditor = UserFactory(roles=[roles.AUDITOR])  # may export, but not cleared for this restricted case
    for person in (people["officer"], people["sprg"], auditor):
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert "Export the whole record" not in client.get(case.get_absolute_url()).content.decode()
    assert not events_for(case).filter(kind="case_record_exported").exists()
    open_case = CaseFactory(level="qa", owner=people["cqm"])
    client.force_login(auditor)
    assert client.get(reverse("oversight:case_record", args=[open_case.pk])).status_code == 200
    assert re.search(r"Whole record exported: 1 file", events_for(open_case).get(kind="case_record_exported").summary)



@pytest.mark.django_db
def test_a_pack_is_not_downloaded_once_its_reader_may_no_longer_see_a_case_it_shows(client, people, meeting,
                                                                                   django_capture_on_commit_callbacks):
    member = people["sprg"]
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = services.request_pack(user=member, kind="sprg", meeting_date=TODAY())
    job.refresh_from_db()
    assert meeting["suspended"].pk in job.shown_in_full and meeting["restricted"].pk not in job.shown_in_full
    url = reverse("oversight:pack_download", args=[job.pk])
    client.force_login(member)
    assert client.get(url).status_code == 200
    # A restricted concern is linked to a case the pack shows in full: the pack must not be read any more.
    ConcernFactory(provider=meeting["suspended"].provider, case=meeting["suspended"], safeguarding=True,
                   logged_by=people["cqm"])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == job.get_absolute_url()
    html = response.content.decode()
    assert "Build a fresh pack" in html and "Download the pack (PDF)" not in html
    assert events_for(job).filter(kind="pack_downloaded").count() == 1


@pytest.mark.django_db
def test_a_stuck_pack_is_given_up_and_old_pdfs_are_forgotten(people, django_capture_on_commit_callbacks):
    from oversight.tasks import forget_old_packs

    member = people["sprg"]
    with django_capture_on_commit_callbacks(execute=False):
        stuck, _ = services.request_pack(user=member, kind="sprg", meeting_date=TODAY())
    PackJob.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=False):
        fresh, created = services.request_pack(user=member, kind="sprg", meeting_date=TODAY())
    stuck.refresh_from_db()
    assert created and fresh.pk != stuck.pk and stuck.status == "failed" and "not built in time" in stuck.failure
    old = services.build_pack(job_id=fresh.pk)
    PackJob.objects.filter(pk=old.pk).update(meeting_date=TODAY() - datetime.timedelta(days=91))
    assert forget_old_packs() == 1
    old.refresh_from_db()
    assert old.pdf is None and old.status == "done"


@pytest.mark.django_db
def test_board_reports_time_stays_that_outlast_the_period_and_ignore_meetings_still_to_come(people):
    from escalation.models import EscalationCase, LadderMove
    from oversight import reports

    case = CaseFactory(level="sosg", owner=people["cqm"])
    year_ago = timezone.now() - datetime.timedelta(days=400)
    EscalationCase.objects.filter(pk=case.pk).update(opened_at=year_ago)
    LadderMove.objects.create(case=case, transition="escalate_to_sosg", from_level="ppm", to_level="sosg",
                              reason="r", moved_at=timezone.now() - datetime.timedelta(days=10))
    first = (year_ago + datetime.timedelta(days=5)).date().replace(day=1)
    end = (first + datetime.timedelta(days=40)).replace(day=1) - datetime.timedelta(days=1)
    table = reports.time_at_levels(first, end, people["cqm"])
    ppm = next(r for r in table["rows"] if r[0].startswith("Provider performance"))
    assert ppm[1] == 0 and ppm[5] == 1  # the PPM stay ran on past the end of that month: still running then
    upcoming = JqmmFactory(created_by=people["cqm"], meeting_date=TODAY() + datetime.timedelta(days=20))
    ConcernFactory(received_on=TODAY() - datetime.timedelta(days=2), jqmm=upcoming)
    rows = {r[0]: r for r in reports.time_to_first_meeting(TODAY().replace(day=1), TODAY(), people["cqm"])["rows"]}
    assert rows["Contracts"][1] == 0 and rows["Contracts"][5] == 1  # a meeting still to come is not a meeting


@pytest.mark.django_db
def test_a_file_missing_from_the_store_is_named_in_the_manifest_and_the_rest_exported(client, people):
    cqm = people["cqm"]
    case = CaseFactory(level="ppm", owner=cqm)
    concern = ConcernFactory(provider=case.provider, case=case)
    for name in ("Photo.JPG", "photo.jpg"):
        EvidenceFile.objects.create(concern=concern, file=ContentFile(b"x" + name.encode(), name="p.jpg"),
                                    original_name=name, content_type="image/jpeg", size=9, sha256="0", uploaded_by=cqm)
    lost = EvidenceFile.objects.create(concern=concern, file=ContentFile(b"gone", name="gone.pdf"),
                                       original_name="gone.pdf", content_type="application/pdf", size=4, sha256="0",
                                       uploaded_by=cqm)
    lost.file.storage.delete(lost.file.name)
    client.force_login(cqm)
    response = client.get(reverse("oversight:case_record", args=[case.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    names = [n.lower() for n in archive.namelist()]
    assert len(names) == len(set(names))  # no two names that differ only in case
    manifest = {m["file"]: m for m in csv.DictReader(io.StringIO(archive.read("manifest.csv").decode("utf-8-sig")))}
    missing = manifest[f"evidence/{concern.reference}/gone.pdf"]
    assert "MISSING" in missing["what"] and f"evidence/{concern.reference}/gone.pdf" not in archive.namelist()


@pytest.mark.django_db
def test_charts_opened_on_their_own_run_no_script(client, people):
    client.force_login(people["cqm"])
    provider = ProviderFactory()
    for url in (reverse("oversight:report_chart", args=["concerns-by-source"]),
                reverse("providers:risk_chart", args=[provider.pk])):
        response = client.get(url)
        assert response["Content-Type"] == "image/svg+xml"
        assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
