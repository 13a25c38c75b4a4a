"""A reopened case inherits the restriction of the case it was reopened from; notifications about a case are
shown in full only to people cleared for the case when they read them."""

import datetime
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from audit.models import Event
from audit.services import record
from concerns.permissions import case_is_restricted, is_cleared_for_case
from deadlines import services as deadline_services
from escalation import selectors
from escalation import services as case_services
from escalation.models import EscalationCase
from escalation.tasks import notify_case_team
from home.clearance import hidden_events_q, uncleared_case_ids

from .factories import CaseFactory, ConcernFactory, UserFactory, satisfy_conditions

REASON = "Reopened because of the night staff at Flat 3"


def _close_and_reopen(cqm, case, reason=REASON):
    satisfy_conditions(case)
    case_services.move_case(user=cqm, case_id=case.pk, transition_name="close", reason="Resolved")
    return case_services.reopen_case(user=cqm, case_id=case.pk, level="qa", reason=reason)


@pytest.mark.django_db
def test_a_case_reopened_from_a_restricted_case_is_restricted_down_the_chain(client, cqm, officer):
    logger = UserFactory(username="logger", roles=[roles.CONTRACT_OFFICER])
    old = CaseFactory(level="qa", owner=cqm)
    ConcernFactory(safeguarding=True, case=old, provider=old.provider, logged_by=logger)
    new = _close_and_reopen(cqm, old)
    assert not new.concerns.exists()
    newer = _close_and_reopen(cqm, new, reason="Again")

    for case in (new, newer):
        case = EscalationCase.objects.get(pk=case.pk)
        assert case_is_restricted(case)
        assert not is_cleared_for_case(officer, case)
        assert is_cleared_for_case(cqm, case) and is_cleared_for_case(logger, case)  # cleared for the concern
    assert {old.pk, new.pk, newer.pk} <= uncleared_case_ids(officer)
    assert not uncleared_case_ids(logger)
    items = selectors.with_case_clearance(officer, [new, newer], lambda c: c)
    assert [item.cleared for item in items] == [False, False]
    # The event recording why the case was opened quotes the reason: hidden from the uncleared officer.
    hidden = hidden_events_q(officer)
    assert hidden is not None
    event = Event.objects.get(kind="case_opened", object_id=str(new.pk))
    assert Event.objects.filter(hidden, pk=event.pk).exists()

    # The case page shows the officer only that the case exists; the CQM sees why it was reopened.
    client.force_login(officer)
    html = client.get(new.get_absolute_url()).content.decode()
    assert new.reference in html and REASON not in html
    assert "This case holds safeguarding-restricted concerns" in html
    client.force_login(cqm)
    assert REASON in client.get(new.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_clearance_for_a_reopened_case_needs_clearance_for_every_restricted_concern_in_the_chain(cqm):
    logger = UserFactory(username="logger", roles=[roles.CONTRACT_OFFICER])
    other = UserFactory(username="other", roles=[roles.CONTRACT_OFFICER])
    old = CaseFactory(level="qa", owner=cqm)
    ConcernFactory(safeguarding=True, case=old, provider=old.provider, logged_by=logger)
    new = _close_and_reopen(cqm, old)
    ConcernFactory(safeguarding=True, case=new, provider=new.provider, logged_by=other)
    new = EscalationCase.objects.get(pk=new.pk)
    assert not is_cleared_for_case(logger, new) and not is_cleared_for_case(other, new)
    assert new.pk in uncleared_case_ids(logger) and new.pk in uncleared_case_ids(other)
    # The old case holds only the logger's concern: the newer restricted concern does not reach back.
    old = EscalationCase.objects.get(pk=old.pk)
    assert is_cleared_for_case(logger, old) and not is_cleared_for_case(other, old)


@pytest.mark.django_db
def test_a_case_reopened_from_an_unrestricted_case_stays_open_to_everyone(client, cqm, officer):
    old = CaseFactory(level="qa", owner=cqm)
    ConcernFactory(case=old, provider=old.provider)
    new = EscalationCase.objects.get(pk=_close_and_reopen(cqm, old).pk)
    assert not case_is_restricted(new) and is_cleared_for_case(officer, new)
    assert not uncleared_case_ids(officer)
    client.force_login(officer)
    assert REASON in client.get(new.get_absolute_url()).content.decode()


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_notifications_about_a_case_that_became_restricted_are_shown_generically(client, cqm, officer):
    case = CaseFactory(level="qa", owner=officer)
    title = "Review the medication audit at Flat 3"
    deadline = deadline_services.schedule(key="t:1", kind="condition_review", case=case, title=title,
                                          due_date=timezone.localdate() + datetime.timedelta(days=1),
                                          assignee=officer)
    assert deadline_services.sweep(today=deadline.due_date)["sent"] == 1
    with transaction.atomic():
        event = record(actor=cqm, obj=case, kind="note", summary="Moved because of Flat 3 staffing")
    notify_case_team(case.pk, event.pk)
    assert Notification.objects.filter(recipient=officer, case=case).count() == 2
    assert Notification.objects.filter(recipient=cqm, case=case).count() == 1
    # While the case is unrestricted, the officer reads the messages in full.
    html = _home(client, officer)
    assert title in html and "Flat 3 staffing" in html

    ConcernFactory(safeguarding=True, case=case, provider=case.provider)  # the case is now restricted
    html = _home(client, officer)
    assert title not in html and "Flat 3" not in html
    assert html.count(f"Update on restricted case {case.reference}") == 2
    html = _home(client, cqm)  # cleared: still reads it in full
    assert "Flat 3 staffing" in html and "Update on restricted case" not in html
    # A notification about no case is shown as it was written.
    Notification.objects.create(recipient=officer, message="Your calendar link was reset")
    assert "Your calendar link was reset" in _home(client, officer)


@pytest.mark.django_db
def test_notifications_sent_before_the_case_field_are_linked_to_their_case(cqm):
    case = CaseFactory(level="qa", owner=cqm)
    deadline = deadline_services.schedule(key="t:2", kind="condition_review", case=case, title="t",
                                          due_date=timezone.localdate())
    with transaction.atomic():
        event = record(actor=cqm, obj=case, kind="note", summary="s")
    by_event = Notification.objects.create(recipient=cqm, message="m", dedupe_key=f"case-event:{event.pk}")
    by_reminder = Notification.objects.create(recipient=cqm, message="m",
                                              dedupe_key=f"reminder:{deadline.pk}:due:{deadline.due_date}")
    other = Notification.objects.create(recipient=cqm, message="m", dedupe_key="further-action:1")
    migration = importlib.import_module("accounts.migrations.0003_notification_case")
    migration.link_existing_notifications(django_apps, None)
    assert Notification.objects.get(pk=by_event.pk).case_id == case.pk
    assert Notification.objects.get(pk=by_reminder.pk).case_id == case.pk
    assert Notification.objects.get(pk=other.pk).case_id is None
