"""Creating, meeting, extending and sweeping deadlines. Called inside the transaction of the action that
starts or meets them, so a deadline exists exactly when its starting event does."""

import datetime
import hashlib
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import roles
from accounts.roles import has_role
from accounts.services import email_person, notify
from audit.services import record

from .models import CalendarFeedKey, Deadline, Reminder
from .workingdays import add_working_days

LIVE = [Deadline.Status.OPEN, Deadline.Status.EXTENDED, Deadline.Status.MISSED]


def schedule(*, key: str, kind: str, case, due_date, title: str = "", assignee=None) -> Deadline:
    deadline, _ = Deadline.objects.get_or_create(key=key, defaults={
        "kind": kind, "title": title or Deadline.Kind(kind).label, "case": case, "due_date": due_date,
        "assignee": assignee or case.owner})
    return deadline


def meet(*, case, kinds, user=None, key_prefix: str = "") -> int:
    """The event a deadline waits for has been recorded: mark the live ones met."""
    qs = Deadline.objects.filter(case=case, kind__in=kinds, status__in=LIVE)
    if key_prefix:
        qs = qs.filter(key__startswith=key_prefix)
    return qs.update(status=Deadline.Status.MET, status_changed_by=user, status_changed_at=timezone.now(),
                     status_reason="Met: the event it waited for was recorded")


def waive_all_for_case(*, case, user, reason: str) -> int:
    """The case ended (closed, or the Provider Failure Policy): its live deadlines are waived, with the reason.
    Called inside the case service's transaction, which records the event on the case."""
    return Deadline.objects.filter(case=case, status__in=LIVE).update(
        status=Deadline.Status.WAIVED, status_reason=reason, status_changed_by=user, status_changed_at=timezone.now())


def move(*, case, kind, user, reason: str, new_due_date, key: str, title: str = "", key_prefix: str = "") -> Deadline:
    """A deadline was moved by a decision (Route 1 extended, an action's due date changed): the live row gets
    the new date and says 'extended', with the reason; its reminders restart. No live row: a new one."""
    qs = Deadline.objects.filter(case=case, kind=kind, status__in=LIVE)
    if key_prefix:
        qs = qs.filter(key__startswith=key_prefix)
    deadline = qs.order_by("-due_date").first()
    if deadline is None:
        return schedule(key=key, kind=kind, case=case, due_date=new_due_date, title=title)
    deadline.due_date, deadline.status, deadline.status_reason = new_due_date, Deadline.Status.EXTENDED, reason
    deadline.status_changed_by, deadline.status_changed_at = user, timezone.now()
    deadline.sweep_done = False  # the sweep watches it again
    deadline.save()
    deadline.reminders.all().delete()
    return deadline


def can_manage(user, deadline) -> bool:
    """A CQM, or the officer responsible; on a case holding restricted concerns, only if cleared for them."""
    from concerns.permissions import is_cleared_for_case

    allowed = has_role(user, roles.CQM) or (deadline.assignee_id == user.pk
                                             and has_role(user, roles.CONTRACT_OFFICER))
    return allowed and is_cleared_for_case(user, deadline.case)


def extend_deadline(*, user, deadline_id: int, new_due_date, reason: str) -> Deadline:
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the deadline is being extended"})
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().select_related("case").get(pk=deadline_id)
        if not can_manage(user, deadline):
            raise PermissionDenied("Only a CQM or the person responsible changes a deadline")
        if deadline.status not in LIVE:
            raise ValidationError({"new_due_date": f"This deadline is already {deadline.get_status_display().lower()}"})
        if new_due_date <= deadline.due_date:
            raise ValidationError({"new_due_date": "The new date must be later than the current due date"})
        old = deadline.due_date
        deadline.due_date, deadline.status = new_due_date, Deadline.Status.EXTENDED
        deadline.status_reason, deadline.status_changed_by = reason, user
        deadline.status_changed_at = timezone.now()
        deadline.sweep_done = False  # the sweep watches it again
        deadline.save()
        deadline.reminders.all().delete()  # reminders restart for the new date
        record(actor=user, obj=deadline.case, kind="deadline_extended",
               summary=f"{deadline.get_kind_display()}: extended to {new_due_date:%-d %B %Y}",
               changes={"deadline": deadline.pk, "due_date": [old, new_due_date], "reason": reason})
    return deadline


