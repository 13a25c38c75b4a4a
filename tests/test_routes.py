"""Suspension of placements (docs/process.md, section 4): the route state machine, segregation of duties, bad input."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from django_fsm_log.models import StateLog

from accounts import roles
from audit.models import Event
from audit.services import events_for
from escalation import route_services as rs
from escalation import services
from escalation.models import (
    DecisionReport,
    EscalationCase,
    PlanAction,
    Route,
    RouteNotification,
    SignOff,
    SprgDecision,
)
from providers.models import PlacementStatus
from tests.factories import CaseFactory, UserFactory, sprg

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def to_suspension_proposed(people, joint=False):
    case = CaseFactory(level="sosg", owner=people["cqm"], jointly_commissioned=joint)
    sprg(people, case, "agree_at_risk")
    sprg(people, case, "route1_not_complied")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend immediate suspension")
    case.refresh_from_db()
    return case


def to_suspended(people, joint=False):
    case = to_suspension_proposed(people, joint)
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    if joint:
        rs.sign_off(user=people["icb"], case_id=case.pk, capacity="icb", report_version=1)
    case.refresh_from_db()
    return case


def test_amber_route_sets_placement_status_at_risk_and_a_four_week_deadline(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    case.refresh_from_db()
    assert case.route == Route.AT_RISK
    assert case.route_deadline == TODAY() + datetime.timedelta(weeks=4)
    assert case.provider.placement_status == PlacementStatus.AT_RISK
    assert StateLog.objects.filter(object_id=str(case.pk), state="at_risk").get().by == people["sprg"]


def test_full_compliance_returns_to_monitoring_with_oversight(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    with pytest.raises(ValidationError):
        sprg(people, case, "route1_fully_complied")
    sprg(people, case, "route1_fully_complied", oversight_until=TODAY() + datetime.timedelta(days=90))
    case.refresh_from_db()
    assert case.route == Route.OVERSIGHT and case.provider.placement_status == PlacementStatus.OPEN


def test_extension_needs_a_later_date(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        sprg(people, case, "route1_extend", new_deadline=case.route_deadline)
    sprg(people, case, "route1_extend", new_deadline=case.route_deadline + datetime.timedelta(days=14))
    case.refresh_from_db()
    assert case.route == Route.AT_RISK


def test_route_2_without_route_1_needs_the_urgent_decision(people):
    case = CaseFactory(level="jimp", owner=people["cqm"])
    with pytest.raises(TransitionNotAllowed):
        sprg(people, case, "route1_not_complied")
    case.refresh_from_db()
    assert case.route == Route.NONE
    sprg(people, case, "urgent_route2")
    case.refresh_from_db()
    assert case.route == Route.SUSPENSION_PROPOSED


def test_suspension_needs_dmt_then_dass_and_icb_where_joint(people):
    case = to_suspension_proposed(people, joint=True)
    with pytest.raises(TransitionNotAllowed):  # DASS before DMT endorsement
        rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.SUSPENSION_ENDORSED  # the ICB co-signature is still needed
    assert case.provider.placement_status == PlacementStatus.AT_RISK
    rs.sign_off(user=people["icb"], case_id=case.pk, capacity="icb", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.SUSPENDED
    assert case.provider.placement_status == PlacementStatus.SUSPENDED
    signed = {(s.capacity, s.signed_by_id, s.report_version) for s in SignOff.objects.filter(report__case=case)}
    assert signed == {("dmt", people["dmt"].pk, 1), ("dass", people["dass"].pk, 1), ("icb", people["icb"].pk, 1)}
    assert RouteNotification.objects.filter(case=case, stage="suspension").count() == 5


def test_the_author_of_a_report_cannot_endorse_or_sign_it(people):
    author = UserFactory(roles=[roles.CQM, roles.DMT_MEMBER, roles.DASS, roles.ICB_COLLEAGUE])
    case = CaseFactory(level="sosg", owner=author, jointly_commissioned=True)
    sprg(people, case, "urgent_route2")
    rs.write_report(user=author, case_id=case.pk, body="Suspend")
    with pytest.raises(PermissionDenied, match="You wrote this report"):
        rs.record_dmt_decision(user=author, case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    for capacity in ("dass", "icb"):
        with pytest.raises(PermissionDenied, match="You wrote this report"):
            rs.sign_off(user=author, case_id=case.pk, capacity=capacity, report_version=1)
    assert SignOff.objects.filter(signed_by=author).count() == 0


def test_a_person_with_several_roles_cannot_sign_twice_on_one_decision(people):
    both = UserFactory(roles=[roles.DMT_MEMBER, roles.DASS, roles.ICB_COLLEAGUE])
    case = to_suspension_proposed(people, joint=True)
    rs.record_dmt_decision(user=both, case_id=case.pk, endorsed=True, rationale="", report_version=1)
    with pytest.raises(PermissionDenied, match="already signed"):
        rs.sign_off(user=both, case_id=case.pk, capacity="dass", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    with pytest.raises(ValidationError, match="already been signed in that capacity"):
        rs.sign_off(user=UserFactory(roles=[roles.DASS]), case_id=case.pk, capacity="dass", report_version=1)
    with pytest.raises(PermissionDenied, match="already signed"):
        rs.sign_off(user=both, case_id=case.pk, capacity="icb", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.SUSPENSION_ENDORSED


def test_sign_off_of_an_outdated_report_version_is_refused(people):
    case = to_suspension_proposed(people)
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Revised")
    with pytest.raises(services.StaleCase):
        rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=2)


def test_dmt_not_endorsing_returns_to_route_1(people):
    case = to_suspension_proposed(people)
    with pytest.raises(ValidationError):
        rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=False, rationale="", report_version=1)
    new = TODAY() + datetime.timedelta(days=21)
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=False, rationale="Give more time",
                           report_version=1, return_to="extend", new_deadline=new)
    case.refresh_from_db()
    assert case.route == Route.AT_RISK and case.route_deadline == new
    assert DecisionReport.objects.get(case=case).superseded


def test_green_route_with_conditions_and_open_areas_needs_a_reason(people):
    case = to_suspended(people)
    plan = rs.create_improvement_plan(user=people["officer"], case_id=case.pk, start_date=TODAY(),
                                      review_date=TODAY() + datetime.timedelta(days=28))
    services.add_action(user=people["officer"], plan_id=plan.pk, area_of_concern="Staffing", action="Recruit",
                        owner="provider", due_date=TODAY() + datetime.timedelta(days=7))
    sprg(people, case, "monthly_review")
    with pytest.raises(ValidationError, match="still open"):
        sprg(people, case, "sufficient_progress")
    sprg(people, case, "sufficient_progress", open_areas_reason="Recruitment agreed; start dates confirmed")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Recommend conditional lifting", conditional=True,
                    conditions=[{"condition": "Weekly staffing return",
                                 "review_date": TODAY() + datetime.timedelta(days=30)}],
                    oversight_until=TODAY() + datetime.timedelta(days=90))
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    case.refresh_from_db()
    assert case.route == Route.OVERSIGHT
    assert case.provider.placement_status == PlacementStatus.CONDITIONS
    assert case.oversight_until == TODAY() + datetime.timedelta(days=90)
    assert RouteNotification.objects.filter(case=case, stage="lifting").count() == 5
    assert PlanAction.objects.filter(plan=plan).count() == 1


def test_a_notification_cannot_be_marked_done_twice(people):
    case = to_suspended(people)
    item = RouteNotification.objects.filter(case=case).first()
    rs.mark_notification_done(user=people["officer"], notification_id=item.pk, note="Emailed")
    with pytest.raises(ValidationError, match="already marked"):
        rs.mark_notification_done(user=people["officer"], notification_id=item.pk, note="Again")
    item.refresh_from_db()
    assert item.note == "Emailed"


def test_provider_failure_ends_the_case_and_flags_the_provider(people):
    case = to_suspended(people)
    sprg(people, case, "provider_failed")
    case.refresh_from_db()
    assert case.route == Route.PROVIDER_FAILURE and not case.is_open
    assert case.provider.provider_failure_flagged_on == TODAY()
    with pytest.raises(TransitionNotAllowed):
        services.move_case(user=people["cqm"], case_id=case.pk, transition_name="step_down_to_jimp", reason="x")


def test_a_stale_sprg_form_is_refused(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    with pytest.raises(services.StaleCase):
        sprg(people, case, "urgent_route2", expected_route=Route.NONE)


# --- the route transition matrix ------------------------------------------------------------------------

def _prepare(people, route):
    """A case in `route` with what each next decision needs (a report, a DMT endorsement)."""
    case = CaseFactory(level="sosg", owner=people["cqm"])
    if route == Route.NONE:
        return case
    if route == Route.OVERSIGHT:
        sprg(people, case, "agree_at_risk")
        sprg(people, case, "route1_fully_complied", oversight_until=TODAY() + datetime.timedelta(days=30))
        return case
    if route == Route.AT_RISK:
        sprg(people, case, "agree_at_risk")
        return case
    case = to_suspension_proposed(people)
    if route == Route.SUSPENSION_PROPOSED:
        return case
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    if route == Route.SUSPENSION_ENDORSED:
        return case
    rs.sign_off(user=people["dass"], case_id=case.pk, capacity="dass", report_version=1)
    if route == Route.SUSPENDED:
        return case
    if route == Route.PROVIDER_FAILURE:
        sprg(people, case, "provider_failed")
        return case
    sprg(people, case, "sufficient_progress")
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Lift", conditional=False, conditions=[],
                    oversight_until=TODAY() + datetime.timedelta(days=60))
    if route == Route.LIFTING_PROPOSED:
        return case
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=True, rationale="", report_version=1)
    return case


def _later():
    return TODAY() + datetime.timedelta(days=100)


def _sprg_details(**extra):
    return lambda: {"meeting_date": TODAY(), "members_present": "Chair", "notes": "Decided", **extra}


# Each named decision service: (the routes it may start from, the role that takes it, the transition of the state
# machine it fires (None: a decision that keeps the route), what the process says the route is afterwards, its
# details). Written out here independently of escalation.models; the test checks the state machine agrees.
DECISIONS = {
    "agree_at_risk": ({"none", "oversight"}, roles.SPRG_MEMBER, "agree_at_risk", "at_risk", _sprg_details()),
    "record_full_compliance": ({"at_risk"}, roles.SPRG_MEMBER, "route1_fully_complied", "oversight",
                               lambda: _sprg_details(oversight_until=_later())()),
    "extend_route1_deadline": ({"at_risk"}, roles.SPRG_MEMBER, "route1_extend", "at_risk",
                               lambda: _sprg_details(new_deadline=_later())()),
    "record_non_compliance": ({"at_risk"}, roles.SPRG_MEMBER, "route1_not_complied", "suspension_proposed",
                              _sprg_details()),
    "go_straight_to_route2": ({"none", "oversight"}, roles.SPRG_MEMBER, "urgent_route2", "suspension_proposed",
                              _sprg_details()),
    "record_monthly_review": ({"suspended"}, roles.SPRG_MEMBER, None, "suspended", _sprg_details()),
    "record_sufficient_progress": ({"suspended"}, roles.SPRG_MEMBER, "sufficient_progress", "lifting_proposed",
                                   lambda: _sprg_details(open_areas_reason="n/a")()),
    "record_provider_failure": ({"suspended"}, roles.SPRG_MEMBER, "provider_failed", "provider_failure",
                                _sprg_details()),
    "endorse_suspension_report": ({"suspension_proposed"}, roles.DMT_MEMBER, "dmt_endorse_suspension",
                                  "suspension_endorsed", lambda: {"report_version": None, "rationale": "Because"}),
    "decline_suspension_report": ({"suspension_proposed"}, roles.DMT_MEMBER, "dmt_decline_suspension", "at_risk",
                                  lambda: {"report_version": None, "rationale": "Because", "return_to": "restart"}),
    "endorse_lifting_report": ({"lifting_proposed"}, roles.DMT_MEMBER, "dmt_endorse_lifting", "lifting_endorsed",
                               lambda: {"report_version": None, "rationale": "Because"}),
    "decline_lifting_report": ({"lifting_proposed"}, roles.DMT_MEMBER, "dmt_decline_lifting", "suspended",
                               lambda: {"report_version": None, "rationale": "Because"}),
    "sign_off_suspension": ({"suspension_endorsed"}, roles.DASS, "suspend", "suspended",
                            lambda: {"capacity": "dass", "report_version": None}),
    "sign_off_lifting": ({"lifting_endorsed"}, roles.DASS, "lift", "oversight",
                         lambda: {"capacity": "dass", "report_version": None}),
}
# Decisions that change the provider's register entry (placement status, or the Provider Failure Policy flag).
CHANGES_PROVIDER = {"agree_at_risk", "record_full_compliance", "record_provider_failure", "sign_off_suspension",
                    "sign_off_lifting"}


def declared_route_targets() -> dict:
    """{(transition name, source): target} as the state machine declares them (django-fsm transition metadata)."""
    return {(t.name, t.source): t.target for t in EscalationCase().get_all_route_transitions()}


def test_every_route_transition_has_its_decision_service():
    fired = {name for _s, _r, name, _t, _d in DECISIONS.values() if name}
    assert fired == {name for name, _source in declared_route_targets()}
    for sources, _role, name, target, _details in DECISIONS.values():
        if name:
            assert {declared_route_targets()[(name, source)] for source in sources} == {target}
            assert sources == {s for n, s in declared_route_targets() if n == name}
    assert all(callable(getattr(rs, service)) for service in DECISIONS)


def _snapshot(case):
    case.refresh_from_db()
    case.provider.refresh_from_db()
    return (case.route, case.route_deadline, case.closed_at, case.provider.placement_status,
            case.provider.provider_failure_flagged_on, events_for(case).count(), events_for(case.provider).count(),
            Event.objects.count(), StateLog.objects.count(), SignOff.objects.count(), SprgDecision.objects.count())


@pytest.mark.parametrize("route", [c for c, _ in Route.choices])
@pytest.mark.parametrize("action", sorted(DECISIONS))
def test_route_transition_matrix(people, action, route, django_capture_on_commit_callbacks):
    """Every decision service from every route state, as every role and no role. The refused attempts go first,
    each on the same case, and must change nothing; then the one role that may decide, where it may."""
    sources, decider, name, target, details = DECISIONS[action]
    case = _prepare(people, route)
    service = getattr(rs, action)
    for role in [*[r for r in roles.ALL_ROLES if r != decider], None, decider]:
        user = UserFactory(roles=[role] if role else [])
        before = _snapshot(case)
        allowed = route in sources and role == decider
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            try:
                service(user=user, case_id=case.pk, **details())
            except (PermissionDenied, TransitionNotAllowed, ValidationError):
                refused = True
            else:
                refused = False
        after = _snapshot(case)
        if not allowed:
            assert refused, (action, route, role)
            assert after == before, (action, route, role)
            assert callbacks == [], (action, route, role)
            continue
        assert not refused, (action, route, role)
        assert case.route == target, (action, route)
        if name:
            assert declared_route_targets()[(name, route)] == case.route
        assert after[5] == before[5] + 1 and len(callbacks) == 1  # one event on the case, one notification queued
        assert after[8] == before[8] + (1 if name else 0)  # django-fsm-log: one entry per transition
        assert after[6] == before[6] + (1 if action in CHANGES_PROVIDER else 0)  # the provider's own history


def test_placement_status_page_csv_and_json(client, people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    client.force_login(people["officer"])
    html = client.get("/cases/placement-status/").content.decode()
    assert case.provider.name in html and "At risk of suspension" in html
    csv_text = client.get("/cases/placement-status.csv").content.decode()
    assert csv_text.splitlines()[0].startswith("provider,cqc_location_id")
    assert case.provider.cqc_location_id in csv_text
    data = client.get("/cases/placement-status.json").json()
    assert data["providers"][0]["placement_status"] == "at_risk"
    assert data["providers"][0]["case"] == case.reference
    client.logout()
    assert client.get("/cases/placement-status.json").status_code == 302  # authenticated only


def test_case_page_shows_route_actions_by_role(client, people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    client.force_login(people["sprg"])
    assert "Record an SPRG decision" in client.get(case.get_absolute_url()).content.decode()
    client.force_login(people["officer"])
    assert "Record an SPRG decision" not in client.get(case.get_absolute_url()).content.decode()
    response = client.post(f"/cases/{case.pk}/sprg-decision/", {"decision": "agree_at_risk"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.route == Route.NONE


def test_a_route_1_deadline_set_when_agreeing_at_risk_must_be_after_the_meeting_and_not_past(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    for bad in (TODAY() - datetime.timedelta(days=1), TODAY()):
        with pytest.raises(ValidationError, match="after the SPRG meeting and not in the past"):
            sprg(people, case, "agree_at_risk", new_deadline=bad)
    case.refresh_from_db()
    assert case.route == Route.NONE and not SprgDecision.objects.filter(case=case).exists()
    sprg(people, case, "agree_at_risk", new_deadline=TODAY() + datetime.timedelta(weeks=6))
    case.refresh_from_db()
    assert case.route == Route.AT_RISK and case.route_deadline == TODAY() + datetime.timedelta(weeks=6)
