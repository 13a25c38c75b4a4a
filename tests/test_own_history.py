"""A service changes another app's rows only through that app's service, so each record's own history is
complete: a concern put on a case says so in the concern's history; a provider's placement status and Provider
Failure Policy flag say so in the provider's."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts import roles
from audit.services import events_for
from concerns import services as concern_services
from concerns.models import Concern
from escalation import route_services as rs
from escalation import services
from providers import services as provider_services
from providers.models import PlacementStatus
from tests.factories import CaseFactory, ConcernFactory, ProviderFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def sprg_details():
    return {"meeting_date": TODAY(), "members_present": "Chair; Finance", "notes": "Discussed"}


def test_opening_a_case_and_linking_a_concern_are_in_each_concerns_own_history():
    cqm = UserFactory(roles=[roles.CQM])
    provider = ProviderFactory()
    first = ConcernFactory(provider=provider, state=Concern.State.FURTHER_ACTION)
    second = ConcernFactory(provider=provider, state=Concern.State.FURTHER_ACTION)
    case = services.open_case(user=cqm, provider_id=provider.pk, level="qa", concern_ids=[first.pk],
                              rationale="Opened")
    services.link_concern(user=cqm, case_id=case.pk, concern_id=second.pk)
    for concern in (first, second):
        concern.refresh_from_db()
        assert concern.case == case
        event = events_for(concern).get(kind="linked_to_case")
        assert event.actor == cqm and event.changes == {"case": [None, case.reference]}
    assert events_for(case).filter(kind="concern_linked").count() == 1


def test_a_concern_is_linked_only_by_a_cqm_and_only_once():
    cqm, officer = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.CONTRACT_OFFICER])
    case = CaseFactory(level="qa", owner=cqm)
    concern = ConcernFactory(provider=case.provider, state=Concern.State.FURTHER_ACTION)
    with pytest.raises(PermissionDenied):
        services.link_concern(user=officer, case_id=case.pk, concern_id=concern.pk)
    with pytest.raises(PermissionDenied):
        concern_services.link_to_case(user=officer, concern_id=concern.pk, case=case)
    concern.refresh_from_db()
    assert concern.case is None and not events_for(concern).exists() and not events_for(case).exists()
    services.link_concern(user=cqm, case_id=case.pk, concern_id=concern.pk)
    with pytest.raises(ValidationError, match="already linked"):
        concern_services.link_to_case(user=cqm, concern_id=concern.pk, case=case)
    assert events_for(concern).filter(kind="linked_to_case").count() == 1


def test_placement_status_changes_are_in_the_providers_own_history():
    cqm, sprg = UserFactory(roles=[roles.CQM]), UserFactory(roles=[roles.SPRG_MEMBER])
    dmt, dass = UserFactory(roles=[roles.DMT_MEMBER]), UserFactory(roles=[roles.DASS])
    case = CaseFactory(level="sosg", owner=cqm)
    provider = case.provider
    rs.agree_at_risk(user=sprg, case_id=case.pk, **sprg_details())
    rs.record_non_compliance(user=sprg, case_id=case.pk, **sprg_details())
    rs.write_report(user=cqm, case_id=case.pk, body="Recommend suspension")
    rs.endorse_suspension_report(user=dmt, case_id=case.pk, report_version=1)
    rs.sign_off_suspension(user=dass, case_id=case.pk, capacity="dass", report_version=1)
    provider.refresh_from_db()
    assert provider.placement_status == PlacementStatus.SUSPENDED and provider.placement_case == case
    history = list(events_for(provider).filter(kind="placement_status_changed").order_by("id"))
    assert [(e.actor, e.changes["placement_status"]) for e in history] == [
        (sprg, ["open", "at_risk"]), (dass, ["at_risk", "suspended"])]
    assert all(e.changes["case"] == case.reference for e in history)
    rs.record_provider_failure(user=sprg, case_id=case.pk, **sprg_details())
    provider.refresh_from_db()
    assert provider.provider_failure_flagged_on == TODAY()
    flagged = events_for(provider).get(kind="provider_failure_flagged")
    assert flagged.actor == sprg and flagged.changes["provider_failure_flagged_on"] == [None, TODAY().isoformat()]


def test_full_compliance_reopens_placements_in_the_providers_history():
    sprg = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm")
    rs.agree_at_risk(user=sprg, case_id=case.pk, **sprg_details())
    rs.record_full_compliance(user=sprg, case_id=case.pk, oversight_until=TODAY() + datetime.timedelta(days=60),
                              **sprg_details())
    changes = [e.changes["placement_status"] for e in
               events_for(case.provider).filter(kind="placement_status_changed").order_by("id")]
    assert changes == [["open", "at_risk"], ["at_risk", "open"]]


def test_placement_status_is_changed_only_by_the_route_decision_makers():
    case = CaseFactory(level="ppm")
    for role in (roles.CQM, roles.CONTRACT_OFFICER, roles.ADMINISTRATOR, roles.DMT_MEMBER):
        with pytest.raises(PermissionDenied):
            provider_services.set_placement_status(
                user=UserFactory(roles=[role]), provider_id=case.provider_id, status=PlacementStatus.SUSPENDED,
                decision="No", case=case, on=TODAY())
        with pytest.raises(PermissionDenied):
            provider_services.flag_provider_failure(user=UserFactory(roles=[role]), provider_id=case.provider_id,
                                                    case=case, on=TODAY())
    case.provider.refresh_from_db()
    assert case.provider.placement_status == PlacementStatus.OPEN
    assert case.provider.provider_failure_flagged_on is None
    assert not events_for(case.provider).exists()


def test_a_decision_that_fails_after_the_placement_change_leaves_the_provider_untouched(monkeypatch):
    """The placement change runs inside the decision's transaction: if the decision fails later, it goes too."""
    sprg = UserFactory(roles=[roles.SPRG_MEMBER])
    case = CaseFactory(level="ppm")

    def fail(**kwargs):
        raise RuntimeError("the case's audit event could not be written")

    monkeypatch.setattr(rs, "record", fail)
    with pytest.raises(RuntimeError):
        rs.agree_at_risk(user=sprg, case_id=case.pk, **sprg_details())
    case.refresh_from_db()
    case.provider.refresh_from_db()
    assert case.route == "none"
    assert case.provider.placement_status == PlacementStatus.OPEN and not events_for(case.provider).exists()
