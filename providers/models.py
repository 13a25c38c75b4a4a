from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.links import link
from core.models import BackgroundJobProgress

cqc_location_id_validator = RegexValidator(
    r"^1-\d{6,12}$", "Enter a CQC location ID in the format 1-123456789"
)


class PlacementStatus(models.TextChoices):
    """Whether the council is placing new residents with the provider (docs/process.md, section 4)."""

    OPEN = "open", "Open to placements"
    AT_RISK = "at_risk", "At risk of suspension"
    SUSPENDED = "suspended", "Placements suspended"
    CONDITIONS = "conditions", "Open with conditions"


class Provider(models.Model):
    """A registered care location the council commissions from (one row per CQC location)."""

    cqc_location_id = models.CharField(
        "CQC location ID", max_length=20, unique=True, validators=[cqc_location_id_validator]
    )
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300)
    town = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=10)
    service_types = models.CharField(max_length=300, blank=True)
    registered_manager = models.CharField(max_length=200, blank=True)
    placement_status = models.CharField(
        max_length=20, choices=PlacementStatus.choices, default=PlacementStatus.OPEN, editable=False
    )
    placement_status_since = models.DateField(null=True, blank=True, editable=False)
    placement_decision = models.CharField(max_length=300, blank=True, editable=False,
                                          help_text="The decision behind the current placement status")
    placement_case = models.ForeignKey("escalation.EscalationCase", null=True, blank=True, editable=False,
                                       on_delete=models.PROTECT, related_name="+")
    provider_failure_flagged_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["town"]), models.Index(fields=["postcode"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return link("providers:detail", self.pk)

    @property
    def placement_status_tag(self) -> str:
        return {
            PlacementStatus.OPEN: "govuk-tag--green",
            PlacementStatus.AT_RISK: "govuk-tag--orange",
            PlacementStatus.SUSPENDED: "govuk-tag--red",
            PlacementStatus.CONDITIONS: "govuk-tag--yellow",
        }[self.placement_status]


class ImportJob(BackgroundJobProgress, models.Model):
    """One CSV import of the provider register, run by a Celery worker (providers.tasks.run_import): the file
    waits here until a worker checks it, the page shows its progress, then its result. All or nothing (ADR 0009)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        CHECKING = "checking", "Checking the rows"
        SAVING = "saving", "Saving the providers"
        DONE = "done", "Imported"
        REFUSED = "refused", "Errors in the file"
        FAILED = "failed", "Stopped"

    RUNNING = (Status.QUEUED, Status.CHECKING, Status.SAVING)

    file_name = models.CharField(max_length=255)
    content = models.BinaryField(editable=False, help_text="The uploaded file, kept only until the import ends")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, editable=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    file_errors = models.JSONField(default=list, blank=True)
    row_errors = models.JSONField(default=list, blank=True,
                                  help_text="One entry a row with errors: line, location ID, name and messages")
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Import of {self.file_name}"

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("providers:import_job", args=[self.pk])


class ProviderContact(models.Model):
    """A named person at a provider who may sign in to the providers' portal for that provider.

    One row per person per provider: a manager of three homes has three rows, and sees those three homes only.
    The person signs in with an ordinary user account that has no staff role (roles are Django groups), so no
    staff rule ever lets them in; the portal's boundary middleware keeps them inside the portal as a second wall.
    """

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="contacts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="provider_contacts",
                             help_text="The portal sign-in, made when the contact is invited")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    job_title = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True, help_text="An inactive contact can no longer sign in for this "
                                                            "provider")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["provider__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "email"], name="one_contact_per_email_per_provider"),
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"
