"""What a provider sends the council through the providers' portal, and the council's answer (docs/process.md,
"Providers' updates and appeals"): updates on plan actions, and appeals against a suspension of placements."""

from django.conf import settings
from django.db import models
from django.urls import reverse

from core.models import CheckedUpload


class ActionUpdate(models.Model):
    """A provider contact's update on one action of a DAP/CAP or improvement plan. The council accepts it (the
    progress is then recorded on the action by the escalation service that records progress) or queries it with
    a question the provider reads and answers with a new update."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the council"
        ACCEPTED = "accepted", "Accepted"
        QUERIED = "queried", "Queried"

    class ProposedStatus(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"

    case = models.ForeignKey("escalation.EscalationCase", on_delete=models.PROTECT, related_name="action_updates")
    action = models.ForeignKey("escalation.PlanAction", on_delete=models.PROTECT, related_name="provider_updates")
    progress = models.TextField()
    proposed_status = models.CharField(max_length=12, choices=ProposedStatus.choices,
                                       help_text="Where the provider says the action now stands")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(auto_now_add=True)
    question = models.TextField(blank=True, help_text="The council's question, when it queried the update")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["case", "status"])]

    def __str__(self):
        return f"Provider's update on plan action {self.action_id}"

    def get_absolute_url(self):
        return reverse("replies:update_detail", args=[self.pk])

    @property
    def status_tag(self) -> str:
        return {"pending": "govuk-tag--blue", "accepted": "govuk-tag--green", "queried": "govuk-tag--orange"}[
            self.status]


class ActionUpdateEvidence(CheckedUpload):
    update = models.ForeignKey(ActionUpdate, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="replies/updates/%Y/%m/")


class Appeal(models.Model):
    """A provider's appeal against a suspension of placements: lodged within the window after the suspension came
    into force, decided by a senior officer who took no part in the decision (replies.services.took_part_in)."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        UPHELD = "upheld", "Decision upheld: the suspension stands"
        ALLOWED = "allowed", "Appeal allowed"

    case = models.ForeignKey("escalation.EscalationCase", on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey("escalation.DecisionReport", on_delete=models.PROTECT, related_name="appeals",
                                 help_text="The suspension report whose sign-off put the suspension in force")
    decision_in_force_on = models.DateField()
    window_closes_on = models.DateField()
    grounds = models.TextField()
    lodged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lodged_at = models.DateTimeField(auto_now_add=True)
    decide_by = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    reasons = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    letter = models.OneToOneField("letters.Letter", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="appeal", help_text="The outcome letter, drafted on decision")

    class Meta:
        ordering = ["-lodged_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["decision"], condition=models.Q(status="open"),
                                    name="one_open_appeal_per_decision"),
        ]

    def __str__(self):
        return f"Appeal against the suspension ({self.case.reference})" if self.case_id else "Appeal"

    def get_absolute_url(self):
        return reverse("replies:appeal_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def status_tag(self) -> str:
        return {"open": "govuk-tag--blue", "upheld": "govuk-tag--red", "allowed": "govuk-tag--green"}[self.status]


class AppealEvidence(CheckedUpload):
    appeal = models.ForeignKey(Appeal, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="replies/appeals/%Y/%m/")
