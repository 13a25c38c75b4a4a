"""Files are kept only if the whole action commits (ADR 0021): every file is checked before any is stored, and
a rollback after storing removes what was stored. Each upload path is tried with a refused second file and with
a failure after the files were saved."""

import datetime
import os

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from accounts import roles
from concerns import services as concern_services
from concerns.models import Concern, EvidenceFile
from core.evidence import atomic_with_files, store_file
from escalation import route_services, services
from escalation.models import CaseMeeting, MeetingDocument, RouteNotification
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 512


def files_on_disk() -> list[str]:
    found = []
    for folder, _dirs, names in os.walk(settings.MEDIA_ROOT):
        found.extend(os.path.join(folder, n) for n in names)
    return found


def good(name="note.pdf"):
    return SimpleUploadedFile(name, PDF)


def refused_second():
    return [good("first.pdf"), SimpleUploadedFile("second.pdf", EXE)]


class Boom(Exception):
    pass


def boom(*args, **kwargs):
    raise Boom("the audit record failed")


@pytest.fixture
def officer(db):
    return UserFactory(roles=[roles.CONTRACT_OFFICER])


def concern_data():
    return {"source": Concern.Source.SAFEGUARDING, "received_on": TODAY() - datetime.timedelta(days=1),
            "raised_by": "District nurse", "description": "Resident left without food overnight",
            "people_affected": 1, "care_management_refs": ["CM123"],
            "safety_concern": False, "position_of_trust": False, "referral_uncertain": False}


def log(officer, provider, files):
    return concern_services.log_concern(user=officer, provider_id=provider.pk, data=concern_data(), files=files)


def test_logging_a_concern_with_a_refused_second_file_stores_nothing(officer):
    provider = ProviderFactory()
    with pytest.raises(ValidationError) as caught:
        log(officer, provider, refused_second())
    assert "second.pdf" in str(caught.value.message_dict["evidence"])
    assert files_on_disk() == [] and not Concern.objects.exists() and not EvidenceFile.objects.exists()


def test_logging_a_concern_that_fails_after_saving_its_files_leaves_no_file(officer, monkeypatch):
    provider = ProviderFactory()
    monkeypatch.setattr(concern_services, "record", boom)
    with pytest.raises(Boom):
        log(officer, provider, [good("a.pdf"), good("b.pdf")])
    assert files_on_disk() == [] and not Concern.objects.exists() and not EvidenceFile.objects.exists()


def test_a_concern_logged_with_files_keeps_them(officer):
    concern = log(officer, ProviderFactory(), [good("a.pdf"), good("b.pdf")])
    assert len(files_on_disk()) == 2 and concern.evidence.count() == 2


def test_adding_evidence_with_a_refused_second_file_or_a_failure_stores_nothing(officer, monkeypatch):
    concern = ConcernFactory(logged_by=officer)
    with pytest.raises(ValidationError):
        concern_services.add_evidence(user=officer, concern_id=concern.pk, files=refused_second())
    assert files_on_disk() == [] and not EvidenceFile.objects.exists()
    monkeypatch.setattr(concern_services, "record", boom)
    with pytest.raises(Boom):
        concern_services.add_evidence(user=officer, concern_id=concern.pk, files=[good("a.pdf"), good("b.pdf")])
    assert files_on_disk() == [] and not EvidenceFile.objects.exists()


def meeting(officer, case, files):
    return services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY(),
                                   attendees=[{"name": "A", "agency": "B"}], provider_attended=True, minutes="m",
                                   outcome="resolved", files=files)


def test_a_meeting_with_a_refused_second_document_or_a_failure_stores_nothing(officer, monkeypatch):
    case = CaseFactory(level="qa", owner=officer)
    with pytest.raises(ValidationError) as caught:
        meeting(officer, case, refused_second())
    assert "second.pdf" in str(caught.value.message_dict["documents"])
    assert files_on_disk() == [] and not CaseMeeting.objects.exists() and not MeetingDocument.objects.exists()
    monkeypatch.setattr(services, "record", boom)
    with pytest.raises(Boom):
        meeting(officer, case, [good("minutes.pdf"), good("agenda.pdf")])
    assert files_on_disk() == [] and not CaseMeeting.objects.exists() and not MeetingDocument.objects.exists()


