import datetime
import hashlib
import subprocess

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import roles
from deadlines.models import Deadline
from deadlines.workingdays import add_working_days
from letters import services
from letters.models import Letter, LetterTemplate
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def cqm(db):
    return UserFactory(roles=[roles.CQM])


def pdf_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def draft(cqm, kind="at_risk", **kw):
    case = CaseFactory(level="sosg", owner=cqm)
    return services.create_draft(user=cqm, case_id=case.pk, kind=kind, addressee="Jo Bloggs\n1 High St\nNF1 1AA",
                                 free_text=kw.pop("free_text", "Medication errors on two units."), **kw)


def test_issue_stores_the_pdf_with_its_hash_and_template_version(cqm):
    letter = draft(cqm)
    issued = services.issue_letter(user=cqm, letter_id=letter.pk)
    with issued.pdf.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == issued.sha256
    assert issued.template == LetterTemplate.latest("at_risk") and issued.issued_by == cqm
    text = pdf_text(data)
    assert issued.case.provider.name in text and "Medication errors on two units." in text
    assert issued.reference in text and "Page 1 of" in text


def test_required_fields_and_roles_are_checked_before_issuing(cqm):
    letter = draft(cqm, free_text="")
    with pytest.raises(ValidationError, match="text of the letter"):
        services.issue_letter(user=cqm, letter_id=letter.pk)
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    letter.free_text = "Concerns"
    letter.save()
    with pytest.raises(PermissionDenied):
        services.issue_letter(user=officer, letter_id=letter.pk)
    letter.refresh_from_db()
    assert letter.status == "draft" and not letter.sha256


def test_an_issued_letter_is_never_changed_or_deleted(cqm):
    letter = services.issue_letter(user=cqm, letter_id=draft(cqm).pk)
    letter.free_text = "Something else"
    with pytest.raises(ValidationError):
        letter.save()
    with pytest.raises(ValidationError):
        Letter.objects.get(pk=letter.pk).delete()
    with pytest.raises(ValidationError):
        services.update_draft(user=cqm, letter_id=letter.pk, addressee="x", free_text="y")


def test_delivery_of_the_at_risk_letter_starts_the_five_working_day_deadline(cqm):
    letter = services.issue_letter(user=cqm, letter_id=draft(cqm).pk)
    with pytest.raises(ValidationError, match="before the letter was issued"):
        services.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=TODAY() - datetime.timedelta(days=1))
    services.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=TODAY())
    deadline = Deadline.objects.get(kind="improvement_plan", case=letter.case)
    assert deadline.due_date == add_working_days(TODAY(), 5)
    with pytest.raises(ValidationError, match="already recorded"):
        services.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=TODAY())


def test_withdrawal_needs_a_reason_and_keeps_the_pdf(cqm):
    letter = services.issue_letter(user=cqm, letter_id=draft(cqm).pk)
    with pytest.raises(ValidationError):
        services.withdraw_letter(user=cqm, letter_id=letter.pk, reason="")
    withdrawn = services.withdraw_letter(user=cqm, letter_id=letter.pk, reason="Wrong addressee")
    assert withdrawn.status == "withdrawn" and withdrawn.sha256 == letter.sha256


def test_a_template_with_an_unknown_merge_field_is_refused_when_saved():
    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    with pytest.raises(ValidationError, match="Unknown merge field: {{ provider_nmae }}"):
        services.create_template_version(user=admin, kind="at_risk", subject="At risk",
                                         body="Dear {{ provider_nmae }}", note="typo")
    with pytest.raises(ValidationError, match="template code: {% if x %}"):
        services.create_template_version(user=admin, kind="at_risk", subject="At risk",
                                         body="{% if x %}Dear{% endif %}", note="logic")
    new = services.create_template_version(user=admin, kind="at_risk", subject="At risk: {{ provider_name }}",
                                           body="Dear {{ registered_manager }},\n\n{{ free_text }}", note="Shorter")
    assert new.version == 2
    with pytest.raises(ValidationError):
        new.save()  # versions are never edited


def test_download_returns_the_identical_bytes_as_an_attachment(client, cqm):
    letter = services.issue_letter(user=cqm, letter_id=draft(cqm).pk)
    client.force_login(UserFactory(roles=[roles.AUDITOR]))
    first = client.get(f"/letters/{letter.pk}/download.pdf")
    second = client.get(f"/letters/{letter.pk}/download.pdf")
    assert first["Content-Disposition"].startswith("attachment")
    assert first.content == second.content
    assert hashlib.sha256(first.content).hexdigest() == letter.sha256
    client.force_login(UserFactory())  # no role
    assert client.get(f"/letters/{letter.pk}/download.pdf").status_code == 403


def test_pages_explain_bad_input(client, cqm):
    letter = draft(cqm)
    client.force_login(cqm)
    response = client.post(f"/letters/{letter.pk}/delivery/", {"delivered_on_0": "1", "delivered_on_1": "1",
                                                               "delivered_on_2": "2026"})
    assert "Only an issued letter has a delivery date" in response.content.decode()
    preview = client.get(f"/letters/{letter.pk}/preview.pdf")
    assert preview["Content-Type"] == "application/pdf" and "DRAFT" in pdf_text(preview.content)
    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    client.force_login(admin)
    response = client.post("/letters/templates/at_risk/new/", {"subject": "x", "body": "{{ nonsense }}",
                                                               "note": "test"})
    assert "Unknown merge field: {{ nonsense }}" in response.content.decode()
    assert LetterTemplate.objects.filter(kind="at_risk").count() == 1


def test_a_letter_on_a_case_with_restricted_concerns_is_refused_to_people_not_cleared(client, cqm):
    from audit.models import Event
    from concerns.models import Concern
    from tests.factories import ConcernFactory

    letter = services.issue_letter(user=cqm, letter_id=draft(cqm).pk)
    ConcernFactory(safeguarding=True, provider=letter.case.provider, state=Concern.State.FURTHER_ACTION,
                   case=letter.case)
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    client.force_login(officer)
    assert client.get(f"/letters/{letter.pk}/download.pdf").status_code == 403
    assert Event.objects.filter(kind="restricted_access_denied", actor=officer).exists()
    client.force_login(cqm)  # CQMs are cleared
    assert client.get(f"/letters/{letter.pk}/download.pdf").status_code == 200


def test_the_letterhead_logo_is_rendered_when_set(cqm, settings, tmp_path):
    from django.core.files.base import ContentFile

    from letters.models import LetterSettings
    from tests.test_views import PNG as png

    letter_settings = LetterSettings.current()
    letter_settings.logo.save("logo.png", ContentFile(png))
    letter = draft(cqm)
    from letters.rendering import render_html

    html_text = render_html(letter, LetterTemplate.latest("at_risk"))
    assert '<img class="logo" src="letter-asset:logo"' in html_text and "file:" not in html_text
    assert services.preview_pdf(user=cqm, letter_id=letter.pk).startswith(b"%PDF")
