"""A form sent twice makes one record (ADR 0021): each form carries a one-time token the server signed for the
person it was shown to, taken in the same transaction as the action."""

import datetime
import re
import types

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from concerns import services as concern_services
from concerns.models import Concern, EvidenceFile
from core import once
from core.models import FormToken
from escalation.models import CaseMeeting, EscalationCase, SprgDecision
from letters.models import Letter
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def concern_post(provider, **extra):
    received = TODAY() - datetime.timedelta(days=1)
    return {"provider": provider.pk, "source": "safeguarding", "received_on_0": received.day,
            "received_on_1": received.month, "received_on_2": received.year, "raised_by": "District nurse",
            "description": "Bruising found", "people_affected": "2", "care_management_refs": "CM100",
            "safety_concern": "False", "position_of_trust": "False", "referral_uncertain": "False", **extra}


def token_in(html: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def officer(db):
    return UserFactory(roles=[roles.CONTRACT_OFFICER])


@pytest.fixture
def cqm(db):
    return UserFactory(roles=[roles.CQM])


# --- service level ---------------------------------------------------------------------------------------


def test_the_same_token_logs_one_concern_when_the_service_is_called_twice(officer):
    provider = ProviderFactory()
    request = RequestFactory().post("/concerns/new/")
    request.user = officer
    form = types.SimpleNamespace(form_token_nonce=once.read(once.issue(officer), officer))
    data = {"source": Concern.Source.SAFEGUARDING, "received_on": TODAY(), "raised_by": "Nurse",
            "description": "Bruising", "people_affected": 1, "care_management_refs": ["CM1"],
            "safety_concern": False, "position_of_trust": False, "referral_uncertain": False}

    def log():
        return concern_services.log_concern(user=officer, provider_id=provider.pk, data=data)

    first = once.once(request, form, log, done_url=lambda c: c)
    with pytest.raises(once.AlreadySent) as repeat:
        once.once(request, form, log, done_url=lambda c: c)
    assert Concern.objects.count() == 1 and repeat.value.url == first.get_absolute_url()


def test_a_token_is_free_again_when_the_action_is_refused(officer):
    request = RequestFactory().post("/")
    request.user = officer
    form = types.SimpleNamespace(form_token_nonce=once.read(once.issue(officer), officer))

    def refused():
        raise concern_services.ValidationError("No")

    with pytest.raises(concern_services.ValidationError):
        once.once(request, form, refused)
    assert not FormToken.objects.exists()
    assert once.once(request, form, lambda: "done") == "done"


def test_tokens_not_issued_by_the_server_or_for_someone_else_or_too_old_are_refused(officer, cqm, settings):
    with pytest.raises(once.TokenRefused, match="could not be checked"):
        once.read("made-up-token", officer)
    with pytest.raises(once.TokenRefused, match="could not be checked"):
        once.read("", officer)
    with pytest.raises(once.TokenRefused, match="opened by someone else"):
        once.read(once.issue(cqm), officer)
    settings.FORM_TOKEN_MAX_AGE = -1
    with pytest.raises(once.TokenRefused, match="open for too long"):
        once.read(once.issue(officer), officer)


# --- through the pages ------------------------------------------------------------------------------------


def test_the_concern_form_sent_twice_logs_one_concern_with_one_set_of_files(client, officer):
    provider = ProviderFactory()
    client.force_login(officer)
    token = token_in(client.get(reverse("concerns:create")).content.decode())
    first = client.post(reverse("concerns:create"),
                        concern_post(provider, form_token=token, evidence=[SimpleUploadedFile("a.pdf", PDF)]))
    concern = Concern.objects.get()
    assert first.status_code == 302 and first["Location"] == concern.get_absolute_url()
    again = client.post(reverse("concerns:create"),
                        concern_post(provider, form_token=token, evidence=[SimpleUploadedFile("a.pdf", PDF)]))
    assert again.status_code == 302 and again["Location"] == concern.get_absolute_url()
    assert "This form was already sent" in messages_of(again)
    assert Concern.objects.count() == 1 and EvidenceFile.objects.count() == 1


def test_a_form_with_bad_input_keeps_its_token_for_the_corrected_form(client, officer):
    provider = ProviderFactory()
    client.force_login(officer)
    token = token_in(client.get(reverse("concerns:create")).content.decode())
    refused = client.post(reverse("concerns:create"), concern_post(provider, form_token=token, description=""))
    assert refused.status_code == 200 and token_in(refused.content.decode()) == token
    assert client.post(reverse("concerns:create"), concern_post(provider, form_token=token)).status_code == 302
    assert Concern.objects.count() == 1


@pytest.mark.parametrize("token,message", [
    ("", "This form could not be checked as coming from this service"),
    ("forged-by-someone", "This form could not be checked as coming from this service"),
])
def test_a_form_without_a_token_the_server_issued_is_refused_plainly(client, officer, token, message):
    provider = ProviderFactory()
    client.force_login(officer)
    response = client.post(reverse("concerns:create"), concern_post(provider, form_token=token))
    html = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in html and message in html
    assert not Concern.objects.exists()
    fresh = token_in(html)  # the form comes back with a token that will be accepted
    assert client.post(reverse("concerns:create"), concern_post(provider, form_token=fresh)).status_code == 302
    assert Concern.objects.count() == 1


def test_a_token_issued_to_someone_else_is_refused(client, officer):
    provider = ProviderFactory()
    other = UserFactory(roles=[roles.CONTRACT_OFFICER])
    client.force_login(officer)
    response = client.post(reverse("concerns:create"), concern_post(provider, form_token=once.issue(other)))
    assert "This form was opened by someone else" in response.content.decode()
    assert not Concern.objects.exists()


def post_twice(client, url, data, user):
    token = once.issue(user)
    first = client.post(url, {**data, "form_token": token})
    again = client.post(url, {**data, "form_token": token})
    assert first.status_code == 302, first.content.decode()[-3000:]
    assert again.status_code == 302 and again["Location"] == first["Location"]
    assert "This form was already sent" in messages_of(again)
    return first


def test_opening_a_case_twice_opens_one(client, cqm, officer):
    concern = ConcernFactory(logged_by=officer, state=Concern.State.FURTHER_ACTION)
    client.force_login(cqm)
    post_twice(client, reverse("escalation:open", args=[concern.provider.pk]),
               {"level": "qa", "concerns": [concern.pk], "rationale": "No assessment yet",
                "jointly_commissioned": "False"}, cqm)
    assert EscalationCase.objects.count() == 1


def test_recording_a_meeting_twice_records_one(client, cqm):
    case = CaseFactory(level="qa", owner=cqm)
    client.force_login(cqm)
    today = TODAY()
    post_twice(client, reverse("escalation:meeting_create", args=[case.pk]),
               {"meeting_date_0": today.day, "meeting_date_1": today.month, "meeting_date_2": today.year,
                "attendees-TOTAL_FORMS": "1", "attendees-INITIAL_FORMS": "0", "attendees-0-name": "Chris Manager",
                "attendees-0-agency": "Council CQT", "provider_attended": "True", "minutes": "Discussed",
                "outcome": "resolved", "outcome_notes": "Agreed actions"}, cqm)
    assert CaseMeeting.objects.filter(case=case).count() == 1


def test_a_letter_draft_sent_twice_makes_one_draft(client, cqm):
    case = CaseFactory(level="sosg", owner=cqm)
    client.force_login(cqm)
    first = post_twice(client, reverse("letters:create", args=[case.pk]),
                       {"kind": "at_risk", "addressee": "Jo Bloggs\n1 High St\nNF1 1AA",
                        "free_text": "Medication errors."}, cqm)
    letter = Letter.objects.get()
    assert first["Location"] == reverse("letters:detail", args=[letter.pk])


def test_an_sprg_decision_sent_twice_is_recorded_once(client):
    sprg = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", owner=UserFactory(roles=[roles.CQM]))
    client.force_login(sprg)
    today = TODAY()
    post_twice(client, reverse("escalation:sprg_decision", args=[case.pk]),
               {"decision": "agree_at_risk", "meeting_date_0": today.day, "meeting_date_1": today.month,
                "meeting_date_2": today.year, "members_present-TOTAL_FORMS": "1", "members_present-INITIAL_FORMS": "0",
                "members_present-0-name": "Chair", "notes": "Discussed",
                "expected_route": case.route}, sprg)
    assert SprgDecision.objects.filter(case=case).count() == 1


def test_search_forms_and_internal_forms_need_no_token(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("providers:list"), {"q": "Willow"}).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_double_click_sent_at_the_same_moment_makes_one_record():
    import threading
    import time

    from django.db import connection

    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    provider = ProviderFactory()
    nonce = once.read(once.issue(officer), officer)
    data = {"source": Concern.Source.SAFEGUARDING, "received_on": TODAY(), "raised_by": "Nurse",
            "description": "Bruising", "people_affected": 1, "care_management_refs": ["CM1"],
            "safety_concern": False, "position_of_trust": False, "referral_uncertain": False}
    outcomes = []

    def send(pause):
        request = RequestFactory().post("/concerns/new/")
        request.user = officer
        form = types.SimpleNamespace(form_token_nonce=nonce)

        def act():
            concern = concern_services.log_concern(user=officer, provider_id=provider.pk, data=data)
            time.sleep(pause)  # the first submission holds its token while the second arrives
            return concern

        try:
            outcomes.append(once.once(request, form, act, done_url=lambda c: c).reference)
        except once.AlreadySent as exc:
            outcomes.append(f"already sent: {exc.url}")
        finally:
            connection.close()

    first = threading.Thread(target=send, args=(0.5,))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=send, args=(0,))
    second.start()
    first.join()
    second.join()
    concern = Concern.objects.get()
    assert sorted(outcomes) == sorted([concern.reference, f"already sent: {concern.get_absolute_url()}"])


def test_used_tokens_are_forgotten_once_they_are_too_old_to_be_sent_again(officer, settings):
    from core.tasks import forget_used_form_tokens

    old = FormToken.objects.create(token="old", user=officer)
    FormToken.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
    FormToken.objects.create(token="recent", user=officer)
    assert forget_used_form_tokens() == 1
    assert list(FormToken.objects.values_list("token", flat=True)) == ["recent"]
