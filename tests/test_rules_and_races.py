"""Each rule in one place, refused by the service (not only hidden by the page), and every service that changes a
plan, an action or a meeting date checked against a conflicting change made at the same moment.

The race tests run on PostgreSQL with two threads, each with its own connection. A barrier starts them together;
the second waits a moment so that the first already holds the case (or concern) row lock, and the first is slowed
down inside its transaction (its audit record waits) so the second arrives while the first has written but not
committed. Whatever the order, the final state must be consistent and no database error may escape."""

import datetime
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts import roles
from audit.models import Event
from concerns import services as concern_services
from concerns.models import Concern, JqmmMeeting, SafeguardingAdvice
from deadlines.models import Deadline
from deadlines.services import LIVE
from escalation import route_services, services
from escalation import selectors as case_selectors
from escalation.models import ActionPlan, CaseMeeting, EscalationCase, Level, PlanAction, ProgressNote, Route
from home import selectors as home_selectors
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, satisfy_conditions

TODAY = timezone.localdate
DAY = datetime.timedelta(days=1)


# --- one place per rule -----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_open_case_is_one_rule_for_objects_querysets_and_the_database():
    """case.is_open, EscalationCase.objects.open()/closed() agree for every level and route."""
    owner = UserFactory(roles=[roles.CQM])
    for level in Level.values:
        for route in Route.values:
            case = CaseFactory(level=level, route=route, owner=owner, provider=ProviderFactory())
            in_open = EscalationCase.objects.open().filter(pk=case.pk).exists()
            in_closed = EscalationCase.objects.closed().filter(pk=case.pk).exists()
            assert case.is_open == in_open != in_closed, (level, route)
            assert case.is_open == (level in ("qa", "ppm", "jimp", "sosg") and route != "provider_failure")


@pytest.mark.django_db
def test_open_concern_is_one_rule_and_further_action_is_open_until_it_closes():
    for state in Concern.State.values:
        concern = ConcernFactory(state=state)
        in_open = Concern.objects.open().filter(pk=concern.pk).exists()
        in_closed = Concern.objects.closed().filter(pk=concern.pk).exists()
        assert concern.is_open == in_open != in_closed, state
        assert concern.is_open == (state not in (Concern.State.NO_FURTHER_ACTION, Concern.State.CLOSED))


@pytest.mark.django_db
def test_pages_count_and_list_open_cases_and_concerns_by_the_one_rule(client, cqm):
    provider = ProviderFactory(name="Rule Check House")
    for state in Concern.State.values:
        ConcernFactory(provider=provider, state=state, logged_by=cqm)
    ended = CaseFactory(provider=provider, level="sosg", route="provider_failure", owner=cqm)
    current = CaseFactory(provider=provider, level="ppm", owner=cqm)

    # Provider list: four open concerns (further action counts), the closed one does not.
    assert home_selectors.provider_search("Rule Check House").get().open_concerns == 4
    assert home_selectors.provider_search("").get(pk=provider.pk).open_concerns == 4
    assert home_selectors.provider_search("").get(pk=ProviderFactory().pk).open_concerns == 0
    # Case list: a case ended through the suspension route is not open.
    assert set(case_selectors.open_cases()) == {current}
    # Home page: a further-action concern with no risk assessment still waits for one (a concern waiting for
    # advice or routing is listed there instead).
    home = home_selectors.home_for(cqm)
    waiting = {c.state for c in home["awaiting_assessment"]}
    assert waiting == {Concern.State.ON_JQMM_AGENDA, Concern.State.FURTHER_ACTION}
    assert {c.state for c in home["logged_by_me"]} == set(Concern.OPEN_STATES)

    client.force_login(cqm)
    response = client.get(reverse("providers:detail", args=[provider.pk]))
    assert response.context["open_case"] == current
    assert list(response.context["past_cases"]) == [ended]
    assert {c.state for c in response.context["open_concerns"]} == set(Concern.OPEN_STATES)
    assert {c.state for c in response.context["closed_concerns"]} == {Concern.State.NO_FURTHER_ACTION,
                                                                      Concern.State.CLOSED}