def waive_deadline(*, user, deadline_id: int, reason: str) -> Deadline:
    if not reason.strip():
        raise ValidationError({"reason": "Enter why the deadline is being waived"})
    with transaction.atomic():
        deadline = Deadline.objects.select_for_update().select_related("case").get(pk=deadline_id)
        if not has_role(user, roles.CQM) or not can_manage(user, deadline):
            raise PermissionDenied("Only a CQM waives a deadline")
        if deadline.status not in LIVE:
            raise ValidationError({"reason": f"This deadline is already {deadline.get_status_display().lower()}"})
        deadline.status, deadline.status_reason = Deadline.Status.WAIVED, reason
        deadline.status_changed_by, deadline.status_changed_at = user, timezone.now()
        deadline.save()
        record(actor=user, obj=deadline.case, kind="deadline_waived", summary=f"{deadline.get_kind_display()}: waived",
               changes={"deadline": deadline.pk, "reason": reason})
    return deadline


def reminder_message_id(reminder: Reminder) -> str:
    """The same Message-ID every time this reminder's email is sent, so a repeat folds into one in mail clients."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<reminder-{reminder.pk}-{reminder.kind}@{domain}>"


def _claim(deadline: Deadline, kind: str, recipient, *, stale_before) -> Reminder | None:
    """Take one reminder for sending, in its own transaction, committed before the email goes. None if another
    sweep holds it, it was sent, or it is claimed and not yet stale. A claim older than `stale_before` that never
    became "sent" belonged to a sweep that died: it is taken over (only one sweep can: the update re-checks the
    claim time under the row lock)."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(deadline=deadline, kind=kind, recipient=recipient)
    except IntegrityError:
        pass
    stale = Reminder.objects.filter(deadline=deadline, kind=kind, recipient=recipient,
                                    status=Reminder.Status.SENDING, claimed_at__lt=stale_before)
    if not stale.update(claimed_at=timezone.now(), attempts=F("attempts") + 1):
        return None
    return Reminder.objects.get(deadline=deadline, kind=kind, recipient=recipient)


def _remind(deadline: Deadline, kind: str, recipient, *, stale_before) -> bool:
    """Send one reminder: claim it ("sending", committed), hand the email to the mail server, then record it
    "sent" together with the in-app notification. A mail server that refuses or cannot be reached releases the
    claim, so the next sweep tries again. A worker that dies after the mail server accepted the email and before
    "sent" commits leaves the claim behind: a sweep after DEADLINE_REMINDER_RETRY_SECONDS sends it again, with
    the same Message-ID (ADR 0024)."""
    from concerns.permissions import is_cleared_for_case

    reminder = _claim(deadline, kind, recipient, stale_before=stale_before)
    if reminder is None:
        return False
    when = {"before": f"due {deadline.due_date:%-d %B %Y}", "due": "due today",
            "overdue": f"overdue since {deadline.due_date:%-d %B %Y}"}[kind]
    # A title can quote the case (an action's area, a condition): only for people cleared for it.
    title = deadline.title if is_cleared_for_case(recipient, deadline.case) else deadline.get_kind_display()
    message, link = f"{deadline.case.reference} {deadline.case.provider}: {title}, {when}", deadline.get_absolute_url()
    try:
        email_person(user=recipient, message=message, link=link,
                     headers={"Message-ID": reminder_message_id(reminder)})
    except Exception:
        Reminder.objects.filter(pk=reminder.pk, status=Reminder.Status.SENDING).delete()
        raise
    with transaction.atomic():
        notify(users=[recipient], message=message, link=link, email=False, case=deadline.case,
               dedupe_key=f"reminder:{deadline.pk}:{kind}:{deadline.due_date}")
        Reminder.objects.filter(pk=reminder.pk).update(status=Reminder.Status.SENT, sent_at=timezone.now())
    return True


