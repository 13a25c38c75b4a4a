"""The database itself refuses to change or delete audit events, state-change logs and issued letters
(ADR 0020), and the app's database role cannot switch that off."""

import datetime

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django_fsm_log.models import StateLog

from accounts import roles
from audit.models import EVENT_MESSAGE, STATE_LOG_MESSAGE, Event
from audit.services import record
from letters import services as letters
from letters.models import Letter
from tests.factories import CaseFactory, ConcernFactory, UserFactory

pytestmark = pytest.mark.django_db


def run(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def refused(sql, params=()) -> str:
    """Run `sql` in a savepoint; return the database's error message (fails the test if it was allowed)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        run(sql, params)
    return str(caught.value)


@pytest.fixture
def event(db):
    user = UserFactory()
    with transaction.atomic():
        return record(actor=user, obj=user, kind="test", summary="Something happened")


def test_an_audit_event_cannot_be_updated_or_deleted_in_sql(event):
    assert EVENT_MESSAGE in refused("UPDATE audit_event SET summary = 'rewritten' WHERE id = %s", [event.pk])
    assert EVENT_MESSAGE in refused("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert EVENT_MESSAGE in refused("DELETE FROM audit_event")
    assert Event.objects.get(pk=event.pk).summary == "Something happened"


def test_the_pgtrigger_session_switch_does_not_turn_the_audit_trigger_off(event):
    run("SET LOCAL pgtrigger.ignore = '{pgtrigger_audit_event_append_only_f64b1}'")
    assert EVENT_MESSAGE in refused("DELETE FROM audit_event WHERE id = %s", [event.pk])
    assert Event.objects.filter(pk=event.pk).exists()


def test_a_state_change_log_cannot_be_updated_or_deleted_in_sql():
    concern = ConcernFactory()
    log = StateLog.objects.create(content_object=concern, source_state="received", state="routed",
                                  transition="route")
    assert STATE_LOG_MESSAGE in refused("UPDATE django_fsm_log_statelog SET state = 'x' WHERE id = %s", [log.pk])
    assert STATE_LOG_MESSAGE in refused("DELETE FROM django_fsm_log_statelog WHERE id = %s", [log.pk])
    assert StateLog.objects.get(pk=log.pk).state == "routed"


@pytest.fixture
def cqm(db):
    return UserFactory(roles=[roles.CQM])


def _draft(cqm):
    case = CaseFactory(level="sosg", owner=cqm)
    return letters.create_draft(user=cqm, case_id=case.pk, kind="at_risk", addressee="Jo Bloggs\n1 High St\nNF1 1AA",
                                free_text="Medication errors on two units.")


def test_a_draft_letter_may_be_changed_and_deleted_in_sql(cqm):
    draft = _draft(cqm)
    assert run("UPDATE letters_letter SET free_text = 'Changed' WHERE id = %s", [draft.pk]) == 1
    assert run("DELETE FROM letters_letter WHERE id = %s", [draft.pk]) == 1


def test_an_issued_letter_keeps_its_content_and_is_never_deleted(cqm):
    letter = letters.issue_letter(user=cqm, letter_id=_draft(cqm).pk)  # the .update() from draft still works
    assert letter.status == "issued" and letter.sha256
    for column, value in [("free_text", "Rewritten"), ("addressee", "Someone else"), ("sha256", "0" * 64),
                          ("pdf", "letters/other.pdf"), ("reference", "LTR-OTHER")]:
        message = refused(f"UPDATE letters_letter SET {column} = %s WHERE id = %s", [value, letter.pk])  # noqa: S608
        assert "has been issued: it is never changed" in message
    assert "cannot go from issued to draft" in refused(
        "UPDATE letters_letter SET status = 'draft' WHERE id = %s", [letter.pk])
    assert "the withdrawal is recorded only when it is withdrawn" in refused(
        "UPDATE letters_letter SET withdrawn_reason = 'x' WHERE id = %s", [letter.pk])
    assert "it is never deleted" in refused("DELETE FROM letters_letter WHERE id = %s", [letter.pk])
    fresh = Letter.objects.get(pk=letter.pk)
    assert (fresh.free_text, fresh.sha256, fresh.status) == (letter.free_text, letter.sha256, "issued")


def test_the_delivery_date_is_recorded_once_and_the_withdrawal_once(cqm):
    letter = letters.issue_letter(user=cqm, letter_id=_draft(cqm).pk)
    letters.record_delivery(user=cqm, letter_id=letter.pk, delivered_on=timezone.localdate())
    assert "already has a delivery date" in refused(
        "UPDATE letters_letter SET delivered_on = %s WHERE id = %s",
        [timezone.localdate() - datetime.timedelta(days=1), letter.pk])
    letters.withdraw_letter(user=cqm, letter_id=letter.pk, reason="Wrong address")
    withdrawn = Letter.objects.get(pk=letter.pk)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_reason == "Wrong address"
    assert "cannot go from withdrawn to issued" in refused(
        "UPDATE letters_letter SET status = 'issued' WHERE id = %s", [letter.pk])
    assert "the withdrawal is recorded only when it is withdrawn" in refused(
        "UPDATE letters_letter SET withdrawn_reason = 'Another reason' WHERE id = %s", [letter.pk])
    assert "it is never deleted" in refused("DELETE FROM letters_letter WHERE id = %s", [letter.pk])


# The SQL ADR 0020 gives for production, run here against the test database with a throwaway role.
APP_ROLE = "pc_app_role_test"
GRANTS = [
    f"CREATE ROLE {APP_ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOINHERIT",
    f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}",
    f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}",
    f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}",
]


def test_the_app_role_can_write_events_but_not_change_them_nor_switch_the_triggers_off(event):
    for statement in GRANTS:  # inside the test's transaction: the role goes when the test ends
        run(statement)
    run(f"SET LOCAL ROLE {APP_ROLE}")
    try:
        run("INSERT INTO audit_event (at, kind, content_type_id, object_id, object_repr, summary, changes) "
            "SELECT now(), 'role_test', content_type_id, object_id, object_repr, 'written by the app role', '{}' "
            "FROM audit_event WHERE id = %s", [event.pk])
        assert Event.objects.filter(kind="role_test").count() == 1
        assert EVENT_MESSAGE in refused("UPDATE audit_event SET summary = 'x' WHERE kind = 'role_test'")
        assert EVENT_MESSAGE in refused("DELETE FROM audit_event WHERE kind = 'role_test'")
        assert "must be owner of table audit_event" in refused("ALTER TABLE audit_event DISABLE TRIGGER ALL")
        assert "must be owner of table letters_letter" in refused("ALTER TABLE letters_letter DISABLE TRIGGER ALL")
        assert "permission denied" in refused("TRUNCATE audit_event CASCADE")
        assert "permission denied" in refused("SET session_replication_role = replica")
        assert "must be owner of relation audit_event" in refused(
            "DROP TRIGGER pgtrigger_audit_event_append_only_f64b1 ON audit_event")
        assert "permission denied for schema public" in refused(
            "CREATE OR REPLACE FUNCTION pgtrigger_audit_event_append_only_f64b1() RETURNS TRIGGER AS "
            "'BEGIN RETURN OLD; END;' LANGUAGE plpgsql")
    finally:
        run("RESET ROLE")
    assert Event.objects.filter(kind="role_test").count() == 1


def test_the_app_model_guards_still_refuse_before_the_database_does(event):
    from audit.models import ImmutableError

    with pytest.raises(ImmutableError):
        event.delete()