@pytest.mark.django_db
def test_a_case_ended_through_the_route_does_not_block_a_new_case(cqm):
    provider = ProviderFactory()
    CaseFactory(provider=provider, level="sosg", route="provider_failure", owner=cqm)
    case = services.open_case(user=cqm, provider_id=provider.pk, level="qa", rationale="Provider under new owners")
    assert case.is_open
    with pytest.raises(ValidationError, match="already has an open escalation case"):
        services.open_case(user=cqm, provider_id=provider.pk, level="qa", rationale="Again")


# --- refused by the service, not only hidden by the page ------------------------------------------------------------

def _case_with_plan(owner, level="ppm"):
    case = CaseFactory(level=level, owner=owner, provider=ProviderFactory())
    plan = services.create_plan(user=owner, case_id=case.pk, kind="cap", start_date=TODAY(),
                                review_date=TODAY() + 28 * DAY)
    return case, plan


def _add_action(user, plan, due_date=None, area="Staffing"):
    return services.add_action(user=user, plan_id=plan.pk, area_of_concern=area, action="Recruit night staff",
                               owner="provider", due_date=due_date or TODAY() + 14 * DAY)


@pytest.mark.django_db
def test_a_plan_from_an_earlier_level_takes_no_new_actions(cqm):
    case, old_plan = _case_with_plan(cqm)
    satisfy_conditions(case, verdict="escalate")
    services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_jimp", reason="Not improving")
    with pytest.raises(ValidationError, match="belongs to an earlier level"):
        _add_action(cqm, old_plan)
    assert not PlanAction.objects.filter(plan=old_plan).exists()
    assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_ACTION).exists()
    new_plan = services.create_plan(user=cqm, case_id=case.pk, kind="dap", start_date=TODAY(),
                                    review_date=TODAY() + 28 * DAY)
    assert new_plan.level == "jimp"
    assert _add_action(cqm, new_plan).plan == new_plan


@pytest.mark.django_db
def test_the_improvement_plan_keeps_taking_actions_after_the_ladder_moves(cqm):
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm, provider=ProviderFactory())
    plan = route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=TODAY(),
                                                  review_date=TODAY() + 28 * DAY)
    satisfy_conditions(case, verdict="escalate")
    services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_jimp", reason="Not improving")
    assert _add_action(cqm, plan).plan == plan


@pytest.mark.django_db
def test_create_plan_refuses_the_improvement_plan_kind(cqm):
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)
    with pytest.raises(ValidationError, match="improvement plan is recorded from the suspension route"):
        services.create_plan(user=cqm, case_id=case.pk, kind="improvement", start_date=TODAY(),
                             review_date=TODAY() + 28 * DAY)
    with pytest.raises(ValidationError, match="Choose a Developmental Action Plan"):
        services.create_plan(user=cqm, case_id=case.pk, kind="anything", start_date=TODAY(),
                             review_date=TODAY() + 28 * DAY)
    assert not ActionPlan.objects.exists() and not Deadline.objects.exists()


@pytest.mark.django_db
def test_choosing_the_improvement_plan_on_the_dap_cap_form_is_explained_on_the_page(client, cqm):
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)
    client.force_login(cqm)
    today = TODAY()
    response = client.post(reverse("escalation:plan_create", args=[case.pk]), {
        "kind": "improvement", "start_date_0": today.day, "start_date_1": today.month, "start_date_2": today.year,
        "review_date_0": today.day, "review_date_1": today.month, "review_date_2": today.year + 1})
    assert response.status_code == 200
    html = response.content.decode()
    # Refused by the service; or by the form, once it offers only DAP and CAP.
    assert "An improvement plan is recorded from the suspension route" in html or "Select a valid choice" in html
    assert "govuk-error-summary" in html
    assert not ActionPlan.objects.filter(case=case).exists()


@pytest.mark.django_db
def test_a_performance_review_is_of_a_dap_or_cap_only(cqm):
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)
    plan = route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=TODAY(),
                                                  review_date=TODAY() + 28 * DAY)
    with pytest.raises(ValidationError, match="A performance review is of a DAP or CAP"):
        services.record_review(user=cqm, plan_id=plan.pk, review_date=TODAY(), verdict="satisfactory", notes="n")
    assert not plan.reviews.exists()