@pytest.fixture
def notification(officer):
    """A case suspended through the whole route, with its checklist of people to notify."""
    people = {name: UserFactory(roles=[role]) for name, role in [
        ("cqm", roles.CQM), ("sprg", roles.SPRG_MEMBER), ("dmt", roles.DMT_MEMBER), ("dass", roles.DASS)]}
    case = CaseFactory(level="sosg", owner=people["cqm"])
    for decision in ("agree_at_risk", "route1_not_complied"):
        route_services.record_sprg_decision(user=people["sprg"], case_id=case.pk, decision=decision,
                                            meeting_date=TODAY(), members_present="Chair; CQT", notes="Discussed")
    route_services.write_report(user=people["cqm"], case_id=case.pk, body="Recommend immediate suspension")
    route_services.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="",
                                       report_version=1)
    route_services.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    return RouteNotification.objects.filter(case=case).first()


def test_a_notification_copy_that_is_refused_or_rolled_back_leaves_no_file(officer, notification, monkeypatch):
    with pytest.raises(ValidationError):
        route_services.mark_notification_done(user=officer, notification_id=notification.pk, note="Emailed",
                                              copy=SimpleUploadedFile("copy.pdf", EXE))
    assert files_on_disk() == []
    monkeypatch.setattr(route_services, "record", boom)
    with pytest.raises(Boom):
        route_services.mark_notification_done(user=officer, notification_id=notification.pk, note="Emailed",
                                              copy=good("copy.pdf"))
    notification.refresh_from_db()
    assert files_on_disk() == [] and not notification.copy and notification.done_at is None


def test_files_stored_in_an_inner_block_go_when_the_outer_block_fails():
    evidence = EvidenceFile()
    with pytest.raises(Boom), atomic_with_files():
        with atomic_with_files():
            store_file(evidence.file, "inner.pdf", good("inner.pdf"))
        assert len(files_on_disk()) == 1
        raise Boom
    assert files_on_disk() == []


def test_storing_a_file_outside_a_guarded_block_is_a_programming_error():
    with pytest.raises(RuntimeError), transaction.atomic():
        store_file(EvidenceFile().file, "loose.pdf", good("loose.pdf"))
    assert files_on_disk() == []


def test_no_code_saves_a_file_field_except_through_store_file():
    """`instance.field.save(name, content, save=False)` would leave the file behind on a rollback."""
    import ast
    from pathlib import Path

    root = Path(settings.BASE_DIR)
    offenders = []
    folders = [d for d in root.iterdir() if d.is_dir() and d.name not in (".venv", "tests", "node_modules", "var")
               and not d.name.startswith(".")]
    for path in (p for folder in folders for p in folder.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        if path.relative_to(root).as_posix() == "core/evidence.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "save"
                    and any(k.arg == "save" for k in node.keywords)):
                offenders.append(f"{path.relative_to(root)}:{node.lineno}")
    assert offenders == []


def test_an_issued_letter_whose_audit_record_fails_leaves_no_pdf(monkeypatch):
    from letters import services as letters
    from letters.models import Letter

    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="sosg", owner=cqm)
    draft = letters.create_draft(user=cqm, case_id=case.pk, kind="at_risk", addressee="Jo Bloggs\n1 High St",
                                 free_text="Medication errors.")
    monkeypatch.setattr(letters, "record", boom)
    with pytest.raises(Boom):
        letters.issue_letter(user=cqm, letter_id=draft.pk)
    assert files_on_disk() == [] and Letter.objects.get(pk=draft.pk).status == "draft"
