"""What people see on the pages they trip over: the placement-status page, the sign-off page, a draft letter, the
home page's lists, and one date style everywhere ("23 November 2026", "23 November 2026 at 2:05pm")."""

import datetime
import re
from html.parser import HTMLParser

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from concerns.models import Concern
from escalation import route_services as rs
from escalation import services as case_services
from escalation.models import Route
from letters import services as letter_services
from letters.models import LetterTemplate
from letters.rendering import render_html
from tests.factories import CaseFactory, ConcernFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def long(day: datetime.date) -> str:
    """The GOV.UK date style, worked out here independently of the code under test."""
    return f"{day.day} {day:%B %Y}"


class VisibleText(HTMLParser):
    """The text a person reads: not inside <time> (its datetime is for machines), scripts, styles or the
    values in form fields (attributes and <textarea> contents)."""

    HIDDEN = {"time", "script", "style", "textarea"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def visible_text(response) -> str:
    assert response.status_code == 200, response
    parser = VisibleText()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


def suspended(people, joint=False):
    case = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=joint)
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend immediate suspension")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    if joint:
        rs.sign_off(user=people["icb"], case_id=case.pk, capacity="icb", report_version=1)
    case.refresh_from_db()
    return case


REVIEW_IN = datetime.timedelta(days=30)
ACTION_DUE_IN = datetime.timedelta(days=7)


def lifting_endorsed(people, joint=False):
    """Suspended, then a conditional lifting report (a plan action and a condition with dates) endorsed by DMT:
    waiting for the DASS's sign-off."""
    case = suspended(people, joint)
    plan = rs.create_improvement_plan(user=people["officer"], case_id=case.pk, start_date=TODAY(),
                                      review_date=TODAY() + datetime.timedelta(days=28))
    case_services.add_action(user=people["officer"], plan_id=plan.pk, area_of_concern="Staffing",
                             action="Recruit night staff", owner="provider", due_date=TODAY() + ACTION_DUE_IN)
    sprg(people, case, "monthly_review")
    sprg(people, case, "sufficient_progress", open_areas_reason="Recruitment agreed")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend conditional lifting", conditional=True,
                    conditions=[{"condition": "Weekly staffing return", "review_date": TODAY() + REVIEW_IN}],
                    oversight_until=TODAY() + datetime.timedelta(days=90))
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.LIFTING_ENDORSED
    return case


# --- 1. the placement-status page says what its CSV and JSON say ------------------------------------------

def test_placement_status_page_shows_a_provider_failure_referral_in_words(client, people):
    case = suspended(people)
    sprg(people, case, "provider_failed")
    other = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, other, "agree_at_risk")
    client.force_login(people["officer"])
    text = visible_text(client.get(reverse("escalation:placement_status")))
    assert f"Referred under the Provider Failure Policy on {long(TODAY())}" in text
    assert text.count("Referred under the Provider Failure Policy") == 1  # the at-risk provider is not flagged
    row = client.get(reverse("escalation:placement_status_json")).json()["providers"]
    assert [p["provider_failure_flagged_on"] for p in row if p["case"] == case.reference] == [TODAY().isoformat()]


# --- 2. the sign-off page: heading first, and the only choice chosen --------------------------------------

def test_sign_off_page_puts_the_heading_before_the_case_and_report(client, people):
    case = lifting_endorsed(people)
    client.force_login(people["dass"])
    html = client.get(reverse("escalation:sign_off", args=[case.pk])).content.decode()
    heading = html.index('<h1 class="govuk-heading-l">Sign off the decision</h1>')
    assert heading < html.index("Recommend conditional lifting")  # the report being signed
    assert heading < html.index(case.get_route_display())  # the route the case is on


def checked_capacities(html: str) -> list[str]:
    return re.findall(r'<input[^>]*name="capacity"[^>]*value="(\w+)"[^>]*checked', html) + \
        re.findall(r'<input[^>]*checked[^>]*name="capacity"[^>]*value="(\w+)"', html)


def test_sign_off_page_chooses_the_only_capacity_but_not_one_of_two(client, people):
    case = lifting_endorsed(people)
    client.force_login(people["dass"])
    html = client.get(reverse("escalation:sign_off", args=[case.pk])).content.decode()
    assert html.count('name="capacity"') == 1 and checked_capacities(html) == ["dass"]

    joint = lifting_endorsed(people, joint=True)
    both = UserFactory(roles=[roles.DASS, roles.ICB_COLLEAGUE])
    client.force_login(both)
    html = client.get(reverse("escalation:sign_off", args=[joint.pk])).content.decode()
    assert html.count('name="capacity"') == 2 and checked_capacities(html) == []

    # Sending the page as drawn signs off in the chosen capacity.
    client.force_login(people["dass"])
    response = client.post(reverse("escalation:sign_off", args=[case.pk]), {
        "capacity": "dass", "confirm": "on", "report_version": 1, "expected_route": case.route})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.route == Route.OVERSIGHT


# --- 3. a draft letter: edit first, issue last ------------------------------------------------------------

