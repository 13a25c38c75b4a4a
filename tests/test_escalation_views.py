import datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from concerns.models import Concern
from escalation import workflow
from escalation.models import EscalationCase
from tests.factories import CaseFactory, ConcernFactory, satisfy_conditions

pytestmark = pytest.mark.django_db


def test_case_page_shows_the_ladder_and_only_the_moves_this_user_may_take(client, cqm, officer):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm), verdict="escalate")
    client.force_login(cqm)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Current step: <strong>step 1 of 4, Quality assurance meeting</strong>" in html
    assert ">Escalate to PPM</a>" in html and "Step down" not in html
    client.force_login(officer)
    html = client.get(case.get_absolute_url()).content.decode()
    assert "Escalate to PPM" not in html and "Record a meeting" in html


def test_a_role_that_may_not_move_the_case_gets_403_and_nothing_changes(client, officer):
    case = satisfy_conditions(CaseFactory(level="qa"))
    client.force_login(officer)
    url = reverse("escalation:move", args=[case.pk, "escalate_to_ppm"])
    assert client.post(url, {"reason": "x", "expected_level": "qa"}).status_code == 403
    case.refresh_from_db()
    assert case.level == "qa"


def test_move_without_reason_shows_the_error_summary(client, cqm):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm), verdict="escalate")
    client.force_login(cqm)
    response = client.post(reverse("escalation:move", args=[case.pk, "escalate_to_ppm"]),
                           {"reason": "", "expected_level": "qa"})
    html = response.content.decode()
    assert "govuk-error-summary" in html and "Enter the reason for this decision" in html
    case.refresh_from_db()
    assert case.level == "qa"


def test_skip_without_rationale_is_explained(client, cqm):
    case = CaseFactory(level="qa", owner=cqm)
    client.force_login(cqm)
    url = reverse("escalation:move", args=[case.pk, "escalate_to_sosg"])
    assert "This skips a step" in client.get(url).content.decode()
    response = client.post(url, {"reason": "Closing", "skip_rationale": "", "expected_level": "qa"})
    assert "clear rationale for skipping" in response.content.decode()
    case.refresh_from_db()
    assert case.level == "qa"


def test_stale_form_is_turned_into_a_message(client, cqm):
    case = satisfy_conditions(CaseFactory(level="ppm", owner=cqm))
    client.force_login(cqm)
    response = client.post(reverse("escalation:move", args=[case.pk, "close"]),
                           {"reason": "ok", "expected_level": "qa"}, follow=True)
    assert "changed while you were looking at it" in response.content.decode()
    case.refresh_from_db()
    assert case.level == "ppm"


def test_open_case_from_a_further_action_concern(client, cqm):
    concern = ConcernFactory(state=Concern.State.FURTHER_ACTION)
    client.force_login(cqm)
    assert "Open an escalation case" in client.get(concern.get_absolute_url()).content.decode()
    url = reverse("escalation:open", args=[concern.provider.pk]) + f"?concern={concern.pk}"
    response = client.post(url, {"level": "qa", "concerns": [concern.pk], "rationale": "No assessment yet",
                                 "jointly_commissioned": "False"})
    case = EscalationCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    # A second case for the same provider is refused with a message, not a 500.
    response = client.get(reverse("escalation:open", args=[concern.provider.pk]), follow=True)
    assert "already has an open case" in response.content.decode()


def test_action_due_in_the_past_is_refused_on_the_page(client, cqm):
    case = CaseFactory(level="ppm", owner=cqm)
    client.force_login(cqm)
    today = timezone.localdate()
    client.post(reverse("escalation:plan_create", args=[case.pk]), {
        "kind": "cap", "start_date_0": today.day, "start_date_1": today.month, "start_date_2": today.year,
        "review_date_0": today.day, "review_date_1": today.month, "review_date_2": today.year + 1})
    plan = case.plans.get()
    past = today - datetime.timedelta(days=3)
    response = client.post(reverse("escalation:action_create", args=[case.pk, plan.pk]), {
        "area_of_concern": "Staffing", "action": "Recruit", "owner": "provider",
        "due_date_0": past.day, "due_date_1": past.month, "due_date_2": past.year})
    assert "The due date must be today or in the future" in response.content.decode()
    assert not plan.actions.exists()


def test_how_the_process_works_page_is_generated_from_the_state_machine(client, officer):
    client.force_login(officer)
    html = client.get(reverse("escalation:how_it_works")).content.decode()
    for label in ("Escalate to PPM", "Step down to JIMP", "Refer under the Provider Failure Policy"):
        assert label in html
    assert "<svg" in html


def test_committed_workflow_diagram_matches_the_code():
    """docs/workflow.dot is regenerated by `make workflow`; if the state machine changes, this fails."""
    committed = (Path(settings.BASE_DIR) / "docs" / "workflow.dot").read_text()
    assert committed == workflow.dot_source()


def test_acting_on_a_closed_case_is_explained_and_changes_nothing(client, cqm):
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm))
    from escalation import services

    services.move_case(user=cqm, case_id=case.pk, transition_name="close", reason="Resolved")
    client.force_login(cqm)
    response = client.post(f"/cases/{case.pk}/meetings/new/", {"minutes": "x"}, follow=True)
    assert "is closed" in response.content.decode()
    assert case.meetings.count() == 1


def test_users_without_a_role_see_no_concerns(client, db):
    from tests.factories import UserFactory

    nobody = UserFactory()
    ConcernFactory()
    client.force_login(nobody)
    assert client.get("/concerns/").status_code == 403
    assert client.get("/concerns/jqmm/").status_code == 403
