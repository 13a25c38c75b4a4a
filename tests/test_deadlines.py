import datetime
import threading
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts import roles
from accounts.models import Notification
from deadlines import services
from deadlines.models import Deadline, Reminder
from deadlines.workingdays import add_working_days, is_working_day, working_days_between
from escalation import route_services as rs
from escalation import services as case_services
from tests.factories import CaseFactory, UserFactory

D = datetime.date
TODAY = timezone.localdate


# --- working days: England and Wales bank holidays --------------------------------------------------------

@pytest.mark.parametrize("start,days,expected", [
    (D(2026, 12, 23), 5, D(2027, 1, 4)),   # Christmas, Boxing Day (observed Mon 28th), New Year's Day
    (D(2026, 12, 24), 1, D(2026, 12, 29)),
    (D(2027, 12, 23), 2, D(2027, 12, 29)),  # 2027: Christmas and Boxing Day both observed (27th, 28th)
    (D(2026, 4, 2), 1, D(2026, 4, 7)),     # Good Friday 3 April, Easter Monday 6 April 2026
    (D(2027, 3, 25), 5, D(2027, 4, 5)),    # Easter 2027: 26 and 29 March
    (D(2026, 5, 1), 1, D(2026, 5, 5)),     # early May bank holiday, Monday 4 May 2026
    (D(2027, 4, 30), 1, D(2027, 5, 4)),    # early May bank holiday, Monday 3 May 2027
    (D(2026, 11, 23), 5, D(2026, 11, 30)),  # an ordinary week
])
def test_add_working_days(start, days, expected):
    assert add_working_days(start, days) == expected
    assert working_days_between(start, expected) == days


def test_bank_holidays_and_weekends_are_not_working_days():
    for day in (D(2026, 12, 25), D(2026, 12, 26), D(2026, 12, 28), D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4),
                D(2026, 11, 28), D(2026, 11, 29)):
        assert not is_working_day(day), day
    assert is_working_day(D(2026, 12, 29))


# --- deadlines start and are met with their events --------------------------------------------------------

@pytest.fixture
def people(db):
    return {"cqm": UserFactory(roles=[roles.CQM], email="cqm@example.gov.uk"),
            "officer": UserFactory(roles=[roles.CONTRACT_OFFICER], email="o@example.gov.uk"),
            "sprg": UserFactory(roles=[roles.SPRG_MEMBER]), "dmt": UserFactory(roles=[roles.DMT_MEMBER])}


def sprg(people, case, decision, **kw):
    return rs.record_sprg_decision(user=people["sprg"], case_id=case.pk, decision=decision, meeting_date=TODAY(),
                                   members_present="Chair", notes="Decided", **kw)


@pytest.mark.django_db
def test_route_deadlines_are_created_and_met_automatically(people):
    case = CaseFactory(level="sosg", owner=people["cqm"])
    sprg(people, case, "agree_at_risk")
    route1 = Deadline.objects.get(case=case, kind="route1_decision")
    assert route1.due_date == TODAY() + datetime.timedelta(weeks=4) and route1.assignee == people["cqm"]
    sprg(people, case, "route1_not_complied")
    route1.refresh_from_db()
    assert route1.status == "met"
    dmt = Deadline.objects.get(case=case, kind="dmt_consideration")
    assert dmt.due_date == TODAY() + datetime.timedelta(weeks=1)
    rs.write_report(user=people["cqm"], case_id=case.pk, body="Suspend")
    rs.record_dmt_decision(user=people["dmt"], case_id=case.pk, endorsed=False, rationale="More time",
                           report_version=1)
    dmt.refresh_from_db()
    assert dmt.status == "met"
    assert Deadline.objects.filter(case=case, kind="route1_decision", status="open").count() == 1