def test_draft_letter_page_puts_the_edit_form_before_issuing_and_shows_no_template_syntax(client, people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    letter = letter_services.create_draft(user=people["cqm"], case_id=case.pk, kind="at_risk",
                                          addressee="Jo Bloggs\n1 High St\nNF1 1AA", free_text="Medication errors.")
    client.force_login(people["cqm"])
    response = client.get(reverse("letters:detail", args=[letter.pk]))
    html = response.content.decode()
    assert html.index("Save draft") < html.index("Preview the PDF") < html.index("Issue the letter</button>")
    text = visible_text(response)
    assert "Text of the letter" in text and "{{" not in text and "{%" not in text and "free_text" not in text
    # A mistake in the edit form is summarised at the top of the page, above the heading.
    response = client.post(reverse("letters:detail", args=[letter.pk]), {"addressee": "", "free_text": "x"})
    html = response.content.decode()
    assert html.index("There is a problem") < html.index("<h1")


# --- 5. the home page lists each concern once -------------------------------------------------------------

def test_home_page_lists_a_waiting_concern_once(client, people):
    advice = ConcernFactory(safeguarding=True)  # waiting for safeguarding advice
    routing = ConcernFactory()  # waiting for routing
    acted_on = ConcernFactory(state=Concern.State.FURTHER_ACTION)  # routed, no risk assessment yet
    client.force_login(people["cqm"])
    text = visible_text(client.get(reverse("home")))
    for concern in (advice, routing, acted_on):
        assert text.count(concern.reference) == 1, concern.state
    waiting_for_assessment = text.split("Waiting for a risk assessment", 1)[1].split("Next JQMM agenda")[0]
    assert acted_on.reference in waiting_for_assessment
    assert advice.reference not in waiting_for_assessment and routing.reference not in waiting_for_assessment


# --- 4. one date style ------------------------------------------------------------------------------------

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
SHORT_MONTH = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{4}\b")
CLOCK_24H = re.compile(r"\b\d{1,2}:\d{2}\b")  # "7:36pm" is one word, so only a 24-hour "19:36" matches


def test_date_formats_are_the_gov_uk_style():
    at = timezone.make_aware(datetime.datetime(2026, 11, 23, 14, 5))
    rendered = Template('{{ day }}|{{ day|date }}|{{ at }}|{{ at|date:"DATETIME_FORMAT" }}|{{ at|time }}|'
                        '{{ noon|time }}|{{ morning|time }}').render(Context({
                            "day": at.date(), "at": at, "noon": at.replace(hour=12, minute=0),
                            "morning": at.replace(hour=9, minute=0)}))
    assert rendered.split("|") == ["23 November 2026", "23 November 2026", "23 November 2026 at 2:05pm",
                                   "23 November 2026 at 2:05pm", "2:05pm", "12pm", "9am"]


def test_the_main_pages_show_dates_in_one_style(client, people):
    case = lifting_endorsed(people)
    concern = ConcernFactory(provider=case.provider, logged_by=people["cqm"])
    letter = letter_services.create_draft(user=people["cqm"], case_id=case.pk, kind="lifting_suspension",
                                          addressee="Jo Bloggs\n1 High St\nNF1 1AA", free_text="Progress made.")
    issued_letter = letter_services.create_draft(user=people["cqm"], case_id=case.pk, kind="at_risk",
                                                 addressee="Jo Bloggs\n1 High St\nNF1 1AA", free_text="Concerns.")
    letter_services.issue_letter(user=people["cqm"], letter_id=issued_letter.pk)
    letter_services.record_delivery(user=people["cqm"], letter_id=issued_letter.pk, delivered_on=TODAY())
    Notification.objects.create(recipient=people["cqm"], message=f"{case.reference}: a decision was recorded")

    pages = {
        people["cqm"]: ["home", "escalation:list", "escalation:placement_status", "escalation:sprg_meetings",
                        "concerns:list", "concerns:jqmm_list", "concerns:risk_matrix", "account",
                        ("escalation:detail", case.pk), ("escalation:meetings", case.pk),
                        ("escalation:plans", case.pk), ("escalation:decisions", case.pk),
                        ("escalation:timeline", case.pk), ("providers:detail", case.provider.pk),
                        ("concerns:detail", concern.pk), ("letters:detail", letter.pk),
                        ("letters:detail", issued_letter.pk)],
        people["dass"]: [("escalation:sign_off", case.pk), ("escalation:detail", case.pk),
                         ("escalation:decisions", case.pk)],
    }
    seen = 0
    for person, names in pages.items():
        client.force_login(person)
        for name in names:
            url = reverse(name[0], args=name[1:]) if isinstance(name, tuple) else reverse(name)
            text = visible_text(client.get(url))
            seen += 1
            for pattern in (ISO_DATE, SHORT_MONTH, CLOCK_24H):
                found = [text[max(0, m.start() - 50):m.end() + 10] for m in pattern.finditer(text)]
                assert not found, f"{url}: {found}"
    assert seen == 20

    # The pages do show the dates, in words: the lifting condition's review date, the plan action's due date
    # on the report being signed, when a letter was delivered (in the case's timeline).
    client.force_login(people["dass"])
    sign_off = visible_text(client.get(reverse("escalation:sign_off", args=[case.pk])))
    assert f"review {long(TODAY() + REVIEW_IN)}" in sign_off and f"due {long(TODAY() + ACTION_DUE_IN)}" in sign_off
    decisions = visible_text(client.get(reverse("escalation:decisions", args=[case.pk])))
    assert f"review {long(TODAY() + REVIEW_IN)}" in decisions
    assert f"delivered {long(TODAY())}" in decisions

    # The letter itself: the date and the conditions table in the same long style.
    document = render_html(letter, LetterTemplate.latest("lifting_suspension"))
    assert f"Date: {long(TODAY())}" in document and long(TODAY() + REVIEW_IN) in document
    assert not ISO_DATE.search(document)
