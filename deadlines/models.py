"""Deadlines are rows in the database (the source of truth), never broker countdowns."""

from django.conf import settings
from django.db import models
from django.urls import reverse


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

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self):
        return f"{self.title} (due {self.due_date:%-d %B %Y})"

    def get_absolute_url(self):
        return reverse("escalation:detail", args=[self.case_id])

    @property
    def is_live(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.EXTENDED, self.Status.MISSED)

    @property
    def status_tag(self) -> str:
        return {"open": "govuk-tag--blue", "met": "govuk-tag--green", "missed": "govuk-tag--red",
                "extended": "govuk-tag--yellow", "waived": "govuk-tag--grey"}[self.status]


class Reminder(models.Model):
    """One reminder about one deadline to one person. The unique constraint is what makes the sweep
    idempotent: running it twice, or on two workers at once, sends each reminder exactly once."""

    class Kind(models.TextChoices):
        BEFORE = "before", "Coming up"
        DUE = "due", "Due today"
        OVERDUE = "overdue", "Overdue (escalated)"

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)

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
        return f"Calendar link created {self.created_at:%-d %B %Y %H:%M}"
