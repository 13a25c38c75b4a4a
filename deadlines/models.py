"""Deadlines are rows in the database (the source of truth), never broker countdowns."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from core.dates import long_datetime
from core.links import link


class Deadline(models.Model):
    class Kind(models.TextChoices):
        IMPROVEMENT_PLAN = "improvement_plan", "Improvement plan co-produced (5 working days after the at-risk letter)"
        ROUTE1_DECISION = "route1_decision", "Route 1 compliance decision (4 weeks)"
        DMT_CONSIDERATION = "dmt_consideration", "DMT considers the report (1 week after the SPRG decision)"
        SPRG_MONTHLY = "sprg_monthly", "SPRG monthly progress review while suspended"
        PLAN_ACTION = "plan_action", "Plan action due"
        PLAN_REVIEW = "plan_review", "Plan review"
        CONDITION_REVIEW = "condition_review", "Review of a lifting condition"
        OVERSIGHT_END = "oversight_end", "Greater initial oversight ends"
        APPEAL_DECISION = "appeal_decision", "Provider's appeal decided"
        PLACEMENT_REVIEW = "placement_review", "Review of a placed person"
        CLOSURE_PLAN = "closure_plan", "Closure plan step"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MET = "met", "Met"
        MISSED = "missed", "Missed"
        EXTENDED = "extended", "Extended"
        WAIVED = "waived", "Waived"

    key = models.CharField(max_length=120, unique=True, help_text="What starts it, so it is created once")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    title = models.CharField(max_length=300)
    case = models.ForeignKey("escalation.EscalationCase", on_delete=models.PROTECT, related_name="deadlines")
    due_date = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    status_reason = models.TextField(blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="deadlines", help_text="Who is reminded")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set by the sweep once a missed deadline is marked missed and every overdue reminder is sent: the sweep
    # then has nothing left to do for it and no longer reads it. Extending or moving it clears the flag.
    sweep_done = models.BooleanField(default=False)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"]),
            # What the sweep reads: live and not finished with. Old missed deadlines are not in it.
            models.Index(fields=["due_date"], name="deadline_to_sweep",
                         condition=models.Q(status__in=["open", "extended", "missed"], sweep_done=False)),
        ]

    def __str__(self):
        return f"{self.title} (due {self.due_date:%-d %B %Y})"

    def get_absolute_url(self):
        return link("escalation:detail", self.case_id)

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.EXTENDED, self.Status.MISSED)

    @property
    def status_tag(self) -> str:
        return {"open": "govuk-tag--blue", "met": "govuk-tag--green", "missed": "govuk-tag--red",
                "extended": "govuk-tag--yellow", "waived": "govuk-tag--grey"}[self.status]


class Reminder(models.Model):
    """One reminder about one deadline to one person. The unique constraint makes the sweep idempotent: running
    it twice, or on two workers at once, claims each reminder once. The claim ("sending", with its time) commits
    before the email is handed to the mail server and "sent" commits after, so a worker that dies in between
    leaves a visible claim that a later sweep retries once it is stale (ADR 0024)."""

    class Kind(models.TextChoices):
        BEFORE = "before", "Coming up"
        DUE = "due", "Due today"
        OVERDUE = "overdue", "Overdue (escalated)"

    class Status(models.TextChoices):
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.SENDING)
    claimed_at = models.DateTimeField(default=timezone.now, help_text="When a sweep last took it for sending")
    attempts = models.PositiveIntegerField(default=1, help_text="How many sweeps have taken it for sending")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deadline", "kind", "recipient"], name="remind_once")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.deadline}"


class CalendarFeedKey(models.Model):
    """The secret in one person's calendar feed address. Only its SHA-256 is stored: the secret itself is shown
    once, when it is created or reset. Deleting the row revokes the address (the feed then answers 404)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_key")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "calendar feed key"

    def __str__(self):
        return f"Calendar link created {long_datetime(self.created_at)}"
