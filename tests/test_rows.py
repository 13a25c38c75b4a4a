"""Lists of attendees, SPRG members and lifting conditions are rows of small forms (core.rows): "Add another"
works without JavaScript and saves nothing, empty rows are ignored, a bad row is named on the page."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from core import once
from core.models import FormToken
from escalation import route_services as rs
from escalation.models import CaseMeeting, DecisionReport, Route, SprgDecision, SprgMeeting
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def meeting_post(*people, **extra):
    today = TODAY()
    data = {"meeting_date_0": today.day, "meeting_date_1": today.month, "meeting_date_2": today.year,
            "attendees-TOTAL_FORMS": str(len(people)), "attendees-INITIAL_FORMS": "0",
            "provider_attended": "True", "minutes": "Discussed staffing", "outcome": "resolved",
            "outcome_notes": "Agreed actions"}
    for i, (name, agency) in enumerate(people):
        data[f"attendees-{i}-name"] = name
        data[f"attendees-{i}-agency"] = agency
    return {**data, **extra}


def summary_links(html: str) -> list[tuple[str, str]]:
    summary = re.search(r'<div class="govuk-error-summary".*?</ul>', html, re.S).group(0)
    return re.findall(r'<a href="#([^"]+)">([^<]+)</a>', summary)


@pytest.fixture
def meeting_url(cqm):
    return reverse("escalation:meeting_create", args=[CaseFactory(level="qa", owner=cqm).pk])


def test_the_meeting_form_has_a_fieldset_per_attendee_and_an_add_another_button(client, cqm, meeting_url):
    client.force_login(cqm)
    html = client.get(meeting_url).content.decode()
    assert re.search(r'<legend class="govuk-fieldset__legend[^"]*">Attendee 1</legend>', html)
    assert ">Attendee 2</legend>" in html and ">Attendee 3</legend>" not in html
    assert 'for="id_attendees-0-name"' in html and 'for="id_attendees-0-agency"' in html
    assert 'name="add_attendees"' in html and "Add another attendee" in html
    assert 'name="attendees-TOTAL_FORMS"' in html
    assert 'name="attendees"' not in html  # no longer one text box of "name, agency" lines


def test_add_another_without_javascript_keeps_what_was_typed_and_saves_nothing(client, cqm, meeting_url):
    client.force_login(cqm)
    token = once.issue(cqm)
    data = meeting_post(("Chris Manager", "Council CQT"), ("", "Provider"), add_attendees="1", form_token=token,
                        minutes="Half-written minutes")
    response = client.post(meeting_url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert ">Attendee 3</legend>" in html and 'name="attendees-2-name"' in html
    assert 'value="Chris Manager"' in html and 'value="Council CQT"' in html and 'value="Provider"' in html
    assert "Half-written minutes" in html
    assert "govuk-error-summary" not in html and "Enter the name" not in html  # nothing is checked yet
    assert f'value="{token}"' in html  # the same one-time token, not used
    assert not CaseMeeting.objects.exists() and not FormToken.objects.exists()
    # the person fills the new row and sends the form with the token it still carries
    data.pop("add_attendees")
    data.update({"attendees-TOTAL_FORMS": "3", "attendees-1-name": "Jo Bloggs", "attendees-2-name": "Ann Lee",
                 "attendees-2-agency": "ICB"})
    assert client.post(meeting_url, data).status_code == 302
    assert CaseMeeting.objects.get().attendees == [{"name": "Chris Manager", "agency": "Council CQT"},
                                                   {"name": "Jo Bloggs", "agency": "Provider"},
                                                   {"name": "Ann Lee", "agency": "ICB"}]


def test_adding_a_row_says_that_chosen_documents_must_be_chosen_again(client, cqm, meeting_url):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(cqm)
    pdf = SimpleUploadedFile("minutes.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(meeting_url, meeting_post(("Chris Manager", "Council CQT"), add_attendees="1",
                                                     documents=pdf))
    assert "Choose the documents again" in response.content.decode()
    assert not CaseMeeting.objects.exists()


def test_the_meeting_is_recorded_with_all_attendees_and_empty_rows_are_ignored(client, cqm, meeting_url):
    client.force_login(cqm)
    data = meeting_post(("Chris Manager", "Council CQT"), ("  ", ""), ("Jo Bloggs", "Provider"), ("", ""))
    response = client.post(meeting_url, data)
    assert response.status_code == 302
    meeting = CaseMeeting.objects.get()
    assert meeting.attendees == [{"name": "Chris Manager", "agency": "Council CQT"},
                                 {"name": "Jo Bloggs", "agency": "Provider"}]


def test_a_row_with_an_agency_but_no_name_is_refused_naming_the_row(client, cqm, meeting_url):
    client.force_login(cqm)
    response = client.post(meeting_url, meeting_post(("Chris Manager", "Council CQT"), ("", "Provider")))
    html = response.content.decode()
    assert response.status_code == 200
    assert ("id_attendees-1-name", "Enter the name of attendee 2") in summary_links(html)
    assert 'id="id_attendees-1-name"' in html and "govuk-input--error" in html
    assert 'value="Chris Manager"' in html and 'value="Provider"' in html
    assert "<title>Error:" in html
    assert not CaseMeeting.objects.exists()


def test_a_meeting_without_any_attendee_is_refused(client, cqm, meeting_url):
    client.force_login(cqm)
    html = client.post(meeting_url, meeting_post(("", ""), ("", ""))).content.decode()
    assert ("id_attendees-0-name", "Enter at least one attendee and their agency") in summary_links(html)
    assert not CaseMeeting.objects.exists()


def test_rows_without_their_count_get_a_message_not_an_error_page(client, cqm, meeting_url):
    client.force_login(cqm)
    data = meeting_post(("Chris Manager", "Council CQT"))
    del data["attendees-TOTAL_FORMS"], data["attendees-INITIAL_FORMS"]
    response = client.post(meeting_url, data)
    assert response.status_code == 200
    assert "The list of attendees could not be read" in response.content.decode()
    assert not CaseMeeting.objects.exists()


def test_more_rows_than_allowed_are_refused(client, cqm, meeting_url):
    client.force_login(cqm)
    people = [(f"Person {i}", "CQT") for i in range(31)]
    response = client.post(meeting_url, meeting_post(*people))
    assert response.status_code == 200 and "no more than 30 attendees" in response.content.decode()
    assert not CaseMeeting.objects.exists()


def test_someone_who_may_not_record_a_meeting_cannot_add_rows_either(client, meeting_url):
    auditor = UserFactory(roles=[roles.AUDITOR])
    client.force_login(auditor)
    assert client.post(meeting_url, meeting_post(("A", "B"), add_attendees="1")).status_code == 403
    assert not CaseMeeting.objects.exists()


# --- SPRG members present ---------------------------------------------------------------------------------

def sprg_post(case, *members, **extra):
    today = TODAY()
    data = {"decision": "agree_at_risk", "meeting_date_0": today.day, "meeting_date_1": today.month,
            "meeting_date_2": today.year, "notes": "Discussed", "expected_route": case.route,
            "members_present-TOTAL_FORMS": str(len(members)), "members_present-INITIAL_FORMS": "0"}
    for i, (name, role) in enumerate(members):
        data[f"members_present-{i}-name"] = name
        data[f"members_present-{i}-role"] = role
    return {**data, **extra}


def test_sprg_members_are_rows_kept_as_one_line_on_the_meeting(client):
    sprg = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", owner=UserFactory(roles=[roles.CQM]))
    client.force_login(sprg)
    url = reverse("escalation:sprg_decision", args=[case.pk])
    html = client.get(url).content.decode()
    assert ">Member 1</legend>" in html and "Add another member" in html
    response = client.post(url, sprg_post(case, ("Priya Sharma", "chair"), ("", ""), ("Dan Metcalfe", "")))
    assert response.status_code == 302
    assert SprgMeeting.objects.get().members_present == "Priya Sharma (chair); Dan Metcalfe"
    assert SprgDecision.objects.filter(case=case).count() == 1


def test_the_first_sprg_decision_of_a_day_without_members_is_refused_at_the_rows(client):
    sprg = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", owner=UserFactory(roles=[roles.CQM]))
    client.force_login(sprg)
    url = reverse("escalation:sprg_decision", args=[case.pk])
    html = client.post(url, sprg_post(case, ("", ""))).content.decode()
    assert ("id_members_present-0-name", "Enter the members present") in summary_links(html)
    assert not SprgDecision.objects.exists() and not FormToken.objects.exists()
    html = client.post(url, sprg_post(case, ("", "Finance"))).content.decode()
    assert ("id_members_present-0-name", "Enter the name of member 1") in summary_links(html)


# --- lifting conditions ------------------------------------------------------------------------------------

@pytest.fixture
def lifting_case(db):
    people = {r: UserFactory(roles=[role]) for r, role in [("cqm", roles.CQM), ("sprg", roles.SPRG_MEMBER),
                                                           ("dmt", roles.DMT_MEMBER), ("dass", roles.DASS)]}
    case = CaseFactory(level="sosg", owner=people["cqm"])

    def sprg(decision):
        rs.record_sprg_decision(user=people["sprg"], case_id=case.pk, decision=decision, meeting_date=TODAY(),
                                members_present="Chair", notes="Discussed")
    sprg("agree_at_risk")
    sprg("route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Suspend")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    sprg("monthly_review")
    sprg("sufficient_progress")
    case.refresh_from_db()
    assert case.route == Route.LIFTING_PROPOSED
    return case, people["cqm"]


def report_post(case, *conditions, **extra):
    oversight = TODAY() + datetime.timedelta(days=90)
    data = {"body": "Recommend conditional lifting", "conditional": "True", "expected_route": case.route,
            "oversight_until_0": oversight.day, "oversight_until_1": oversight.month,
            "oversight_until_2": oversight.year,
            "conditions-TOTAL_FORMS": str(len(conditions)), "conditions-INITIAL_FORMS": "0"}
    for i, (text, day, month, year) in enumerate(conditions):
        data.update({f"conditions-{i}-condition": text, f"conditions-{i}-review_date_0": day,
                     f"conditions-{i}-review_date_1": month, f"conditions-{i}-review_date_2": year})
    return {**data, **extra}


def test_lifting_conditions_are_rows_with_a_review_date(client, lifting_case):
    case, cqm = lifting_case
    client.force_login(cqm)
    url = reverse("escalation:report", args=[case.pk])
    html = client.get(url).content.decode()
    assert ">Condition 1</legend>" in html and "Add another condition" in html
    review = TODAY() + datetime.timedelta(days=30)
    added = client.post(url, report_post(case, ("Weekly staffing return", review.day, review.month, review.year),
                                         add_conditions="1")).content.decode()
    assert ">Condition 2</legend>" in added and 'value="Weekly staffing return"' in added
    assert not DecisionReport.objects.filter(kind="lifting").exists()
    response = client.post(url, report_post(case, ("Weekly staffing return", review.day, review.month, review.year),
                                            ("", "", "", ""),
                                            ("Monthly audit", review.day, review.month, review.year)))
    assert response.status_code == 302
    report = DecisionReport.objects.get(kind="lifting")
    assert report.conditions == [{"condition": "Weekly staffing return", "review_date": review.isoformat()},
                                 {"condition": "Monthly audit", "review_date": review.isoformat()}]


def test_a_condition_with_a_bad_or_missing_date_is_named(client, lifting_case):
    case, cqm = lifting_case
    client.force_login(cqm)
    url = reverse("escalation:report", args=[case.pk])
    html = client.post(url, report_post(case, ("Staffing", 31, 2, 2027), ("Audit", "", "", ""))).content.decode()
    links = summary_links(html)
    assert ("id_conditions-0-review_date_0", "Condition 1: review date must be a real date") in links
    assert ("id_conditions-1-review_date_0", "Enter the review date of condition 2") in links
    html = client.post(url, report_post(case, ("", "", "", ""))).content.decode()
    assert ("id_conditions-0-condition", "Enter each condition and its review date") in summary_links(html)
    assert not DecisionReport.objects.filter(kind="lifting").exists()
