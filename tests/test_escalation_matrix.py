"""Every ladder move from every level as every role (and no role), through its own service: allowed ones put
the case in the state the state machine declares, with one audit event, one django-fsm-log entry and one queued
notification; refused ones change nothing (no level change, no event, no log entry, no deadline waived, nothing
queued)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_fsm import TransitionNotAllowed
from django_fsm_log.models import StateLog

from accounts import roles
from audit.models import Event
from deadlines import services as deadline_services
from deadlines.models import Deadline
from escalation import services
from escalation.models import EscalationCase, Level
from tests.factories import CaseFactory, UserFactory, satisfy_conditions

pytestmark = pytest.mark.django_db

# What the council's process says, written out here independently of escalation.models.
SOURCES = {
    "escalate_to_ppm": {"qa"}, "escalate_to_jimp": {"qa", "ppm"}, "escalate_to_sosg": {"qa", "ppm", "jimp"},
    "step_down_to_ppm": {"jimp", "sosg"}, "step_down_to_jimp": {"sosg"},
    "close": {"qa", "ppm", "jimp", "sosg"}, "refer_provider_failure": {"sosg"},
}
TARGETS = {
    "escalate_to_ppm": "ppm", "escalate_to_jimp": "jimp", "escalate_to_sosg": "sosg", "step_down_to_ppm": "ppm",
    "step_down_to_jimp": "jimp", "close": "closed", "refer_provider_failure": "provider_failure",
}
SERVICES = {
    "escalate_to_ppm": services.escalate_to_ppm, "escalate_to_jimp": services.escalate_to_jimp,
    "escalate_to_sosg": services.escalate_to_sosg, "step_down_to_ppm": services.step_down_to_ppm,
    "step_down_to_jimp": services.step_down_to_jimp, "close": services.close_case,
    "refer_provider_failure": services.refer_provider_failure,
}
SKIPPABLE = {"escalate_to_jimp", "escalate_to_sosg"}
ALLOWED_ROLES = {roles.CQM}


def declared():
    """{name: (sources, target)} as the state machine declares them (django-fsm transition metadata)."""
    out = {}
    for t in EscalationCase().get_all_level_transitions():
        sources, _target = out.setdefault(t.name, (set(), t.target))
        sources.add(t.source)
    return out


def test_the_state_machine_declares_the_process_and_every_move_has_its_service():
    assert declared() == {name: (SOURCES[name], TARGETS[name]) for name in SOURCES}
    assert set(services.LADDER_SERVICES) == set(declared()) == set(SERVICES)
    assert {name: services.target_of(name) for name in SOURCES} == TARGETS


@pytest.mark.parametrize("role", [*roles.ALL_ROLES, None])
@pytest.mark.parametrize("level", [c for c, _ in Level.choices])
@pytest.mark.parametrize("transition_name", sorted(SOURCES))
def test_transition_matrix(transition_name, level, role, django_capture_on_commit_callbacks):
    user = UserFactory(roles=[role] if role else [])
    case = CaseFactory(level=level, owner=user)
    escalating = transition_name.startswith("escalate") or transition_name == "refer_provider_failure"
    satisfy_conditions(case, verdict="escalate" if escalating else "satisfactory")
    deadline_services.schedule(key=f"matrix:{case.pk}", kind=Deadline.Kind.PLAN_REVIEW, case=case,
                               due_date=timezone.localdate() + datetime.timedelta(days=7))
    events_before, logs_before = Event.objects.count(), StateLog.objects.count()
    allowed = level in SOURCES[transition_name] and role in ALLOWED_ROLES
    extra = {"skip_rationale": "Serious safeguarding concerns"} if transition_name in SKIPPABLE else {}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        try:
            SERVICES[transition_name](user=user, case_id=case.pk, reason="Because", **extra)
        except (PermissionDenied, TransitionNotAllowed, ValidationError):
            refused = True
        else:
            refused = False
    case.refresh_from_db()
    deadline = Deadline.objects.get(case=case)
    if allowed:
        assert not refused
        assert case.level == declared()[transition_name][1] == TARGETS[transition_name]
        assert Event.objects.count() == events_before + 1
        assert Event.objects.latest("id").changes["level"] == [level, case.level]
        assert StateLog.objects.count() == logs_before + 1
        assert StateLog.objects.latest("timestamp").by == user
        assert len(callbacks) == 1
        ended = case.level in (Level.CLOSED, Level.PROVIDER_FAILURE)
        assert (case.closed_at is not None) == ended
        assert deadline.status == (Deadline.Status.WAIVED if ended else Deadline.Status.OPEN)
    else:
        assert refused
        assert case.level == level and case.closed_at is None
        assert Event.objects.count() == events_before
        assert StateLog.objects.count() == logs_before
        assert deadline.status == Deadline.Status.OPEN
        assert callbacks == []


def test_the_generic_entry_point_runs_the_named_service():
    cqm = UserFactory(roles=[roles.CQM])
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm), verdict="escalate")
    services.move_case(user=cqm, case_id=case.pk, transition_name="escalate_to_ppm", reason="Not resolved")
    case.refresh_from_db()
    assert case.level == "ppm"
    assert Event.objects.latest("id").kind == "case_escalated"
    with pytest.raises(ValidationError):
        services.move_case(user=cqm, case_id=case.pk, transition_name="suspend", reason="x")
    case.refresh_from_db()
    assert case.level == "ppm"


def test_guards_block_moves_without_their_evidence():
    cqm = UserFactory(roles=[roles.CQM])
    qa = CaseFactory(level="qa", owner=cqm)
    with pytest.raises(TransitionNotAllowed, match="QA meeting"):
        services.escalate_to_ppm(user=cqm, case_id=qa.pk, reason="x")
    ppm = CaseFactory(level="ppm", owner=cqm)
    with pytest.raises(TransitionNotAllowed, match="DAP/CAP"):
        services.escalate_to_jimp(user=cqm, case_id=ppm.pk, reason="x")
    with pytest.raises(TransitionNotAllowed, match="Record the PPM and its outcome first"):
        services.close_case(user=cqm, case_id=ppm.pk, reason="x")
    with pytest.raises(TransitionNotAllowed, match="not possible from"):
        services.step_down_to_jimp(user=cqm, case_id=ppm.pk, reason="x")
    assert EscalationCase.objects.get(pk=ppm.pk).level == "ppm"


def test_skipping_a_step_needs_a_rationale():
    cqm = UserFactory(roles=[roles.CQM])
    case = CaseFactory(level="qa", owner=cqm)
    with pytest.raises(ValidationError):
        services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="Closure")
    case.refresh_from_db()
    assert case.level == "qa" and not Event.objects.exists()
    services.escalate_to_sosg(user=cqm, case_id=case.pk, reason="Closure",
                              skip_rationale="Provider has announced it will close the service")
    case.refresh_from_db()
    assert case.level == "sosg"
    assert Event.objects.get().changes["skip_rationale"] == "Provider has announced it will close the service"


def test_a_missing_reason_is_refused():
    cqm = UserFactory(roles=[roles.CQM])
    case = satisfy_conditions(CaseFactory(level="qa", owner=cqm), verdict="escalate")
    with pytest.raises(ValidationError):
        services.escalate_to_ppm(user=cqm, case_id=case.pk, reason=" ")
    case.refresh_from_db()
    assert case.level == "qa"


def test_the_level_field_cannot_be_assigned_directly():
    case = CaseFactory(level="qa")
    with pytest.raises(AttributeError):
        case.level = "sosg"
