import datetime
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone
from django_fsm import TransitionNotAllowed

from accounts import roles
from audit.models import Event
from concerns import services as concern_services
from concerns.models import Concern
from escalation import services
from escalation.models import EscalationCase, PerformanceReview
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory, satisfy_conditions

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def further_action_concern(provider, officer, engagement=2, impact=3):
    concern = ConcernFactory(provider=provider, logged_by=officer, state=Concern.State.FURTHER_ACTION)
    concern_services.record_risk_assessment(user=officer, concern_id=concern.pk, engagement=engagement,
                                            impact=impact, level=None)
    return concern


def test_case_opens_at_the_recommended_level_from_a_further_action_concern(cqm, officer, provider):
    concern = further_action_concern(provider, officer)  # 2 x 3 -> PPM
    case = services.open_case(user=cqm, provider_id=provider.pk, level="ppm", concern_ids=[concern.pk])
    assert case.level == "ppm" and case.recommended_level == "ppm" and case.reference == f"CASE-{case.pk:05d}"
    concern.refresh_from_db()
    assert concern.case == case
    assert Event.objects.filter(kind="case_opened", object_id=str(case.pk)).exists()


def test_another_level_or_no_concern_needs_a_rationale(cqm, officer, provider):
    concern = further_action_concern(provider, officer)
    with pytest.raises(ValidationError, match="rationale"):
        services.open_case(user=cqm, provider_id=provider.pk, level="sosg", concern_ids=[concern.pk])
    with pytest.raises(ValidationError, match="without a concern"):
        services.open_case(user=cqm, provider_id=provider.pk, level="ppm")
    assert not EscalationCase.objects.exists()
    case = services.open_case(user=cqm, provider_id=provider.pk, level="sosg", concern_ids=[concern.pk],
                              rationale="Provider closing the service")
    assert case.level == "sosg"


def test_a_provider_has_at_most_one_open_case(cqm, provider):
    services.open_case(user=cqm, provider_id=provider.pk, level="qa", rationale="First")
    with pytest.raises(ValidationError, match="already has an open escalation case"):
        services.open_case(user=cqm, provider_id=provider.pk, level="qa", rationale="Second")
    assert EscalationCase.objects.count() == 1


def test_the_database_also_refuses_a_second_open_case(cqm, provider):
    from django.db import IntegrityError, transaction

    CaseFactory(provider=provider, level="qa", owner=cqm)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(provider=provider, level="ppm", owner=cqm)


def test_only_a_cqm_opens_cases(officer, provider):
    with pytest.raises(PermissionDenied):
        services.open_case(user=officer, provider_id=provider.pk, level="qa", rationale="x")
    assert not EscalationCase.objects.exists()


def test_concerns_link_to_the_open_case_only_once_and_only_for_the_same_provider(cqm, officer, provider):
    case = services.open_case(user=cqm, provider_id=provider.pk, level="qa", rationale="x")
    concern = ConcernFactory(provider=provider, state=Concern.State.FURTHER_ACTION)
    services.link_concern(user=cqm, case_id=case.pk, concern_id=concern.pk)
    with pytest.raises(ValidationError, match="already linked"):
        services.link_concern(user=cqm, case_id=case.pk, concern_id=concern.pk)
    other = ConcernFactory(state=Concern.State.FURTHER_ACTION)
    with pytest.raises(ValidationError, match="different provider"):
        services.link_concern(user=cqm, case_id=case.pk, concern_id=other.pk)


def test_plans_only_from_ppm_and_review_not_before_start(cqm, officer):
    qa = CaseFactory(level="qa", owner=cqm)
    with pytest.raises(ValidationError, match="from PPM upwards"):
        services.create_plan(user=officer, case_id=qa.pk, kind="dap", start_date=TODAY(), review_date=TODAY())
    ppm = CaseFactory(level="ppm", owner=cqm)
    with pytest.raises(ValidationError, match="before the plan's start"):
        services.create_plan(user=officer, case_id=ppm.pk, kind="dap", start_date=TODAY(),
                             review_date=TODAY() - datetime.timedelta(days=1))
    plan = services.create_plan(user=officer, case_id=ppm.pk, kind="dap", start_date=TODAY(),
                                review_date=TODAY() + datetime.timedelta(days=28))
    with pytest.raises(ValidationError, match="today or in the future"):
        services.add_action(user=officer, plan_id=plan.pk, area_of_concern="Staffing", action="Recruit",
                            owner="provider", due_date=TODAY() - datetime.timedelta(days=1))
    assert not plan.actions.exists()
    with pytest.raises(ValidationError, match="before the plan's start"):
        services.record_review(user=officer, plan_id=plan.pk, review_date=TODAY() - datetime.timedelta(days=1),
                               verdict="satisfactory", notes="x")


