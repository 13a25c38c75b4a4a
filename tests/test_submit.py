"""Every form's submit goes through core.views.submit: one token, one record, refusals as messages."""

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_fsm import TransitionNotAllowed

from concerns.models import Concern
from core import once
from core.models import FormToken
from escalation import services as case_services
from escalation.models import EscalationCase
from providers.models import Provider
from tests.factories import CaseFactory, ConcernFactory

pytestmark = pytest.mark.django_db
CSV = ("CQC Location ID (for office use only),Name,Address,Postcode,Service types,Registered manager\n"
       "1-100000001,New name,\"1 High St, Northfield\",nf1 1aa,Residential homes,A Manager\n")


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_an_import_sent_twice_imports_once_and_says_so(client, administrator, django_capture_on_commit_callbacks):
    client.force_login(administrator)
    token = once.issue(administrator)
    url = reverse("providers:import")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, {"csv_file": SimpleUploadedFile("d.csv", CSV.encode()), "form_token": token})
    assert first.status_code == 302 and "1 added, 0 updated" in client.get(first["Location"]).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(url, {"csv_file": SimpleUploadedFile("d.csv", CSV.encode()), "form_token": token})
    assert again.status_code == 302 and "This form was already sent" in messages_of(again)
    assert again["Location"] == first["Location"]  # back to the first upload's import
    assert Provider.objects.count() == 1


def test_a_risk_level_preview_does_not_use_the_form_token(client, officer):
    concern = ConcernFactory(logged_by=officer)
    client.force_login(officer)
    token = once.issue(officer)
    url = reverse("concerns:assess", args=[concern.pk])
    data = {"engagement": "3", "impact": "3", "level": "", "form_token": token}
    assert client.post(url, {**data, "action": "preview"}).status_code == 200
    assert not FormToken.objects.exists()
    assert client.post(url, {**data, "action": "save"}).status_code == 302
    assert concern.risk_assessments.count() == 1


def test_a_refused_reopen_is_a_message_not_an_error_page(client, cqm, monkeypatch):
    case = CaseFactory(level="closed", owner=cqm)

    def refuse(**kwargs):
        raise TransitionNotAllowed("This case cannot be reopened from where it is now")

    monkeypatch.setattr(case_services, "reopen_case", refuse)
    client.force_login(cqm)
    url = reverse("escalation:reopen", args=[case.pk])
    response = client.post(url, {"level": "qa", "reason": "New concerns"})
    assert response.status_code == 302 and response["Location"] == url
    assert "This case cannot be reopened from where it is now" in messages_of(response)
    assert EscalationCase.objects.count() == 1 and not FormToken.objects.exists()


def test_a_service_refusal_goes_back_onto_the_form_and_the_token_can_be_used_again(client, cqm, monkeypatch):
    concern = ConcernFactory(logged_by=cqm, state=Concern.State.FURTHER_ACTION)
    calls = []
    real = case_services.open_case

    def open_case(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise ValidationError({"rationale": "Enter the rationale for opening at this level"})
        return real(**kwargs)

    monkeypatch.setattr(case_services, "open_case", open_case)
    client.force_login(cqm)
    token = once.issue(cqm)
    url = reverse("escalation:open", args=[concern.provider.pk])
    data = {"level": "qa", "concerns": [concern.pk], "rationale": "", "jointly_commissioned": "False",
            "form_token": token}
    html = client.post(url, data).content.decode()
    assert "Enter the rationale for opening at this level" in html and 'href="#id_rationale"' in html
    response = client.post(url, {**data, "rationale": "Serious concerns"})
    case = EscalationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert f"Case {case.reference} opened at Quality assurance meeting" in messages_of(response)
