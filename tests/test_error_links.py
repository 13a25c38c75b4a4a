"""Every link in an error summary leads to a control on the page: a date's day box, a radio group's first
option, a text box, a file input. Each form is sent empty (with only its hidden fields) as a person would
who pressed the button straight away."""

from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from escalation import route_services as rs
from tests.factories import CaseFactory, ConcernFactory, JqmmFactory, ProviderFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db
CONTROLS = {"input", "select", "textarea"}


class Page(HTMLParser):
    """The ids of the page's controls, the error summary's link targets, and the main form's hidden fields."""

    def __init__(self):
        super().__init__()
        self.controls: dict[str, str] = {}
        self.links: list[str] = []
        self.hidden: dict[str, str] = {}
        self._summary = 0
        self._forms = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "div" and "govuk-error-summary" in (a.get("class") or "").split():
            self._summary = 1
        elif self._summary and tag == "div":
            self._summary += 1
        if tag == "form" and "app-inline-form" not in (a.get("class") or ""):
            self._forms += 1
        if tag in CONTROLS and a.get("id") and a.get("type") != "hidden":
            self.controls[a["id"]] = a.get("type") or tag
        if tag == "input" and a.get("type") == "hidden" and self._forms == 1 and a.get("name"):
            self.hidden[a["name"]] = a.get("value") or ""
        if tag == "a" and self._summary and (a.get("href") or "").startswith("#"):
            self.links.append(a["href"][1:])

    def handle_endtag(self, tag):
        if tag == "div" and self._summary:
            self._summary -= 1


def parse(response) -> Page:
    page = Page()
    page.feed(response.content.decode())
    return page


def send_empty(client, url) -> Page:
    drawn = parse(client.get(url))
    hidden = {k: v for k, v in drawn.hidden.items() if k not in ("csrfmiddlewaretoken", "form_token")}
    response = client.post(url, hidden)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response)


def endorsed_case(people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    return case


def forms(people):
    """(who, address, a kind of field the form has) for the forms with dates, radios, checkboxes and rows."""
    officer, cqm = people["officer"], people["cqm"]
    provider = ProviderFactory()
    concern = ConcernFactory(logged_by=officer, provider=provider)
    restricted = ConcernFactory(safeguarding=True, logged_by=officer)
    JqmmFactory(meeting_date=timezone.localdate() + timezone.timedelta(days=7))
    case = CaseFactory(level="qa", owner=cqm)
    at_risk = CaseFactory(level="sosg", owner=cqm)
    sprg(people, at_risk, "agree_at_risk")
    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    lead = UserFactory(roles=[roles.SAFEGUARDING_LEAD])
    return [
        (officer, reverse("concerns:create_for_provider", args=[provider.pk])),
        (lead, reverse("concerns:advice", args=[restricted.pk])),
        (officer, reverse("concerns:route", args=[concern.pk])),
        (officer, reverse("concerns:assess", args=[concern.pk])),
        (officer, reverse("concerns:monitoring", args=[concern.pk])),
        (cqm, reverse("concerns:jqmm_create")),
        (cqm, reverse("escalation:open", args=[provider.pk])),
        (cqm, reverse("escalation:meeting_create", args=[case.pk])),
        (people["sprg"], reverse("escalation:sprg_decision", args=[at_risk.pk])),
        (officer, reverse("escalation:improvement_plan", args=[at_risk.pk])),
        (officer, reverse("escalation:visit_create", args=[at_risk.pk])),
        (people["dass"], reverse("escalation:sign_off", args=[endorsed_case(people).pk])),
        (admin, reverse("providers:create")),
    ]


def test_every_error_summary_link_leads_to_a_control_on_the_page(client, people):
    kinds = set()
    for user, url in forms(people):
        client.force_login(user)
        page = send_empty(client, url)
        assert page.links, f"{url}: no error summary"
        for target in page.links:
            assert target in page.controls, f"{url}: the link #{target} leads nowhere"
            kinds.add(page.controls[target])
    assert {"radio", "text", "textarea"} <= kinds, kinds


def test_a_date_links_to_its_day_box_and_a_radio_group_to_its_first_option(client, people):
    client.force_login(people["officer"])
    page = send_empty(client, reverse("concerns:create_for_provider", args=[ProviderFactory().pk]))
    assert "id_received_on_0" in page.links and "id_received_on" not in page.links
    assert "id_source_1" in page.links and page.controls["id_source_1"] == "radio"


def test_a_refused_submit_says_which_chosen_files_to_choose_again(client, people):
    client.force_login(people["officer"])
    url = reverse("concerns:create_for_provider", args=[ProviderFactory().pk])
    files = [SimpleUploadedFile("body-map.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
             SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")]
    response = client.post(url, {"evidence": files, "description": ""})
    page = parse(response)
    text = response.content.decode()
    assert "Choose body-map.pdf and photo.png again: files are not kept when the page shows a problem" in text
    assert "id_evidence" in page.links and page.controls["id_evidence"] == "file"


def test_the_evidence_input_has_the_gov_uk_class_and_its_error_style(client, people):
    client.force_login(people["officer"])
    url = reverse("concerns:create_for_provider", args=[ProviderFactory().pk])
    assert 'class="govuk-file-upload" id="id_evidence"' in client.get(url).content.decode()
    sent = client.post(url, {"evidence": [SimpleUploadedFile("a.pdf", b"%PDF-1.4\n")]}).content.decode()
    assert 'class="govuk-file-upload govuk-file-upload--error"' in sent


def test_a_refusal_banner_takes_focus_like_a_success_banner(rf):
    """GOV.UK Frontend moves focus to a notification banner with role="alert"; a refused or stale action's
    message is one, so the person hears it after the page loads."""
    from django.contrib.messages.storage.base import Message
    from django.template.loader import render_to_string

    html = render_to_string("includes/messages.html", {"messages": [Message(40, "Someone else changed this")]})
    assert 'role="alert"' in html and "Important" in html and "Someone else changed this" in html
