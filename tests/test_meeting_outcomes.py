"""What users trip over on escalation cases: a meeting's structured outcome sets the next ladder move; the rationale
for skipping a step is kept with the move; Route 1 extensions; what an ended case says; the cases list shows the
route; a case ended under the Provider Failure Policy is final."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts import roles
from audit.models import Event
from audit.services import record
from core.dates import long_date
from deadlines import services as deadline_services
from deadlines.models import Deadline
from escalation import route_services as rs
from escalation import services
from escalation.models import ActionPlan, CaseMeeting, EscalationCase, LadderMove, Level
from tests.factories import CaseFactory, UserFactory, meeting_decided, satisfy_conditions

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)
SKIPS = {"qa": {"escalate_to_jimp", "escalate_to_sosg"}, "ppm": {"escalate_to_sosg"}, "jimp": set(), "sosg": set()}


def _with_plan(case):
    if case.level != "qa":
        ActionPlan.objects.create(case=case, level=case.level, kind="cap", start_date=TODAY(),
                                  review_date=TODAY() + 28 * DAY, created_by=case.owner)
    return case


def _allowed(case) -> set[str]:
    case = EscalationCase.objects.get(pk=case.pk)
    return {t.name for t in case.get_available_level_transitions()} - SKIPS[case.level]


# --- 1. the meeting's outcome drives the next step --------------------------------------------------------------

@pytest.mark.parametrize(("level", "outcome", "moves"), [
    ("qa", "resolved", {"close"}),
    ("qa", "not_resolved", {"escalate_to_ppm"}),
    ("ppm", "satisfactory", {"close"}),
    ("ppm", "extend", set()),
    ("ppm", "not_satisfactory", {"escalate_to_jimp"}),
    ("jimp", "satisfactory", {"close", "step_down_to_ppm"}),
    ("jimp", "extend", set()),
    ("jimp", "not_satisfactory", {"escalate_to_sosg"}),
    ("sosg", "satisfactory", {"close", "step_down_to_jimp", "step_down_to_ppm"}),
    ("sosg", "extend", set()),
    ("sosg", "not_satisfactory", {"refer_provider_failure"}),
    ("ppm", "", set()),  # a meeting recorded before outcomes were structured: "not recorded"
])
def test_the_last_meeting_at_the_level_sets_the_moves_allowed(level, outcome, moves):
    case = _with_plan(CaseFactory(level=level, owner=UserFactory(roles=[roles.CQM])))
    assert _allowed(case) == set()  # no meeting yet: nothing that needs one
    meeting_decided(case, outcome)
    assert _allowed(case) == moves


def test_the_service_refuses_a_move_the_meeting_did_not_decide_and_says_why():
    cqm = UserFactory(roles=[roles.CQM])
    case = _with_plan(CaseFactory(level="ppm", owner=cqm))
    day = TODAY() - DAY
    meeting_decided(case, "extend", meeting_date=day)
    for move in ("close", "escalate_to_jimp"):
        with pytest.raises(TransitionNotAllowed) as refused:
            services.move_case(user=cqm, case_id=case.pk, transition_name=move, reason="x")
        assert str(refused.value) == f"The last PPM on {long_date(day)} agreed to extend the timescales"
    case.refresh_from_db()
    assert case.level == "ppm" and not Event.objects.filter(kind__startswith="case_").exists()


def test_only_meetings_since_the_case_reached_its_level_count():
    cqm = UserFactory(roles=[roles.CQM])
    case = _with_plan(CaseFactory(level="jimp", owner=cqm))
    meeting_decided(case, "not_satisfactory")
    services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="No better")
    case.refresh_from_db()
    _with_plan(case)
    meeting_decided(case, "satisfactory")
    services.step_down_to_jimp(user=cqm, case_id=case.pk, reason="Better")
    # Back at JIMP: the JIMP meeting from before the case went up to SOSG no longer counts.
    assert _allowed(case) == set()
    with pytest.raises(TransitionNotAllowed, match="Record the JIMP meeting and its outcome first"):
        services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="x")


def test_skipping_a_step_with_a_rationale_needs_no_meeting():
    cqm = UserFactory(roles=[roles.CQM])
    case = _with_plan(CaseFactory(level="ppm", owner=cqm))
    meeting_decided(case, "extend")
    services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="Closure announced",
                              skip_rationale="The provider has announced it will close the service")
    assert EscalationCase.objects.get(pk=case.pk).level == "sosg"


def test_the_case_page_offers_only_the_moves_the_meeting_allows_and_says_why(client):
    cqm = UserFactory(roles=[roles.CQM])
    case = _with_plan(CaseFactory(level="ppm", owner=cqm))
    day = TODAY() - 2 * DAY
    meeting_decided(case, "extend", meeting_date=day)
    client.force_login(cqm)
    html = client.get(case.get_absolute_url()).content.decode()
    assert reverse("escalation:move", args=[case.pk, "close"]) not in html
    assert reverse("escalation:move", args=[case.pk, "escalate_to_jimp"]) not in html
    assert f"The last PPM on {long_date(day)} agreed to extend the timescales. The case stays at this level" in html
    meetings = client.get(reverse("escalation:meetings", args=[case.pk])).content.decode()
    assert "<strong>Extend the timescales</strong>" in meetings
    meeting_decided(case, "satisfactory")
    html = client.get(case.get_absolute_url()).content.decode()
    assert reverse("escalation:move", args=[case.pk, "close"]) in html
    assert reverse("escalation:move", args=[case.pk, "escalate_to_jimp"]) not in html
    assert "found the improvement satisfactory. The case can be closed" in html


def test_a_meeting_without_an_outcome_shows_its_old_text_and_allows_no_move(client):
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="qa", owner=cqm)
    CaseMeeting.objects.create(case=case, level="qa", meeting_date=TODAY(), attendees=[{"name": "A", "agency": "B"}],
                               provider_attended=True, minutes="m", outcome_notes="Provider to send a staffing plan",
                               recorded_by=cqm)
    with pytest.raises(TransitionNotAllowed, match="has no outcome recorded"):
        services.close_case(user=cqm, case_id=case.pk, reason="x")
    client.force_login(cqm)
    html = client.get(case.get_absolute_url()).content.decode()
    assert reverse("escalation:move", args=[case.pk, "close"]) not in html
    html = client.get(reverse("escalation:meetings", args=[case.pk])).content.decode()
    assert "Not recorded" in html and "Provider to send a staffing plan" in html


def _meeting_post(outcome, expected_level="ppm", **extra):
    today = TODAY()
    return {"meeting_date_0": today.day, "meeting_date_1": today.month, "meeting_date_2": today.year,
            "attendees-TOTAL_FORMS": "1", "attendees-INITIAL_FORMS": "0", "attendees-0-name": "Chris Manager",
            "attendees-0-agency": "Council CQT", "provider_attended": "True", "minutes": "Discussed",
            "outcome": outcome, "outcome_notes": "Two more weeks for recruitment", "expected_level": expected_level,
            **extra}


def test_the_meeting_form_offers_the_outcomes_of_the_cases_level(client):
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="ppm")
    client.force_login(officer)
    url = reverse("escalation:meeting_create", args=[case.pk])
    html = client.get(url).content.decode()
    assert "What did the PPM decide?" in html
    assert 'type="radio"' in html and 'value="extend"' in html and 'value="not_satisfactory"' in html
    assert 'value="resolved"' not in html
    response = client.post(url, _meeting_post("resolved"))
    assert "govuk-error-summary" in response.content.decode() and not CaseMeeting.objects.exists()
    response = client.post(url, _meeting_post("extend"), follow=True)
    html = response.content.decode()  # the overview: what the meeting allows next
    assert "Meeting recorded" in html and "agreed to extend the timescales" in html
    html = client.get(reverse("escalation:meetings", args=[case.pk])).content.decode()
    assert "<strong>Extend the timescales</strong>" in html and "Two more weeks for recruitment" in html
    assert Event.objects.get(kind="meeting_recorded").summary.endswith("recorded: extend the timescales")


def test_a_meeting_form_drawn_before_the_case_moved_is_refused(client):
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="jimp")  # the form was drawn at PPM; JIMP offers the same outcomes
    client.force_login(officer)
    response = client.post(reverse("escalation:meeting_create", args=[case.pk]),
                           _meeting_post("not_satisfactory", expected_level="ppm"), follow=True)
    assert "changed while you were looking at it" in response.content.decode()
    assert not CaseMeeting.objects.exists()


def test_the_service_refuses_an_outcome_of_another_level_and_a_meeting_before_the_level_was_reached():
    officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="qa")
    meeting = {"attendees": [{"name": "A", "agency": "B"}], "provider_attended": True, "minutes": "m"}
    with pytest.raises(ValidationError, match="Choose the outcome of the QA meeting"):
        services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY(), outcome="extend", **meeting)
    EscalationCase.objects.filter(pk=case.pk).update(opened_at=timezone.now() - 10 * DAY,
                                                     level_since=timezone.now() - 2 * DAY)
    with pytest.raises(ValidationError, match="record meetings held since then"):
        services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY() - 5 * DAY, outcome="resolved",
                                **meeting)
    assert not CaseMeeting.objects.exists()


def test_how_the_process_works_shows_the_meeting_conditions(client):
    client.force_login(UserFactory(roles=[roles.CONTRACT_OFFICER]))
    html = client.get(reverse("escalation:how_it_works")).content.decode()
    assert "The last QA meeting found the issues not resolved" in html
    assert "The last PPM found the improvement not satisfactory, or a step is skipped with a rationale" in html
    assert "The last meeting at this level found the issues resolved or the improvement satisfactory" in html


def test_the_move_records_the_meeting_that_allowed_it():
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="qa", owner=cqm)
    meeting = meeting_decided(case, "not_resolved")
    services.escalate_to_ppm(user=cqm, case_id=case.pk, reason="Not resolved")
    move = LadderMove.objects.get(case=case)
    assert (move.from_level, move.to_level, move.meeting, move.skip_rationale) == ("qa", "ppm", meeting, "")


# --- 2. the rationale for skipping a step is kept with the move and shown -----------------------------------------

def test_the_rationale_for_skipping_a_step_is_kept_with_the_move_and_shown(client):
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="qa", owner=cqm)
    rationale = "Medication errors led to a hospital admission"
    services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="Serious safeguarding", skip_rationale=rationale)
    move = LadderMove.objects.get(case=case)
    assert (move.from_level, move.to_level, move.skip_rationale, move.moved_by) == ("qa", "sosg", rationale, cqm)
    client.force_login(cqm)
    html = client.get(reverse("escalation:meetings", args=[case.pk])).content.decode()
    moves_table = html.split('id="ladder-moves"')[1].split("</table>")[0]
    assert f"Rationale for skipping a step:</strong> {rationale}" in moves_table
    timeline = client.get(reverse("escalation:timeline", args=[case.pk])).content.decode()
    assert f"Rationale for skipping a step: {rationale}" in timeline.split("Timeline</h2>")[-1]


def test_the_migration_rebuilds_moves_and_level_dates_from_the_audit_events():
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="sosg", owner=cqm)
    event = record(actor=cqm, obj=case, kind="case_escalated", summary="QA → SOSG",
                   changes={"level": ["qa", "sosg"], "transition": "escalate_to_sosg", "reason": "Closure",
                            "skip_rationale": "Provider closing"})
    migration = importlib.import_module("escalation.migrations.0005_meeting_outcomes_and_moves")
    migration.rebuild_from_audit(django_apps, None)
    move = LadderMove.objects.get(case=case)
    assert (move.skip_rationale, move.reason, move.moved_by, move.moved_at) == ("Provider closing", "Closure", cqm,
                                                                               event.at)
    assert EscalationCase.objects.get(pk=case.pk).level_since == event.at


# --- 3. extending Route 1 --------------------------------------------------------------------------------------

def _sprg(user, case, decision, **kw):
    return rs.record_sprg_decision(user=user, case_id=case.pk, decision=decision, meeting_date=TODAY(),
                                   members_present="Chair; Finance", notes="Discussed", **kw)


def test_extending_route_1_refuses_a_date_on_or_before_the_deadline_in_force(client):
    cqm, sprg = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", owner=cqm)
    _sprg(sprg, case, "agree_at_risk")
    row = Deadline.objects.get(case=case, kind=Deadline.Kind.ROUTE1_DECISION)
    later = row.due_date + 10 * DAY  # the CQM moved the deadline from the deadlines list
    deadline_services.extend_deadline(user=cqm, deadline_id=row.pk, new_due_date=later, reason="Provider asked")
    for refused in (later - 3 * DAY, later):
        with pytest.raises(ValidationError, match=f"after the current one, {long_date(later)}"):
            _sprg(sprg, case, "route1_extend", new_deadline=refused)
    client.force_login(sprg)
    today = TODAY()
    response = client.post(reverse("escalation:sprg_decision", args=[case.pk]), {
        "decision": "route1_extend", "meeting_date_0": today.day, "meeting_date_1": today.month,
        "meeting_date_2": today.year, "members_present-TOTAL_FORMS": "1", "members_present-INITIAL_FORMS": "0",
        "members_present-0-name": "Chair", "notes": "Partly complied", "expected_route": "at_risk",
        "new_deadline_0": later.day, "new_deadline_1": later.month, "new_deadline_2": later.year})
    html = response.content.decode()
    assert "govuk-error-summary" in html and f"after the current one, {long_date(later)}" in html
    assert Deadline.objects.get(pk=row.pk).due_date == later
    _sprg(sprg, case, "route1_extend", new_deadline=later + DAY)
    assert EscalationCase.objects.get(pk=case.pk).route_deadline == later + DAY


# --- 4. what an ended case says; the improvement plan's deadline ----------------------------------------------

def test_an_ended_case_shows_no_next_decision_due(client):
    cqm, sprg = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="sosg", owner=cqm, route="suspended", route_deadline=TODAY() + 20 * DAY)
    client.force_login(cqm)
    assert "next decision due" in client.get(case.get_absolute_url()).content.decode()
    _sprg(sprg, case, "provider_failed")
    case.refresh_from_db()
    assert case.route_deadline is None
    assert "next decision due" not in client.get(case.get_absolute_url()).content.decode()
    # A case ended before this change kept its date: the page still says nothing is due.
    EscalationCase.objects.filter(pk=case.pk).update(route_deadline=TODAY() + 20 * DAY)
    assert "next decision due" not in client.get(case.get_absolute_url()).content.decode()


def test_recording_the_improvement_plan_meets_its_deadline(client):
    cqm, sprg, officer = (UserFactory(roles=[r]) for r in (roles.CQM, roles.SPRG_MEMBER, roles.CONTRACT_OFFICER))
    case = CaseFactory(level="sosg", owner=cqm)
    _sprg(sprg, case, "agree_at_risk")
    # What delivering the at-risk letter starts (letters.services.record_delivery).
    deadline_services.schedule(key=f"improvement_plan:letter:{case.pk}", kind=Deadline.Kind.IMPROVEMENT_PLAN,
                               case=case, due_date=TODAY() + 7 * DAY)
    rs.create_improvement_plan(user=officer, case_id=case.pk, start_date=TODAY(), review_date=TODAY() + 28 * DAY)
    assert Deadline.objects.get(case=case, kind=Deadline.Kind.IMPROVEMENT_PLAN).status == Deadline.Status.MET
    client.force_login(cqm)
    html = client.get(case.get_absolute_url()).content.decode()
    row = html.split("Improvement plan co-produced")[1].split("</tr>")[0]
    assert "Met" in row and "Open" not in row


def test_delivering_the_at_risk_letter_after_the_plan_starts_no_deadline():
    from letters import services as letter_services

    cqm, sprg, officer = (UserFactory(roles=[r]) for r in (roles.CQM, roles.SPRG_MEMBER, roles.CONTRACT_OFFICER))
    case = CaseFactory(level="sosg", owner=cqm)
    _sprg(sprg, case, "agree_at_risk")
    rs.create_improvement_plan(user=officer, case_id=case.pk, start_date=TODAY(), review_date=TODAY() + 28 * DAY)
    letter = letter_services.create_draft(user=cqm, case_id=case.pk, kind="at_risk", addressee="Jo Bloggs\n1 High St",
                                          free_text="Medication errors.")
    letter = letter_services.issue_letter(user=cqm, letter_id=letter.pk)
    letter_services.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=TODAY())
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.IMPROVEMENT_PLAN,
                                       status__in=deadline_services.LIVE).exists()


# --- 5. the cases list shows the route beside the level ------------------------------------------------------

def test_the_cases_list_shows_the_route_in_words_with_a_flat_query_count(client, django_assert_max_num_queries):
    cqm = UserFactory(roles=[roles.CQM])
    client.force_login(cqm)
    CaseFactory(level="sosg", route="at_risk")
    client.get(reverse("escalation:list"))  # the session and roles are read once
    with CaptureQueriesContext(connection) as few:
        html = client.get(reverse("escalation:list")).content.decode()
    assert "Route 1: at risk of suspension" in html
    for route in ("suspended", "suspension_proposed", "none", "suspended", "lifting_endorsed", "oversight"):
        CaseFactory(level="sosg", route=route)
    with django_assert_max_num_queries(len(few)):
        html = client.get(reverse("escalation:list")).content.decode()
    assert html.count("Route 2: placements suspended") == 2
    assert "Route 2: suspension report awaiting DMT" in html and "Green: lifting awaiting sign-off" in html
    assert "Greater initial oversight" in html and "No suspension route" not in html


# --- 6. a case ended under the Provider Failure Policy is final ----------------------------------------------

def test_a_case_ended_under_the_provider_failure_policy_cannot_be_reopened(client):
    cqm = UserFactory(roles=[roles.CQM])
    failed = satisfy_conditions(CaseFactory(level="sosg", owner=cqm), verdict="escalate")
    services.refer_provider_failure(user=cqm, case_id=failed.pk, reason="Provider cannot continue")
    ended_on_route = CaseFactory(level="sosg", owner=cqm, route="provider_failure")
    closed = satisfy_conditions(CaseFactory(level="qa", owner=cqm))
    services.close_case(user=cqm, case_id=closed.pk, reason="Resolved")
    client.force_login(cqm)
    for case in (failed, ended_on_route):
        html = client.get(case.get_absolute_url()).content.decode()
        assert reverse("escalation:reopen", args=[case.pk]) not in html
        assert "ended under the Provider Failure Policy, so it cannot be reopened" in html
        response = client.get(reverse("escalation:reopen", args=[case.pk]), follow=True)
        assert response.redirect_chain and "cannot be reopened" in response.content.decode()
        with pytest.raises(ValidationError, match="cannot be reopened"):
            services.reopen_case(user=cqm, case_id=case.pk, level=Level.QA, reason="New concerns")
    assert EscalationCase.objects.count() == 3
    html = client.get(closed.get_absolute_url()).content.decode()
    assert reverse("escalation:reopen", args=[closed.pk]) in html