@pytest.mark.django_db
def test_plan_action_deadline_follows_the_action(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    plan = case_services.create_plan(user=people["officer"], case_id=case.pk, kind="cap", start_date=TODAY(),
                                     review_date=TODAY() + datetime.timedelta(days=28))
    item = case_services.add_action(user=people["officer"], plan_id=plan.pk, area_of_concern="Staffing",
                                    action="Recruit", owner="provider", due_date=TODAY() + datetime.timedelta(days=7))
    case_services.update_action(user=people["officer"], action_id=item.pk, status="in_progress", evidence="",
                                due_date=TODAY() + datetime.timedelta(days=14), reason="Interviews moved")
    rows = {d.due_date: d.status for d in Deadline.objects.filter(case=case, kind="plan_action")}
    assert rows == {TODAY() + datetime.timedelta(days=14): "extended"}  # moved, not duplicated
    case_services.update_action(user=people["officer"], action_id=item.pk, status="complete", evidence="Contracts",
                                due_date=TODAY() + datetime.timedelta(days=14))
    assert Deadline.objects.get(case=case, kind="plan_action", due_date=TODAY() + datetime.timedelta(days=14)
                                ).status == "met"


@pytest.mark.django_db
def test_extending_needs_a_reason_and_a_later_date(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    deadline = services.schedule(key="t:1", kind="plan_review", case=case, due_date=TODAY())
    with pytest.raises(ValidationError):
        services.extend_deadline(user=people["cqm"], deadline_id=deadline.pk, new_due_date=TODAY(), reason="x")
    with pytest.raises(ValidationError):
        services.extend_deadline(user=people["cqm"], deadline_id=deadline.pk,
                                 new_due_date=TODAY() + datetime.timedelta(days=3), reason="")
    with pytest.raises(PermissionDenied):
        services.extend_deadline(user=people["sprg"], deadline_id=deadline.pk,
                                 new_due_date=TODAY() + datetime.timedelta(days=3), reason="x")
    deadline.refresh_from_db()
    assert deadline.due_date == TODAY() and deadline.status == "open"
    services.extend_deadline(user=people["cqm"], deadline_id=deadline.pk,
                             new_due_date=TODAY() + datetime.timedelta(days=3), reason="Provider ill")
    deadline.refresh_from_db()
    assert deadline.status == "extended" and deadline.status_changed_by == people["cqm"]


# --- the sweep ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_sweep_reminds_before_on_and_after_the_due_date_exactly_once(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    soon = services.schedule(key="t:soon", kind="plan_review", case=case, due_date=add_working_days(TODAY(), 1),
                             assignee=people["officer"])
    today = services.schedule(key="t:today", kind="plan_review", case=case, due_date=TODAY(),
                              assignee=people["officer"])
    late = services.schedule(key="t:late", kind="plan_review", case=case, due_date=TODAY() - datetime.timedelta(days=1),
                             assignee=people["officer"])
    services.schedule(key="t:far", kind="plan_review", case=case, due_date=TODAY() + datetime.timedelta(days=60))
    first = services.sweep()
    second = services.sweep()
    assert first["sent"] == 4 and second["sent"] == 0  # overdue goes to the officer and the case's manager
    kinds = {(r.deadline_id, r.kind, r.recipient_id) for r in Reminder.objects.all()}
    assert kinds == {(soon.pk, "before", people["officer"].pk), (today.pk, "due", people["officer"].pk),
                     (late.pk, "overdue", people["officer"].pk), (late.pk, "overdue", people["cqm"].pk)}
    late.refresh_from_db()
    assert late.status == "missed"
    assert len(mail.outbox) == 4 and Notification.objects.count() == 4
    # One Message-ID per reminder, made from the reminder (not random), so a repeat would fold into it.
    assert sorted(m.message()["Message-ID"] for m in mail.outbox) == sorted(
        services.reminder_message_id(r) for r in Reminder.objects.all())


@pytest.mark.django_db
def test_a_broken_mail_server_means_the_reminder_is_retried_not_lost(people, monkeypatch):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    services.schedule(key="t:x", kind="plan_review", case=case, due_date=TODAY(), assignee=people["officer"])

    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP down")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with pytest.raises(ConnectionRefusedError):
        services.sweep()
    assert not Reminder.objects.exists() and not Notification.objects.exists()  # the claim was released
    monkeypatch.undo()
    assert services.sweep()["sent"] == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once():
    """Against PostgreSQL: the unique constraint decides; the loser's insert fails and it sends nothing."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    cqm = UserFactory(roles=[roles.CQM], email="cqm@example.gov.uk")
    case = CaseFactory(level="ppm", owner=cqm)
    for i in range(30):
        services.schedule(key=f"t:{i}", kind="plan_review", case=case, due_date=TODAY())
    barrier, results = threading.Barrier(2), []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(services.sweep()["sent"])
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(results) == 30
    assert Reminder.objects.count() == 30 and Notification.objects.count() == 30


def stale(reminder):
    """Make a claim look as if its sweep died longer ago than DEADLINE_REMINDER_RETRY_SECONDS."""
    Reminder.objects.filter(pk=reminder.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(seconds=settings.DEADLINE_REMINDER_RETRY_SECONDS + 1))


@pytest.mark.django_db
def test_a_claimed_reminder_is_left_to_its_sweep_and_a_stale_claim_is_sent_with_the_same_message_id(people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    deadline = services.schedule(key="t:claim", kind="plan_review", case=case, due_date=TODAY(),
                                 assignee=people["officer"])
    claim = Reminder.objects.create(deadline=deadline, kind="due", recipient=people["officer"])  # being sent
    assert services.sweep()["sent"] == 0
    assert len(mail.outbox) == 0  # another sweep holds it: not sent twice

    stale(claim)  # that sweep died before recording "sent"
    assert services.sweep()["sent"] == 1
    assert len(mail.outbox) == 1
    domain = urlsplit(settings.SITE_URL).hostname
    assert mail.outbox[0].message()["Message-ID"] == f"<reminder-{claim.pk}-due@{domain}>"
    assert Notification.objects.filter(recipient=people["officer"]).count() == 1
    claim.refresh_from_db()
    assert (claim.status, claim.attempts) == ("sent", 2) and claim.sent_at

    stale(claim)  # a sent reminder is never sent again, however old
    assert services.sweep()["sent"] == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_old_missed_deadlines_drop_out_of_the_sweep(people, django_assert_max_num_queries):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    for i in range(40):
        services.schedule(key=f"t:old:{i}", kind="plan_review", case=case,
                          due_date=TODAY() - datetime.timedelta(days=10 + i), assignee=people["officer"])
    assert services.sweep() == {"checked": 40, "sent": 80, "missed": 40}
    assert len(mail.outbox) == 80  # overdue: the officer and the case's manager
    with django_assert_max_num_queries(2):  # no per-row work: no row of the 40 is even read
        assert services.sweep() == {"checked": 0, "sent": 0, "missed": 0}
    assert len(mail.outbox) == 80
    assert Deadline.objects.filter(status="missed", sweep_done=True).count() == 40

    # A new missed deadline is checked once; extending an old one brings it back until it is done again.
    late = services.schedule(key="t:late", kind="plan_review", case=case, due_date=TODAY() - datetime.timedelta(days=1),
                             assignee=people["officer"])
    first_old = Deadline.objects.get(key="t:old:0")
    services.extend_deadline(user=people["cqm"], deadline_id=first_old.pk, new_due_date=TODAY(), reason="More time")
    assert services.sweep() == {"checked": 2, "sent": 3, "missed": 1}
    assert len(mail.outbox) == 83
    assert services.sweep()["checked"] == 1  # the extended one, due today, until it is met or missed
    late.refresh_from_db()
    assert late.sweep_done


@pytest.mark.django_db
def test_home_page_shows_my_deadlines(client, people):
    case = CaseFactory(level="ppm", owner=people["cqm"])
    services.schedule(key="t:home", kind="plan_review", case=case, due_date=TODAY() + datetime.timedelta(days=3),
                      title="Review of the CAP")
    client.force_login(people["cqm"])
    html = client.get("/").content.decode()
    assert "Your deadlines" in html and "Review of the CAP" in html and case.reference in html