@pytest.mark.django_db
def test_the_route_service_records_one_improvement_plan(cqm):
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)
    route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=TODAY(),
                                           review_date=TODAY() + 28 * DAY)
    with pytest.raises(ValidationError, match="already has an improvement plan"):
        route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=TODAY(),
                                               review_date=TODAY() + 30 * DAY)
    assert ActionPlan.objects.filter(case=case, kind="improvement").count() == 1
    assert Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_REVIEW).count() == 1


@pytest.mark.django_db
def test_advice_and_risk_assessment_are_refused_on_a_closed_concern(officer, safeguarding_lead):
    concern = ConcernFactory(state=Concern.State.NO_FURTHER_ACTION, logged_by=officer)
    with pytest.raises(ValidationError, match="closed with no further action"):
        concern_services.record_safeguarding_advice(user=safeguarding_lead, concern_id=concern.pk, adviser="A",
                                                    advised_on=TODAY(), advice="Advice")
    with pytest.raises(ValidationError, match="closed with no further action"):
        concern_services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=2, impact=2,
                                                level=None)
    with pytest.raises(ValidationError, match="closed with no further action"):
        concern_services.start_same_day_monitoring(user=officer, concern_id=concern.pk, monitoring_date=TODAY(),
                                                   carried_out_by="CQT", note="n")
    assert not concern.advice.exists() and not concern.risk_assessments.exists() and not concern.monitoring.exists()
    assert not Event.objects.filter(kind__in=["safeguarding_advice_recorded", "risk_assessed"]).exists()
    # Still open once sent to further action: assessments are what the escalation case is opened from.
    open_one = ConcernFactory(state=Concern.State.FURTHER_ACTION, logged_by=officer)
    concern_services.record_risk_assessment(user=officer, concern_id=open_one.pk, engagement=2, impact=2, level=None)
    concern_services.record_safeguarding_advice(user=safeguarding_lead, concern_id=open_one.pk, adviser="A",
                                                advised_on=TODAY(), advice="Advice")


@pytest.mark.django_db
def test_posting_advice_or_an_assessment_to_a_closed_concern_explains_on_the_page(client, officer):
    concern = ConcernFactory(state=Concern.State.NO_FURTHER_ACTION, logged_by=officer)
    client.force_login(officer)
    response = client.post(reverse("concerns:advice", args=[concern.pk]),
                           {"adviser": "A", "advised_on_0": TODAY().day, "advised_on_1": TODAY().month,
                            "advised_on_2": TODAY().year, "advice": "x"})
    assert response.status_code == 200
    assert "closed with no further action" in response.content.decode()
    response = client.post(reverse("concerns:assess", args=[concern.pk]),
                           {"engagement": "2", "impact": "2", "level": "", "action": "save"})
    assert response.status_code == 200
    assert "closed with no further action" in response.content.decode()
    assert not SafeguardingAdvice.objects.exists() and not concern.risk_assessments.exists()


@pytest.mark.django_db
def test_an_unchanged_due_date_is_read_after_the_lock_and_named_when_it_moved(cqm):
    case, plan = _case_with_plan(cqm)
    item = _add_action(cqm, plan, due_date=TODAY() + 10 * DAY)
    services.update_action(user=cqm, action_id=item.pk, status="not_started", evidence="", due_date=TODAY() + 20 * DAY,
                           reason="Agreed with the provider")
    with pytest.raises(ValidationError, match="Enter why the due date is changing") as err:
        services.update_action(user=cqm, action_id=item.pk, status="in_progress", evidence="",
                               due_date=TODAY() + 10 * DAY)
    assert f"{TODAY() + 20 * DAY:%-d %B %Y}" in str(err.value)


# --- races ------------------------------------------------------------------------------------------------------

HOLD = 0.6  # seconds the first thread keeps its transaction open after writing
STAGGER = 0.2  # the second thread starts this long after the first


