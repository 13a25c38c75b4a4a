import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from audit.models import Event
from concerns import services
from concerns.models import Concern
from tests.factories import ConcernFactory, JqmmFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def concern_data(**overrides):
    data = {
        "source": Concern.Source.SAFEGUARDING, "received_on": TODAY() - datetime.timedelta(days=1),
        "raised_by": "District nurse", "description": "Resident left without food overnight",
        "people_affected": 1, "care_management_refs": ["CM123"],
        "safety_concern": False, "position_of_trust": False, "referral_uncertain": False,
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("flag", ["safety_concern", "position_of_trust", "referral_uncertain"])
def test_any_safeguarding_yes_restricts_the_concern_and_waits_for_advice(officer, provider, flag):
    concern = services.log_concern(user=officer, provider_id=provider.pk, data=concern_data(**{flag: True}))
    assert concern.restricted
    assert concern.state == Concern.State.AWAITING_ADVICE
    assert concern.reference == f"CON-{concern.pk:05d}"


def test_a_concern_without_safeguarding_flags_goes_straight_to_routing(officer, provider):
    concern = services.log_concern(user=officer, provider_id=provider.pk, data=concern_data())
    assert not concern.restricted
    assert concern.state == Concern.State.AWAITING_ROUTING
    event = Event.objects.get(kind="concern_logged")
    assert event.actor == officer and event.object_id == str(concern.pk)
    assert event.changes["description"] == "Resident left without food overnight"


def test_logging_needs_the_role_and_writes_nothing_without_it(auditor, provider):
    with pytest.raises(PermissionDenied):
        services.log_concern(user=auditor, provider_id=provider.pk, data=concern_data())
    assert not Concern.objects.exists() and not Event.objects.exists()


def test_received_date_in_the_future_is_refused(officer, provider):
    with pytest.raises(ValidationError):
        services.log_concern(user=officer, provider_id=provider.pk,
                             data=concern_data(received_on=TODAY() + datetime.timedelta(days=1)))
    assert not Concern.objects.exists()


def test_restricted_concern_cannot_be_routed_before_advice(officer, jqmm):
    concern = ConcernFactory(safeguarding=True, logged_by=officer)
    with pytest.raises(ValidationError, match="safeguarding advice"):
        services.route_to_jqmm(user=officer, concern_id=concern.pk, meeting_id=jqmm.pk)
    concern.refresh_from_db()
    assert concern.state == Concern.State.AWAITING_ADVICE
    assert not Event.objects.filter(kind="routed_to_jqmm").exists()


def test_advice_unblocks_routing_and_the_jqmm_outcome_decides(officer, cqm, jqmm):
    concern = ConcernFactory(safeguarding=True, logged_by=officer)
    services.record_safeguarding_advice(user=officer, concern_id=concern.pk, adviser="S Lead",
                                        advised_on=TODAY(), advice="Make a referral")
    services.route_to_jqmm(user=officer, concern_id=concern.pk, meeting_id=jqmm.pk)
    concern.refresh_from_db()
    assert concern.state == Concern.State.ON_JQMM_AGENDA and concern.jqmm == jqmm
    # The JQMM is in the future: its outcome cannot be recorded yet.
    with pytest.raises(ValidationError):
        services.record_jqmm_outcome(user=cqm, concern_id=concern.pk, further_action=True, notes="x")
    type(jqmm).objects.filter(pk=jqmm.pk).update(meeting_date=TODAY())
    services.record_jqmm_outcome(user=cqm, concern_id=concern.pk, further_action=True, notes="Open a case")
    concern.refresh_from_db()
    assert concern.state == Concern.State.FURTHER_ACTION
    kinds = list(Event.objects.filter(object_id=str(concern.pk)).values_list("kind", flat=True))
    assert {"safeguarding_advice_recorded", "routed_to_jqmm", "jqmm_outcome_recorded"} <= set(kinds)


def test_only_a_cqm_records_the_jqmm_outcome(officer, jqmm):
    concern = ConcernFactory(state=Concern.State.ON_JQMM_AGENDA, jqmm=jqmm, logged_by=officer)
    type(jqmm).objects.filter(pk=jqmm.pk).update(meeting_date=TODAY())
    with pytest.raises(PermissionDenied):
        services.record_jqmm_outcome(user=officer, concern_id=concern.pk, further_action=False, notes="x")
    concern.refresh_from_db()
    assert concern.state == Concern.State.ON_JQMM_AGENDA


def test_further_action_needs_a_reason(officer):
    concern = ConcernFactory(logged_by=officer)
    with pytest.raises(ValidationError):
        services.route_to_further_action(user=officer, concern_id=concern.pk, reason="  ")
    concern.refresh_from_db()
    assert concern.state == Concern.State.AWAITING_ROUTING


def test_stale_form_is_refused_and_changes_nothing(officer, jqmm):
    concern = ConcernFactory(logged_by=officer)
    services.route_to_further_action(user=officer, concern_id=concern.pk, reason="Cannot wait")
    with pytest.raises(services.StaleConcern):
        services.route_to_jqmm(user=officer, concern_id=concern.pk, meeting_id=jqmm.pk,
                               expected_state=Concern.State.AWAITING_ROUTING)
    concern.refresh_from_db()
    assert concern.state == Concern.State.FURTHER_ACTION and concern.jqmm is None


def test_restricted_concern_is_hidden_from_uncleared_staff(officer, cqm, safeguarding_lead, auditor):
    concern = ConcernFactory(safeguarding=True, logged_by=officer)
    other_officer = UserFactory(roles=[roles.CONTRACT_OFFICER])
    from concerns.permissions import is_cleared

    assert is_cleared(officer, concern) and is_cleared(cqm, concern) and is_cleared(safeguarding_lead, concern)
    assert not is_cleared(other_officer, concern) and not is_cleared(auditor, concern)
    services.share_concern(user=safeguarding_lead, concern_id=concern.pk, colleague=other_officer)
    assert is_cleared(other_officer, concern)
    with pytest.raises(PermissionDenied):
        services.share_concern(user=other_officer, concern_id=concern.pk, colleague=auditor)


def test_side_effects_are_queued_only_on_commit(officer, provider, django_capture_on_commit_callbacks):
    UserFactory(roles=[roles.SAFEGUARDING_LEAD], email="lead@example.gov.uk")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        concern = services.log_concern(user=officer, provider_id=provider.pk,
                                       data=concern_data(safety_concern=True))
    assert len(callbacks) == 1
    assert not Notification.objects.exists()
    callbacks[0]()  # eager Celery in tests: runs the task now
    note = Notification.objects.get()
    assert concern.reference in note.message
    callbacks[0]()  # a retried task does not notify twice
    assert Notification.objects.count() == 1


def test_a_failed_action_leaves_no_event(officer):
    concern = ConcernFactory(logged_by=officer)
    with pytest.raises(ValidationError):
        services.start_same_day_monitoring(user=officer, concern_id=concern.pk,
                                           monitoring_date=concern.received_on - datetime.timedelta(days=1),
                                           carried_out_by="Me", note="x")
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_audit_record_refuses_to_run_outside_a_transaction(officer, provider):
    from audit.services import record

    with pytest.raises(RuntimeError):
        record(actor=officer, obj=provider, kind="x")


def test_audit_events_are_append_only(officer, provider):
    from django.db import transaction

    from audit.models import ImmutableError
    from audit.services import record

    with transaction.atomic():
        event = record(actor=officer, obj=provider, kind="x")
    with pytest.raises(ImmutableError):
        event.save()
    with pytest.raises(ImmutableError):
        event.delete()


def test_jqmm_cannot_be_scheduled_in_the_past_or_twice(cqm, officer):
    with pytest.raises(ValidationError):
        services.schedule_jqmm(user=cqm, meeting_date=TODAY() - datetime.timedelta(days=1))
    services.schedule_jqmm(user=cqm, meeting_date=TODAY() + datetime.timedelta(days=3))
    with pytest.raises(ValidationError):
        services.schedule_jqmm(user=cqm, meeting_date=TODAY() + datetime.timedelta(days=3))
    with pytest.raises(PermissionDenied):
        services.schedule_jqmm(user=officer, meeting_date=TODAY() + datetime.timedelta(days=4))


def test_routing_to_a_past_jqmm_is_refused(officer, cqm):
    past = JqmmFactory(created_by=cqm, meeting_date=TODAY() - datetime.timedelta(days=1))
    concern = ConcernFactory(logged_by=officer)
    with pytest.raises(ValidationError):
        services.route_to_jqmm(user=officer, concern_id=concern.pk, meeting_id=past.pk)


# --- a concern marked for further action closes: with its case, or by a CQM when there was no case -------------------

def test_a_cqm_closes_a_further_action_concern_dealt_with_without_a_case(cqm):
    concern = ConcernFactory(state=Concern.State.FURTHER_ACTION)
    with pytest.raises(ValidationError, match="how the further action ended"):
        services.close_concern(user=cqm, concern_id=concern.pk, notes="  ")
    services.close_concern(user=cqm, concern_id=concern.pk, notes="Provider retrained staff; checked on a visit")
    concern.refresh_from_db()
    assert concern.state == Concern.State.CLOSED and not concern.is_open
    assert concern.closing_notes == "Provider retrained staff; checked on a visit"
    event = Event.objects.get(kind="concern_closed", object_id=str(concern.pk))
    assert event.actor == cqm and event.changes["notes"] == concern.closing_notes
    with pytest.raises(ValidationError, match="closed after further action"):
        services.record_risk_assessment(user=cqm, concern_id=concern.pk, engagement=2, impact=2, level=None)


def test_closing_a_concern_is_refused_to_officers_on_open_cases_and_before_further_action(cqm, officer):
    from tests.factories import CaseFactory

    loose = ConcernFactory(state=Concern.State.FURTHER_ACTION)
    on_case = ConcernFactory(state=Concern.State.FURTHER_ACTION)
    on_case.case = CaseFactory(provider=on_case.provider, level="ppm", owner=cqm)
    on_case.save()
    routing = ConcernFactory()
    for user, concern, message in [(officer, loose, "Contracts and Quality Manager"),
                                   (cqm, on_case, "closes when its case closes"),
                                   (cqm, routing, "marked for further action")]:
        with pytest.raises(PermissionDenied, match=message):
            services.close_concern(user=user, concern_id=concern.pk, notes="Done")
        concern.refresh_from_db()
        assert concern.state != Concern.State.CLOSED and not concern.closing_notes
    assert not Event.objects.filter(kind="concern_closed").exists()


@pytest.mark.parametrize("transition", ["close", "refer_provider_failure"])
def test_ending_a_case_closes_its_further_action_concerns(cqm, transition):
    from escalation import services as case_services
    from tests.factories import CaseFactory, satisfy_conditions

    case = CaseFactory(level="sosg", owner=cqm)
    concerns = [ConcernFactory(provider=case.provider, state=Concern.State.FURTHER_ACTION) for _ in range(2)]
    Concern.objects.filter(pk__in=[c.pk for c in concerns]).update(case=case)
    elsewhere = ConcernFactory(provider=case.provider, state=Concern.State.FURTHER_ACTION)  # not on the case
    satisfy_conditions(case, "satisfactory" if transition == "close" else "escalate")
    case_services.move_case(user=cqm, case_id=case.pk, transition_name=transition, reason="Ended")
    for concern in concerns:
        concern.refresh_from_db()
        assert concern.state == Concern.State.CLOSED and case.reference in concern.closing_notes
        assert Event.objects.filter(kind="concern_closed", object_id=str(concern.pk),
                                    summary=f"Closed with case {case.reference}").exists()
    elsewhere.refresh_from_db()
    assert elsewhere.state == Concern.State.FURTHER_ACTION
