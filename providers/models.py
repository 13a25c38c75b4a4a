from django.core.validators import RegexValidator
from django.db import models

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
        from django.urls import reverse

        return reverse("providers:detail", args=[self.pk])

    @property
    def placement_status_tag(self) -> str:
        return {
            PlacementStatus.OPEN: "govuk-tag--green",
            PlacementStatus.AT_RISK: "govuk-tag--orange",
            PlacementStatus.SUSPENDED: "govuk-tag--red",
            PlacementStatus.CONDITIONS: "govuk-tag--yellow",
        }[self.placement_status]