def test_review_timescales_moves_the_plan_review_date(cqm, officer):
    ppm = CaseFactory(level="ppm", owner=cqm)
    plan = services.create_plan(user=officer, case_id=ppm.pk, kind="cap", start_date=TODAY(),
                                review_date=TODAY() + datetime.timedelta(days=28))
    with pytest.raises(ValidationError, match="new review date"):
        services.record_review(user=officer, plan_id=plan.pk, review_date=TODAY(), verdict="review_timescales",
                               notes="More time")
    new = TODAY() + datetime.timedelta(days=56)
    services.record_review(user=officer, plan_id=plan.pk, review_date=TODAY(), verdict="review_timescales",
                           notes="More time", new_review_date=new)
    plan.refresh_from_db()
    assert plan.review_date == new


def test_action_due_date_change_needs_a_reason(cqm, officer):
    ppm = CaseFactory(level="ppm", owner=cqm)
    plan = services.create_plan(user=officer, case_id=ppm.pk, kind="cap", start_date=TODAY(),
                                review_date=TODAY() + datetime.timedelta(days=28))
    item = services.add_action(user=officer, plan_id=plan.pk, area_of_concern="Staffing", action="Recruit",
                               owner="provider", due_date=TODAY() + datetime.timedelta(days=7))
    with pytest.raises(ValidationError, match="why the due date"):
        services.update_action(user=officer, action_id=item.pk, status="in_progress", evidence="",
                               due_date=TODAY() + datetime.timedelta(days=14))
    item.refresh_from_db()
    assert item.status == "not_started"
    services.add_progress_note(user=officer, action_id=item.pk, note="Two interviews booked")
    assert item.progress_notes.count() == 1


def test_nothing_can_be_done_on_a_closed_case_except_reopening(cqm, officer):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm))
    services.move_case(user=cqm, case_id=case.pk, transition_name="close", reason="Resolved")
    with pytest.raises(TransitionNotAllowed, match="closed"):
        services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_ppm", reason="x")
    with pytest.raises(PermissionDenied):
        services.record_meeting(user=officer, case_id=case.pk, meeting_date=TODAY(),
                                attendees=[{"name": "a", "agency": "b"}], provider_attended=True, minutes="m",
                                outcome="o")
    new = services.reopen_case(user=cqm, case_id=case.pk, level="qa", reason="New complaints")
    assert new.reopened_from == case and new.is_open
    with pytest.raises(ValidationError, match="already reopened"):
        services.reopen_case(user=cqm, case_id=case.pk, level="qa", reason="Again")


def test_reopen_needs_a_reason_and_a_cqm(cqm, officer):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm))
    services.move_case(user=cqm, case_id=case.pk, transition_name="close", reason="Resolved")
    with pytest.raises(ValidationError):
        services.reopen_case(user=cqm, case_id=case.pk, level="qa", reason="")
    with pytest.raises(PermissionDenied):
        services.reopen_case(user=officer, case_id=case.pk, level="qa", reason="x")
    assert EscalationCase.objects.count() == 1


def test_stale_form_after_someone_else_moved_the_case(cqm):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm), verdict="escalate")
    services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_ppm", reason="Not resolved",
                       expected_level="qa")
    with pytest.raises(services.StaleCase):
        services.move_case(user=cqm, case_id=case.pk, transition_name="close", reason="x", expected_level="qa")
    case.refresh_from_db()
    assert case.level == "ppm"


def test_provider_failure_needs_an_unsatisfactory_sosg_review(cqm):
    case = satisfy_conditions(CaseFactory(level="sosg", owner=cqm), verdict=PerformanceReview.Verdict.SATISFACTORY)
    with pytest.raises(TransitionNotAllowed):
        services.move_case(user=cqm, case_id=case.pk, transition_name="refer_provider_failure", reason="x")


@pytest.mark.django_db(transaction=True)
def test_two_people_escalating_at_the_same_moment_one_wins(django_db_blocker):
    """Against PostgreSQL: the row lock serialises them; the second is told the case changed."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    first, second = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CQM])
    case = satisfy_conditions(CaseFactory(level="qa", owner=first, provider=ProviderFactory()), verdict="escalate")
    barrier = threading.Barrier(2)
    results = {}

    def press(user):
        try:
            barrier.wait(timeout=10)
            services.move_case(user=user, case_id=case.pk, transition_name="escalate_to_ppm",
                               reason=f"by {user.username}", expected_level="qa")
            results[user.username] = "ok"
        except (services.StaleCase, TransitionNotAllowed) as exc:
            results[user.username] = f"refused: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    outcomes = sorted(results.values())
    assert len(outcomes) == 2
    assert outcomes[0] == "ok" and outcomes[1].startswith("refused: ")
    assert "changed while you were looking" in outcomes[1]
    case.refresh_from_db()
    assert case.level == "ppm"
    assert Event.objects.filter(kind="case_escalated", object_id=str(case.pk)).count() == 1
