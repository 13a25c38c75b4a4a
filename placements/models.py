"""People placed with a provider (by reference only, never by name), their reviews when placements are suspended,
closure plans when a provider fails, and the register of suspensions and at-risk decisions (docs/process.md,
"People placed, closure plans and the register"; ADR 0029)."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django_fsm_log.models import StateLog

from escalation.models import EscalationCase
from providers.models import Provider

#: A placement reference: 3 to 30 letters, digits and hyphens, starting with a letter or a digit (the care
#: management system's person or service reference, e.g. "CM-104233"). Stored in capitals.
REFERENCE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{2,29}$"
REFERENCE_MESSAGE = ("A reference is 3 to 30 letters, digits and hyphens, starting with a letter or a digit, "
                     "for example CM-104233")
reference_validator = RegexValidator(REFERENCE_PATTERN, REFERENCE_MESSAGE)


class PlacingAuthority(models.Model):
    """A council (or other body) that places people with providers: the council itself and its neighbours."""

    name = models.CharField(max_length=120, unique=True)
    code = models.CharField(max_length=12, unique=True, help_text="Short code used in import files, e.g. NFC")
    is_this_council = models.BooleanField(default=False, help_text="The council running this application")

    class Meta:
        ordering = ["-is_this_council", "name"]
        verbose_name_plural = "placing authorities"

    def __str__(self):
        return self.name


class FundingType(models.TextChoices):
    COUNCIL = "council", "Council-funded"
    OTHER_COUNCIL = "other_council", "Funded by another council"
    NHS_CHC = "nhs_chc", "NHS Continuing Healthcare"
    SELF_FUNDER = "self_funder", "Self-funder"
    JOINT = "joint", "Joint funding"


class PlacementQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ended_on__isnull=True)


class Placement(models.Model):
    """One person living at or supported by a provider, known by a reference, never by name."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="placements")
    reference = models.CharField(max_length=30, validators=[reference_validator])
    placing_authority = models.ForeignKey(PlacingAuthority, on_delete=models.PROTECT, related_name="placements")
    funding = models.CharField("Funding type", max_length=16, choices=FundingType.choices)
    ended_on = models.DateField(null=True, blank=True, help_text="Moved out (recorded through a closure plan)")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [models.UniqueConstraint(fields=["provider", "reference"], name="placement_reference_once")]

    def __str__(self):
        return self.reference


class ReviewStatus(models.TextChoices):
    OUTSTANDING = "outstanding", "Outstanding"
    REVIEWED = "reviewed", "Reviewed"


class Advocacy(models.TextChoices):
    HAS_ADVOCATE = "has_advocate", "Already has an advocate"
    OFFERED = "offered", "Advocacy offered"
    NEEDED = "needed", "Needed: referral made"
    NOT_NEEDED = "not_needed", "Not needed"


class FamilyContact(models.TextChoices):
    CONTACTED = "contacted", "Family or representative contacted"
    NONE = "none", "No family or representative"
    DECLINED = "declined", "The person asked us not to"


class Wishes(models.TextChoices):
    STAY = "stay", "Wants to stay"
    MOVE = "move", "Wants to move"
    UNDECIDED = "undecided", "Undecided, or could not say"


class PlacementReview(models.Model):
    """A review of one person placed with a provider whose placements are suspended, for one suspension episode
    (the episode is the route log row that started it: an SPRG 'at risk' or urgent Route 2 decision)."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="reviews")
    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="placement_reviews")
    episode_start = models.ForeignKey(StateLog, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="placement_reviews")
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.OUTSTANDING)
    reviewed_on = models.DateField(null=True, blank=True)
    welfare_checked = models.BooleanField(null=True)
    advocacy = models.CharField(max_length=16, choices=Advocacy.choices, blank=True)
    family_contact = models.CharField("Family or representative", max_length=12, choices=FamilyContact.choices,
                                      blank=True)
    wishes = models.CharField(max_length=12, choices=Wishes.choices, blank=True)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["placement__reference"]
        constraints = [models.UniqueConstraint(fields=["placement", "episode_start"],
                                               name="one_review_per_placement_per_episode")]

    def __str__(self):
        return f"Review of {self.placement}"

    @property
    def is_overdue(self) -> bool:
        return self.status == ReviewStatus.OUTSTANDING and self.due_date < timezone.localdate()


class RegisterEntry(models.Model):
    """What a CQM records about one episode of the register of suspensions and at-risk decisions. The dates and
    route come from the case's route log; this holds the words. The public summary is only ever what a person
    typed into it."""

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="register_entries")
    episode_start = models.OneToOneField(StateLog, on_delete=models.PROTECT, related_name="+")
    public_summary = models.TextField(blank=True)
    internal_detail = models.TextField(blank=True)
    made_public = models.BooleanField(default=False)
    made_public_on = models.DateField(null=True, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "register entries"

    def __str__(self):
        return f"Register entry for {self.case}"


class ClosurePlan(models.Model):
    """The council's plan for the people placed with a provider that failed or is closing: where each person
    goes, which other placing authorities were told, and its deadlines."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    case = models.OneToOneField(EscalationCase, on_delete=models.PROTECT, related_name="closure_plan")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="closure_plans")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Closure plan for {self.provider}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class ResidentStatus(models.TextChoices):
    STAYING = "staying", "Staying (the service carries on under new management)"
    MOVING = "moving", "Moving"
    MOVED = "moved", "Moved"


class ClosureResident(models.Model):
    plan = models.ForeignKey(ClosurePlan, on_delete=models.PROTECT, related_name="residents")
    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=8, choices=ResidentStatus.choices, default=ResidentStatus.MOVING)
    move_date = models.DateField(null=True, blank=True)
    new_provider = models.ForeignKey(Provider, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    new_provider_elsewhere = models.CharField("New provider outside the register", max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["placement__reference"]
        constraints = [models.UniqueConstraint(fields=["plan", "placement"], name="one_row_per_resident")]

    def __str__(self):
        return f"{self.placement} ({self.get_status_display()})"

    @property
    def move_recorded(self) -> bool:
        """Staying, or moved with a date and a new provider: what closing the plan asks of every row."""
        if self.status == ResidentStatus.STAYING:
            return True
        return (self.status == ResidentStatus.MOVED and self.move_date is not None
                and bool(self.new_provider_id or self.new_provider_elsewhere.strip()))

    @property
    def new_provider_name(self) -> str:
        return str(self.new_provider) if self.new_provider_id else self.new_provider_elsewhere


class AuthorityNotice(models.Model):
    """One placing authority (other than this council) with people at the provider, told of the closure plan."""

    plan = models.ForeignKey(ClosurePlan, on_delete=models.PROTECT, related_name="notices")
    authority = models.ForeignKey(PlacingAuthority, on_delete=models.PROTECT, related_name="+")
    notified_on = models.DateField(null=True, blank=True)
    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    class Meta:
        ordering = ["authority__name"]
        constraints = [models.UniqueConstraint(fields=["plan", "authority"], name="notify_authority_once")]

    def __str__(self):
        return f"{self.authority} ({'notified' if self.notified_on else 'not yet notified'})"
