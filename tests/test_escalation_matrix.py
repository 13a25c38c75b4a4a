"""Every ladder transition from every level as every role: allowed ones move the case, refused ones change
nothing (no level change, no audit event, no django-fsm-log entry, no queued side effect)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import TransitionNotAllowed
from django_fsm_log.models import StateLog

from accounts import roles
from audit.models import Event
from escalation import services
from escalation.models import EscalationCase, Level
from tests.factories import CaseFactory, UserFactory, satisfy_conditions

pytestmark = pytest.mark.django_db

SOURCES = {
    "escalate_to_ppm": {"qa"}, "escalate_to_jimp": {"qa", "ppm"}, "escalate_to_sosg": {"qa", "ppm", "jimp"},
    "step_down_to_ppm": {"jimp", "sosg"}, "step_down_to_jimp": {"sosg"},
    "close": {"qa", "ppm", "jimp", "sosg"}, "refer_provider_failure": {"sosg"},
}
ALLOWED_ROLES = {roles.CQM}


@pytest.mark.parametrize("role", roles.ALL_ROLES)
@pytest.mark.parametrize("level", [c for c, _ in Level.choices])
@pytest.mark.parametrize("transition_name", sorted(SOURCES))
def test_transition_matrix(transition_name, level, role, django_capture_on_commit_callbacks):
    user = UserFactory(roles=[role])
    case = CaseFactory(level=level, owner=user)
    verdict = "escalate" if transition_name == "refer_provider_failure" else "satisfactory"
    satisfy_conditions(case, verdict=verdict)
    events_before, logs_before = Event.objects.count(), StateLog.objects.count()
    allowed = level in SOURCES[transition_name] and role in ALLOWED_ROLES
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            services.move_case(user=user, case_id=case.pk, transition_name=transition_name, reason="Because",
                               skip_rationale="Serious safeguarding concerns")
        except (PermissionDenied, TransitionNotAllowed, ValidationError):
            refused = True
        else:
            refused = False
    case.refresh_from_db()
    if allowed:
        assert not refused
        assert case.level == services.TARGET[transition_name]
        assert Event.objects.count() == events_before + 1
        assert StateLog.objects.count() == logs_before + 1
        assert StateLog.objects.latest("timestamp").by == user
        assert len(callbacks) == 1
    else:
        assert refused
        assert case.level == level
        assert Event.objects.count() == events_before
        assert StateLog.objects.count() == logs_before
        assert callbacks == []


def test_guards_block_moves_without_their_evidence():
    cqm = UserFactory(roles=[roles.CQM])
    qa = CaseFactory(level="qa", owner=cqm)
    with pytest.raises(TransitionNotAllowed, match="QA meeting"):
        services.move_case(user=cqm, case_id=qa.pk, transition_name="escalate_to_ppm", reason="x")
    ppm = CaseFactory(level="ppm", owner=cqm)
    with pytest.raises(TransitionNotAllowed, match="DAP/CAP"):
        services.move_case(user=cqm, case_id=ppm.pk, transition_name="escalate_to_jimp", reason="x")
    with pytest.raises(TransitionNotAllowed, match="satisfactory"):
        services.move_case(user=cqm, case_id=ppm.pk, transition_name="close", reason="x")
    assert EscalationCase.objects.get(pk=ppm.pk).level == "ppm"


def test_skipping_a_step_needs_a_rationale():
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="qa", owner=cqm)
    with pytest.raises(ValidationError):
        services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_sosg", reason="Closure")
    case.refresh_from_db()
    assert case.level == "qa" and not Event.objects.exists()
    services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_sosg", reason="Closure",
                       skip_rationale="Provider has announced it will close the service")
    case.refresh_from_db()
    assert case.level == "sosg"


def test_a_missing_reason_is_refused():
    cqm = UserFactory(roles=[roles.CQM])
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm))
    with pytest.raises(ValidationError):
        services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_ppm", reason=" ")
    case.refresh_from_db()
    assert case.level == "qa"


def test_the_level_field_cannot_be_assigned_directly():
    case = CaseFactory(level="qa")
    with pytest.raises(AttributeError):
        case.level = "sosg"