def _need_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")


@pytest.fixture
def slow_first(monkeypatch):
    """The thread named 'first' waits inside its transaction, just before its audit record."""
    from audit import services as audit_services

    original = audit_services.record

    def record(**kwargs):
        if threading.current_thread().name == "first":
            time.sleep(HOLD)
        return original(**kwargs)

    for module in (services, route_services, concern_services):
        monkeypatch.setattr(module, "record", record)


def race(first, second) -> dict:
    """Run `first` and `second` at (nearly) the same moment, each on its own connection. Returns
    {"first": result or exception, "second": ...}. Anything else than a plain refusal is re-raised by the caller's
    asserts (an IntegrityError would show up here as the outcome)."""
    barrier, outcome = threading.Barrier(2), {}

    def run(name, action):
        try:
            barrier.wait(timeout=10)
            if name == "second":
                time.sleep(STAGGER)
            outcome[name] = action()
        except Exception as exc:  # noqa: BLE001 - the test inspects what came out
            outcome[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, name=name, args=(name, action))
               for name, action in (("first", first), ("second", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert set(outcome) == {"first", "second"}, "a thread did not finish"
    return outcome


def _ok(value):
    assert not isinstance(value, Exception), repr(value)
    return value


def _refused(value, kind, match=""):
    assert isinstance(value, kind), repr(value)
    assert match in str(value)


def _live(case, kind):
    return Deadline.objects.filter(case=case, kind=kind, status__in=LIVE)


def _closable_case(owner):
    """A PPM case whose DAP/CAP review found improvement satisfactory: it can be closed."""
    return satisfy_conditions(CaseFactory(level="ppm", owner=owner, provider=ProviderFactory()))


def _close(user, case):
    return lambda: services.move_case(user=user, case_id=case.pk, transition_name="close", reason="Resolved")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closing_first", [True, False])
def test_race_create_plan_against_closing_the_case(slow_first, closing_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = _closable_case(cqm)
    plans_before = ActionPlan.objects.filter(case=case).count()
    close = _close(cqm, case)

    def create():
        return services.create_plan(user=officer, case_id=case.pk, kind="dap", start_date=TODAY(),
                                    review_date=TODAY() + 28 * DAY)

    out = race(close, create) if closing_first else race(create, close)
    case.refresh_from_db()
    assert case.level == Level.CLOSED and not case.is_open
    assert not Deadline.objects.filter(case=case, status__in=LIVE).exists()  # nothing left running on a closed case
    if closing_first:
        _refused(out["second"], PermissionDenied, "case has ended")
        assert ActionPlan.objects.filter(case=case).count() == plans_before
    else:
        plan = _ok(out["first"])
        assert plan.level == "ppm"
        assert Deadline.objects.get(key__startswith=f"plan_review:{plan.pk}:").status == Deadline.Status.WAIVED


@pytest.mark.django_db(transaction=True)
def test_race_two_plans_at_once_each_get_their_own_review_deadline(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="jimp", owner=cqm)

    def create(user, days):
        return lambda: services.create_plan(user=user, case_id=case.pk, kind="cap", start_date=TODAY(),
                                            review_date=TODAY() + days * DAY)

    out = race(create(cqm, 20), create(officer, 30))
    for plan in (_ok(out["first"]), _ok(out["second"])):
        assert plan.level == "jimp"
        assert Deadline.objects.get(key__startswith=f"plan_review:{plan.pk}:").due_date == plan.review_date


def _ppm_case_ready_to_escalate():
    """A PPM case whose CAP was reviewed "escalate", and the CQM's move to JIMP, for racing against plan changes."""
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = satisfy_conditions(CaseFactory(level="ppm", owner=cqm, provider=ProviderFactory()), verdict="escalate")
    plan = ActionPlan.objects.get(case=case)

    def escalate():
        return services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_jimp", reason="No change")

    return cqm, officer, case, plan, escalate


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("escalating_first", [True, False])
def test_race_add_action_against_escalating_past_the_plan(slow_first, escalating_first):
    cqm, officer, case, plan, escalate = _ppm_case_ready_to_escalate()

    def add():
        return _add_action(officer, plan)

    out = race(escalate, add) if escalating_first else race(add, escalate)
    case.refresh_from_db()
    assert case.level == "jimp"
    if escalating_first:
        _ok(out["first"])
        _refused(out["second"], ValidationError, "belongs to an earlier level")
        assert not plan.actions.exists()
        assert not Deadline.objects.filter(case=case, kind=Deadline.Kind.PLAN_ACTION).exists()
    else:
        item = _ok(out["first"])
        _ok(out["second"])
        assert Deadline.objects.get(key__startswith=f"action:{item.pk}:").due_date == item.due_date


@pytest.mark.django_db(transaction=True)
def test_race_a_status_change_does_not_revert_a_due_date_moved_at_the_same_moment(slow_first):
    """The person changing the status saw the old due date; it was moved while they typed. Before the case was
    locked first, their save put the old date back while the deadline kept the new one."""
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case, plan = _case_with_plan(cqm)
    old, new = TODAY() + 10 * DAY, TODAY() + 40 * DAY
    item = _add_action(cqm, plan, due_date=old)

    out = race(
        lambda: services.update_action(user=cqm, action_id=item.pk, status="not_started", evidence="",
                                       due_date=new, reason="Provider asked for more time"),
        lambda: services.update_action(user=officer, action_id=item.pk, status="in_progress", evidence="Rota seen",
                                       due_date=old))
    _ok(out["first"])
    _refused(out["second"], ValidationError, "Enter why the due date is changing")
    item.refresh_from_db()
    assert item.due_date == new and item.status == "not_started"
    assert _live(case, Deadline.Kind.PLAN_ACTION).get().due_date == item.due_date


@pytest.mark.django_db(transaction=True)
def test_race_two_due_date_changes_leave_the_deadline_with_the_action(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case, plan = _case_with_plan(cqm)
    start, first_date, second_date = TODAY() + 10 * DAY, TODAY() + 20 * DAY, TODAY() + 30 * DAY
    item = _add_action(cqm, plan, due_date=start)

    def move(user, day, status):
        return lambda: services.update_action(user=user, action_id=item.pk, status=status, evidence="",
                                              due_date=day, reason=f"Moved to {day}")

    out = race(move(cqm, first_date, "not_started"), move(officer, second_date, "in_progress"))
    _ok(out["first"])
    _ok(out["second"])
    item.refresh_from_db()
    assert item.due_date == second_date and item.status == "in_progress"
    assert _live(case, Deadline.Kind.PLAN_ACTION).get().due_date == item.due_date
    changes = [e.changes["due_date"] for e in Event.objects.filter(kind="plan_action_updated").order_by("at", "id")]
    # The second change started from the first one's date, not from the date it saw before the lock.
    assert changes == [[start.isoformat(), first_date.isoformat()], [first_date.isoformat(), second_date.isoformat()]]


@pytest.mark.django_db(transaction=True)
def test_race_completing_an_action_while_its_date_moves_leaves_no_live_deadline(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case, plan = _case_with_plan(cqm)
    item = _add_action(cqm, plan, due_date=TODAY() + 10 * DAY)
    new = TODAY() + 25 * DAY

    out = race(
        lambda: services.update_action(user=cqm, action_id=item.pk, status="not_started", evidence="",
                                       due_date=new, reason="More time"),
        lambda: services.update_action(user=officer, action_id=item.pk, status="complete", evidence="Done",
                                       due_date=new, reason="Done early"))
    _ok(out["first"])
    _ok(out["second"])
    item.refresh_from_db()
    assert item.status == "complete" and item.due_date == new
    assert not _live(case, Deadline.Kind.PLAN_ACTION).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closing_first", [True, False])
def test_race_progress_note_against_closing_the_case(slow_first, closing_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = _closable_case(cqm)
    item = _add_action(cqm, ActionPlan.objects.get(case=case))
    note = lambda: services.add_progress_note(user=officer, action_id=item.pk, note="Two staff recruited")  # noqa: E731

    out = race(_close(cqm, case), note) if closing_first else race(note, _close(cqm, case))
    case.refresh_from_db()
    assert case.level == Level.CLOSED
    if closing_first:
        _refused(out["second"], PermissionDenied)
        assert not ProgressNote.objects.exists()
    else:
        entry = _ok(out["first"])
        assert entry.written_at <= case.closed_at


@pytest.mark.django_db(transaction=True)
def test_race_two_reviews_moving_the_review_date(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case, plan = _case_with_plan(cqm)
    original = plan.review_date
    first_date, second_date = TODAY() + 35 * DAY, TODAY() + 50 * DAY

    def review(user, day):
        return lambda: services.record_review(user=user, plan_id=plan.pk, review_date=TODAY(),
                                              verdict="review_timescales", notes="New timescales",
                                              new_review_date=day)

    out = race(review(cqm, first_date), review(officer, second_date))
    _ok(out["first"])
    _ok(out["second"])
    plan.refresh_from_db()
    assert plan.review_date == second_date
    live = Deadline.objects.filter(key__startswith=f"plan_review:{plan.pk}:", status__in=LIVE)
    assert [d.due_date for d in live] == [plan.review_date]
    moved = [e.changes["plan_review_date"]
             for e in Event.objects.filter(kind="performance_review_recorded").order_by("at", "id")]
    assert moved == [[original.isoformat(), first_date.isoformat()], [first_date.isoformat(), second_date.isoformat()]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("escalating_first", [True, False])
def test_race_review_against_escalating_past_the_plan(slow_first, escalating_first):
    cqm, officer, case, plan, escalate = _ppm_case_ready_to_escalate()

    def review():
        return services.record_review(user=officer, plan_id=plan.pk, review_date=TODAY(), verdict="review_timescales",
                                      notes="More time", new_review_date=TODAY() + 40 * DAY)

    out = race(escalate, review) if escalating_first else race(review, escalate)
    case.refresh_from_db()
    plan.refresh_from_db()
    assert case.level == "jimp"
    if escalating_first:
        _refused(out["second"], ValidationError, "earlier level")
        assert plan.reviews.count() == 1  # the one satisfy_conditions made
    else:
        _ok(out["first"])
        assert plan.review_date == TODAY() + 40 * DAY
    assert all(d.due_date == plan.review_date
               for d in Deadline.objects.filter(key__startswith=f"plan_review:{plan.pk}:", status__in=LIVE))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("closing_first", [True, False])
def test_race_record_meeting_against_closing_the_case(slow_first, closing_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = _closable_case(cqm)
    meetings_before = CaseMeeting.objects.filter(case=case).count()

    def meeting():
        return services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY(),
                                       attendees=[{"name": "A", "agency": "Council"}], provider_attended=True,
                                       minutes="Minutes", outcome="satisfactory")

    out = race(_close(cqm, case), meeting) if closing_first else race(meeting, _close(cqm, case))
    case.refresh_from_db()
    assert case.level == Level.CLOSED
    if closing_first:
        _refused(out["second"], PermissionDenied, "case has ended")
        assert CaseMeeting.objects.filter(case=case).count() == meetings_before
    else:
        recorded = _ok(out["first"])
        assert recorded.level == "ppm" and recorded.recorded_at <= case.closed_at
    assert all(m.recorded_at <= case.closed_at for m in CaseMeeting.objects.filter(case=case))


@pytest.mark.django_db(transaction=True)
def test_race_meeting_and_escalation_agree_on_the_level(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm, provider=ProviderFactory()), verdict="escalate")

    out = race(
        lambda: services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_ppm", reason="Unresolved"),
        lambda: services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY(),
                                        attendees=[{"name": "A", "agency": "Council"}], provider_attended=False,
                                        minutes="First PPM", outcome="extend", outcome_notes="CAP agreed"))
    _ok(out["first"])
    assert _ok(out["second"]).level == "ppm"  # recorded after the move, at the level the case is at


@pytest.mark.django_db(transaction=True)
def test_race_two_cqms_schedule_a_jqmm_on_the_same_date(slow_first):
    _need_postgres()
    first, second = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CQM])
    day = TODAY() + 10 * DAY

    out = race(lambda: concern_services.schedule_jqmm(user=first, meeting_date=day, location="Town Hall"),
               lambda: concern_services.schedule_jqmm(user=second, meeting_date=day, location="Civic Centre"))
    assert _ok(out["first"]).meeting_date == day
    _refused(out["second"], ValidationError, "already scheduled on that date")
    assert JqmmMeeting.objects.filter(meeting_date=day).count() == 1
    assert Event.objects.filter(kind="jqmm_scheduled").count() == 1


@pytest.mark.django_db(transaction=True)
def test_race_two_people_record_the_improvement_plan(slow_first):
    _need_postgres()
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)

    def create(user, days):
        return lambda: route_services.create_improvement_plan(user=user, case_id=case.pk, start_date=TODAY(),
                                                              review_date=TODAY() + days * DAY)

    out = race(create(cqm, 28), create(officer, 35))
    plan = _ok(out["first"])
    _refused(out["second"], ValidationError, "already has an improvement plan")
    assert list(ActionPlan.objects.filter(case=case, kind="improvement")) == [plan]
    assert [d.due_date for d in _live(case, Deadline.Kind.PLAN_REVIEW)] == [plan.review_date]


@pytest.mark.django_db(transaction=True)
def test_race_improvement_plan_against_the_route_ending(slow_first):
    """The SPRG finds the plan fully complied with (route back to oversight) while someone records the plan."""
    _need_postgres()
    cqm, sprg = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm", route="at_risk", owner=cqm)

    out = race(
        lambda: route_services.record_sprg_decision(user=sprg, case_id=case.pk, decision="route1_fully_complied",
                                                    meeting_date=TODAY(), members_present="Chair", notes="Complied",
                                                    oversight_until=TODAY() + 90 * DAY),
        lambda: route_services.create_improvement_plan(user=cqm, case_id=case.pk, start_date=TODAY(),
                                                       review_date=TODAY() + 28 * DAY))
    _ok(out["first"])
    _refused(out["second"], ValidationError, "running suspension route")
    assert not ActionPlan.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("service", ["advice", "assessment"])
def test_race_advice_or_assessment_against_closing_the_concern(slow_first, service):
    """The JQMM chair closes the concern with no further action while someone records advice or an assessment."""
    _need_postgres()
    cqm = UserFactory(roles=[roles.CQM])
    lead = UserFactory(roles=[roles.SAFEGUARDING_LEAD])
    meeting = JqmmMeeting.objects.create(meeting_date=TODAY(), created_by=cqm)
    concern = ConcernFactory(state=Concern.State.ON_JQMM_AGENDA, jqmm=meeting, logged_by=cqm)

    def close():
        return concern_services.record_jqmm_outcome(user=cqm, concern_id=concern.pk, further_action=False,
                                                    notes="Resolved at the meeting")

    def record():
        if service == "advice":
            return concern_services.record_safeguarding_advice(user=lead, concern_id=concern.pk, adviser="Team",
                                                               advised_on=TODAY(), advice="No referral needed")
        return concern_services.record_risk_assessment(user=cqm, concern_id=concern.pk, engagement=1, impact=1,
                                                       level=None)

    out = race(close, record)
    _ok(out["first"])
    _refused(out["second"], ValidationError, "closed with no further action")
    concern.refresh_from_db()
    assert concern.state == Concern.State.NO_FURTHER_ACTION
    assert not concern.advice.exists() and not concern.risk_assessments.exists()


@pytest.mark.django_db(transaction=True)
def test_race_closing_refusal_is_a_plain_message_not_a_database_error(slow_first):
    """Two CQMs close the same case at once: one wins, the other is refused in words."""
    _need_postgres()
    first, second = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CQM])
    case = _closable_case(first)
    out = race(_close(first, case), _close(second, case))
    _ok(out["first"])
    assert isinstance(out["second"], (TransitionNotAllowed, PermissionDenied, services.StaleCase)), repr(out["second"])
    assert Event.objects.filter(kind="case_closed", object_id=str(case.pk)).count() == 1
