"""One permission style: every permission is a rule called (user, obj); it uses the object it is given, and the
description people read and the refusal they get are generated from the checks it makes."""

import datetime
import html
import inspect
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from accounts import permissions as account_perms
from accounts import roles
from concerns import permissions as concern_perms
from core.rules import REGISTRY, Rule, when
from escalation import permissions as case_perms
from escalation import services
from escalation.models import EscalationCase
from letters import permissions as letter_perms
from tests.factories import CaseFactory, ConcernFactory, UserFactory

MODULES = (account_perms, concern_perms, case_perms, letter_perms)


def test_every_permission_is_a_rule_with_one_signature():
    found = 0
    for module in MODULES:
        for name, value in vars(module).items():
            if name.startswith("can_"):
                found += 1
                assert isinstance(value, Rule), f"{module.__name__}.{name} is not a rule"
                assert list(inspect.signature(value.__call__).parameters) == ["user", "obj"]
    assert found >= 30


def test_descriptions_are_generated_from_the_checks():
    assert case_perms.can_record_meeting.description == (
        "a contract officer or a Contracts and Quality Manager (CQM), when the case is open and they are cleared "
        "for the case (when it holds safeguarding-restricted concerns)")
    assert case_perms.can_open_case.description == "a Contracts and Quality Manager (CQM)"
    assert concern_perms.can_share.description == (
        "a safeguarding lead or a Contracts and Quality Manager (CQM), when the concern is safeguarding-restricted")
    # a new condition shows up in the description without anyone rewriting it
    weekday = when("it is a weekday")(lambda user, case: True)
    assert (case_perms.can_link_concern & weekday).description.endswith(
        "the case is open, they are cleared for the case (when it holds safeguarding-restricted concerns) and it is "
        "a weekday")


def test_roles_combine_with_or_and_conditions_with_and_only():
    with pytest.raises(TypeError):
        account_perms.is_cqm & account_perms.is_dass  # noqa: B018
    with pytest.raises(TypeError):
        case_perms.case_is_open | account_perms.is_cqm  # noqa: B018
    with pytest.raises(TypeError):
        ~case_perms.case_is_open  # noqa: B018


@pytest.mark.django_db
def test_each_rule_uses_the_object_it_is_given(officer, cqm):
    open_case, closed_case = CaseFactory(), CaseFactory(level="closed")
    for rule in (case_perms.can_record_meeting, case_perms.can_manage_plan, case_perms.can_record_review,
                 case_perms.can_record_route_work):
        assert rule(officer, open_case) and not rule(officer, closed_case), rule.action
        assert not rule(officer), f"{rule.action}: with no case it must refuse, not guess"
    assert case_perms.can_reopen(cqm, closed_case) and not case_perms.can_reopen(cqm, open_case)

    restricted = ConcernFactory(restricted=True, logged_by=cqm)
    plain = ConcernFactory()
    assert concern_perms.can_route(officer, plain) and not concern_perms.can_route(officer, restricted)
    assert concern_perms.can_share(cqm, restricted) and not concern_perms.can_share(cqm, plain)


@pytest.mark.django_db
def test_services_refuse_with_the_generated_reason(officer, cqm):
    dass = UserFactory(roles=[roles.DASS])
    today = timezone.localdate()
    case = CaseFactory(level="ppm")
    with pytest.raises(PermissionDenied, match=r"Only a contract officer or a Contracts and Quality Manager \(CQM\)"):
        services.create_plan(user=dass, case_id=case.pk, kind="cap", start_date=today,
                             review_date=today + datetime.timedelta(days=28))
    closed = CaseFactory(level="closed")
    with pytest.raises(PermissionDenied, match="This case has ended"):
        services.create_plan(user=officer, case_id=closed.pk, kind="cap", start_date=today,
                             review_date=today + datetime.timedelta(days=28))
    assert not case.plans.exists() and not closed.plans.exists()


def test_state_machine_uses_the_same_rules():
    field = EscalationCase._meta.get_field("route")
    for transition in field.get_all_transitions(EscalationCase):
        rule = transition.permission.rule
        assert rule in (case_perms.can_record_sprg_decision, case_perms.can_record_dmt_decision,
                        case_perms.can_sign_off)
        assert transition.permission.__doc__.lower() == rule.description.lower()


@pytest.mark.django_db
def test_how_the_process_works_lists_who_may_do_what(client, officer):
    client.force_login(officer)
    page = html.unescape(client.get(reverse("escalation:how_it_works")).content.decode())
    assert "Who may do what" in page
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert "How the process works" in title and "Who may do what" not in title and page.count("Who may do what") == 1
    for rules in REGISTRY.values():
        for rule in rules:
            assert rule.action in page
            assert rule.description[:1].upper() + rule.description[1:] in page
    assert "An SPRG member, when they are cleared for the case" in page