def sweep(today=None) -> dict:
    """Remind before and on the due date; mark overdue ones missed and escalate them to the case's manager.
    Run it outside a transaction (the Celery task does): each reminder's claim and its "sent" commit apart.
    A missed deadline whose overdue reminders are all sent is marked `sweep_done` and is not read again."""
    today = today or timezone.localdate()
    horizon = add_working_days(today, settings.DEADLINE_REMINDER_WORKING_DAYS)
    stale_before = timezone.now() - datetime.timedelta(seconds=settings.DEADLINE_REMINDER_RETRY_SECONDS)
    counts = {"checked": 0, "sent": 0, "missed": 0}
    to_sweep = {"status__in": LIVE, "sweep_done": False, "due_date__lte": horizon}
    due = (Deadline.objects.filter(**to_sweep)
           .select_related("case__provider", "case__owner", "assignee").order_by("due_date", "id"))
    # What was already sent needs no round trip each; a claim ("sending") is looked at again in case it is stale.
    # The unique constraint still decides races.
    already = set(Reminder.objects.filter(status=Reminder.Status.SENT,
                                          **{f"deadline__{k}": v for k, v in to_sweep.items()})
                  .values_list("deadline_id", "kind", "recipient_id"))
    for deadline in due.iterator(chunk_size=500):
        counts["checked"] += 1
        if deadline.due_date < today:
            if deadline.status != Deadline.Status.MISSED:
                counts["missed"] += Deadline.objects.filter(pk=deadline.pk, status__in=LIVE).exclude(
                    status=Deadline.Status.MISSED).update(status=Deadline.Status.MISSED,
                                                           status_changed_at=timezone.now(),
                                                           status_reason="Not met by the due date")
            kind, recipients = "overdue", {deadline.assignee, deadline.case.owner}
        else:
            kind = "due" if deadline.due_date == today else "before"
            recipients = {deadline.assignee}
        all_sent = True
        for recipient in filter(None, recipients):
            if (deadline.pk, kind, recipient.pk) not in already:
                sent = _remind(deadline, kind, recipient, stale_before=stale_before)
                counts["sent"] += sent
                all_sent = all_sent and sent  # not sent here: another sweep holds its claim, look again later
        if kind == "overdue" and all_sent:
            # Missed, and every overdue reminder sent: nothing is left to do, so the sweep stops reading it (until
            # it is extended or moved). Only while it is still missed on that date, so a change made meanwhile
            # is not undone.
            Deadline.objects.filter(pk=deadline.pk, status=Deadline.Status.MISSED,
                                    due_date=deadline.due_date).update(sweep_done=True)
    return counts


def due_for(user, *, days: int = 14):
    """A person's own deadlines (responsible, or the case's manager) that are overdue or due soon."""
    import datetime

    from django.db.models import Q

    horizon = timezone.localdate() + datetime.timedelta(days=days)
    return (Deadline.objects.filter(Q(assignee=user) | Q(case__owner=user), status__in=LIVE, due_date__lte=horizon)
            .select_related("case__provider").order_by("due_date"))


# --- calendar feed links -------------------------------------------------------------------------------------

def hash_calendar_secret(secret: str) -> str:
    """Only this SHA-256 is stored. The secret has 256 random bits, so a fast hash is enough: there is nothing
    to guess from it, and the feed looks the hash up directly (no comparison loop to time)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def may_have_calendar(user) -> bool:
    return bool(getattr(user, "is_active", False) and roles.roles_of(user))


def reset_calendar_link(*, user) -> str:
    """Create the person's calendar secret, or replace it (the old address stops working at once). Returns the
    new secret: it is shown once, on the page that answers this request, and never stored in clear."""
    if not may_have_calendar(user):
        raise PermissionDenied("Only a person with a role has a calendar link")
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced, _ = CalendarFeedKey.objects.filter(user=user).delete()
        CalendarFeedKey.objects.create(user=user, key_hash=hash_calendar_secret(secret))
        record(actor=user, obj=user, kind="calendar_link_reset" if replaced else "calendar_link_created",
               summary="Calendar link reset: the old address stopped working" if replaced
               else "Calendar link created")
    return secret


def revoke_calendar_link(*, user, reason: str, actor=None) -> bool:
    """Delete the person's calendar secret, so their feed address answers 404. True if there was one."""
    with transaction.atomic():
        deleted, _ = CalendarFeedKey.objects.filter(user=user).delete()
        if deleted:
            record(actor=actor, obj=user, kind="calendar_link_revoked", summary=f"Calendar link revoked: {reason}")
    return bool(deleted)


def calendar_user(secret: str):
    """The active person with a role whose feed address carries `secret`, or None. A key whose owner has
    since been deactivated or lost every role (by a bulk update that sent no signal) is revoked here."""
    key = CalendarFeedKey.objects.select_related("user").filter(key_hash=hash_calendar_secret(secret)).first()
    if key is None:
        return None
    if not may_have_calendar(key.user):
        revoke_calendar_link(user=key.user, reason="the person is inactive or has no role")
        return None
    return key.user
