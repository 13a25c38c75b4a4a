from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by

from core.dates import long_date
from core.links import link
from core.models import CheckedUpload
from core.rules import transition_permission
from providers.models import Provider

from . import permissions as perms


class RiskLevel(models.TextChoices):
    """The five levels of the risk assessment matrix (docs/process.md section 2), lowest first."""

    NORMAL = "normal", "Normal contract monitoring"
    QA = "qa", "Quality assurance meeting"
    PPM = "ppm", "Provider performance meeting (PPM)"
    JIMP = "jimp", "Joint inter-agency monitoring panel (JIMP)"
    SOSG = "sosg", "Service operations support group (SOSG)"

    @classmethod
    def rank(cls, value) -> int:
        return _RISK_RANK[value]


_RISK_RANK = {value: i for i, value in enumerate(RiskLevel.values)}  # asked thousands of times a page

ENGAGEMENT_SCORES = range(0, 5)
IMPACT_SCORES = range(0, 6)

# docs/process.md section 2: the default matrix (the council's procedure names the levels, not the cells).
DEFAULT_MATRIX = {
    0: ["normal", "normal", "qa", "ppm", "jimp", "sosg"],
    1: ["normal", "qa", "qa", "ppm", "jimp", "sosg"],
    2: ["qa", "qa", "ppm", "ppm", "jimp", "sosg"],
    3: ["qa", "ppm", "ppm", "jimp", "sosg", "sosg"],
    4: ["ppm", "ppm", "jimp", "jimp", "sosg", "sosg"],
}


def cell_key(engagement: int, impact: int) -> str:
    return f"{engagement},{impact}"


def default_cells() -> dict:
    return {cell_key(e, i): DEFAULT_MATRIX[e][i] for e in ENGAGEMENT_SCORES for i in IMPACT_SCORES}


class RiskMatrix(models.Model):
    """One version of the engagement x impact matrix. Never edited: a change is a new version."""

    version = models.PositiveIntegerField(unique=True)
    cells = models.JSONField(help_text='{"engagement,impact": level}')
    note = models.CharField("Why this version", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "risk matrices"

    def __str__(self):
        return f"Risk matrix version {self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A risk matrix version is never changed; create a new version.")
        self.full_clean(exclude=["created_by"])
        super().save(*args, **kwargs)

    def clean(self):
        expected = {cell_key(e, i) for e in ENGAGEMENT_SCORES for i in IMPACT_SCORES}
        if set(self.cells or {}) != expected:
            raise ValidationError("The matrix needs a level for every engagement and impact score")
        if any(v not in RiskLevel.values for v in self.cells.values()):
            raise ValidationError("Every cell must be one of the five levels")

    def level_for(self, engagement: int, impact: int) -> str:
        return self.cells[cell_key(engagement, impact)]

    def rows(self):
        """[(engagement, [RiskLevel, ...]), ...] for showing the matrix as a table."""
        return [(e, [RiskLevel(self.level_for(e, i)) for i in IMPACT_SCORES]) for e in ENGAGEMENT_SCORES]

    @classmethod
    def current(cls) -> "RiskMatrix":
        return cls.objects.order_by("-version").first()


class JqmmMeeting(models.Model):
    """A Joint Quality Management Meeting: concerns are queued onto its agenda (docs/process.md section 1)."""

    meeting_date = models.DateField(unique=True)
    location = models.CharField(max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_date"]
        verbose_name = "JQMM"

    def __str__(self):
        return f"JQMM {self.meeting_date:%-d %B %Y}"

    def get_absolute_url(self):
        return link("concerns:jqmm_detail", self.pk)


class ConcernQuerySet(models.QuerySet):
    def open(self):
        """Concerns still being worked (Concern.OPEN_STATES)."""
        return self.filter(state__in=Concern.OPEN_STATES)

    def closed(self):
        """Concerns closed with no further action."""
        return self.exclude(state__in=Concern.OPEN_STATES)


class Concern(ConcurrentTransitionMixin, models.Model):
    """A concern about a provider, from receipt to routing (docs/process.md section 1)."""

    class Source(models.TextChoices):
        SAFEGUARDING = "safeguarding", "Safeguarding"
        CONTRACTS = "contracts", "Contracts"
        COMPLAINTS = "complaints", "Complaints"
        INTERNAL = "internal", "Internal"

    class State(models.TextChoices):
        AWAITING_ADVICE = "awaiting_advice", "Waiting for safeguarding advice"
        AWAITING_ROUTING = "awaiting_routing", "Waiting for routing"
        ON_JQMM_AGENDA = "on_jqmm_agenda", "On the JQMM agenda"
        FURTHER_ACTION = "further_action", "Further action"
        NO_FURTHER_ACTION = "no_further_action", "No further action"
        CLOSED = "closed", "Closed after further action"

    # The one rule for an open concern: every state but "no further action" and "closed after further action" (a
    # concern sent to further action is open while it is acted on: it closes with its case, or by a CQM's decision
    # when it was dealt with without one). Concern.objects.open() / .closed() and concern.is_open are this rule.
    OPEN_STATES = [State.AWAITING_ADVICE, State.AWAITING_ROUTING, State.ON_JQMM_AGENDA, State.FURTHER_ACTION]

    reference = models.CharField(max_length=20, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="concerns")
    source = models.CharField(max_length=20, choices=Source.choices)
    received_on = models.DateField("Date received")
    raised_by = models.CharField("Who raised it", max_length=200)
    description = models.TextField("What happened")
    people_affected = models.PositiveIntegerField("How many people are affected")
    care_management_refs = models.JSONField("Care management reference numbers", default=list, blank=True)
    safety_concern = models.BooleanField("Concern for the safety of individuals")
    position_of_trust = models.BooleanField("Concern about someone in a position of trust")
    referral_uncertain = models.BooleanField("Unsure whether it should be a safeguarding referral")
    restricted = models.BooleanField(default=False, editable=False)
    shared_with = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="shared_concerns")

    state = FSMField(max_length=30, choices=State.choices, default=State.AWAITING_ROUTING, protected=True)
    jqmm = models.ForeignKey(JqmmMeeting, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda")
    case = models.ForeignKey("escalation.EscalationCase", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="concerns")
    further_action_reason = models.TextField(blank=True)
    outcome_notes = models.TextField(blank=True)
    closing_notes = models.TextField(blank=True, help_text="How the further action ended")
    routed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    routed_at = models.DateTimeField(null=True, blank=True)
    outcome_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="logged_concerns")
    logged_at = models.DateTimeField(auto_now_add=True)

    objects = ConcernQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["state"]), models.Index(fields=["provider", "state"]),
                   models.Index(fields=["-received_on", "-id"], name="concern_newest_first")]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return link("concerns:detail", self.pk)

    @property
    def is_open(self) -> bool:
        """The OPEN_STATES rule for one concern in memory."""
        return self.state in self.OPEN_STATES

    @property
    def safeguarding_flags(self) -> bool:
        return self.safety_concern or self.position_of_trust or self.referral_uncertain

    @property
    def state_tag(self) -> str:
        return {
            self.State.AWAITING_ADVICE: "govuk-tag--red",
            self.State.AWAITING_ROUTING: "govuk-tag--yellow",
            self.State.ON_JQMM_AGENDA: "govuk-tag--blue",
            self.State.FURTHER_ACTION: "govuk-tag--orange",
            self.State.NO_FURTHER_ACTION: "govuk-tag--grey",
            self.State.CLOSED: "govuk-tag--grey",
        }[self.state]

    # --- transitions (state only; services do the rest) -------------------------------------

    @fsm_log_by
    @transition(field=state, source=State.AWAITING_ADVICE, target=State.AWAITING_ROUTING,
                permission=transition_permission(perms.can_record_advice))
    def advice_recorded(self, *, by=None):
        """Safeguarding advice sought and recorded: the concern may now be routed (docs/process.md section 1)."""

    @fsm_log_by
    @transition(field=state, source=State.AWAITING_ROUTING, target=State.ON_JQMM_AGENDA,
                permission=transition_permission(perms.can_route))
    def queue_for_jqmm(self, *, meeting, by=None):
        self.jqmm = meeting

    @fsm_log_by
    @transition(field=state, source=State.AWAITING_ROUTING, target=State.FURTHER_ACTION,
                permission=transition_permission(perms.can_route))
    def send_to_further_action(self, *, reason, by=None):
        """The issue cannot wait for the next JQMM (docs/process.md section 1, routing)."""
        self.further_action_reason = reason

    @fsm_log_by
    @transition(field=state, source=State.ON_JQMM_AGENDA, target=State.FURTHER_ACTION,
                permission=transition_permission(perms.can_record_jqmm_outcome))
    def jqmm_further_action(self, *, notes, by=None):
        self.outcome_notes = notes

    @fsm_log_by
    @transition(field=state, source=State.ON_JQMM_AGENDA, target=State.NO_FURTHER_ACTION,
                permission=transition_permission(perms.can_record_jqmm_outcome))
    def jqmm_no_further_action(self, *, notes, by=None):
        self.outcome_notes = notes

    @fsm_log_by
    @transition(field=state, source=State.FURTHER_ACTION, target=State.CLOSED)
    def close_after_further_action(self, *, notes, by=None):
        """The further action has ended: its case closed, or a CQM recorded how it was dealt with without one.
        The services check who may (a case's closing is checked by the case's own rule)."""
        self.closing_notes = notes


class EvidenceFile(CheckedUpload):
    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to="evidence/%Y/%m/")

    class Meta:
        ordering = ["uploaded_at"]


class SafeguardingAdvice(models.Model):
    """'Safeguarding advice sought': who gave it, when, and what they advised."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="advice")
    adviser = models.CharField("Who gave the advice", max_length=200)
    advised_on = models.DateField("Date the advice was given")
    advice = models.TextField("Advice given")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["advised_on", "recorded_at"]
        verbose_name_plural = "safeguarding advice"

    def __str__(self):
        return f"Advice on {self.concern} from {self.adviser}"


class SameDayMonitoring(models.Model):
    """Same-day monitoring started because the risk requires it (docs/process.md section 1, routing)."""

    concern = models.ForeignKey(Concern, on_delete=models.PROTECT, related_name="monitoring")
    monitoring_date = models.DateField("Date of monitoring")
    carried_out_by = models.CharField("Who is carrying it out", max_length=200)
    note = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["monitoring_date"]

    def __str__(self):
        return f"Same-day monitoring of {self.concern.provider} on {long_date(self.monitoring_date)}"


class RiskAssessment(models.Model):
    """Engagement x impact at a point in time; history is kept, never edited (docs/process.md section 2)."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="risk_assessments")
    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="risk_assessments")
    engagement = models.PositiveSmallIntegerField(choices=[(s, str(s)) for s in ENGAGEMENT_SCORES])
    impact = models.PositiveSmallIntegerField(choices=[(s, str(s)) for s in IMPACT_SCORES])
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.PROTECT, related_name="assessments")
    recommended_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    override_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    assessed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        # A provider's newest first: its page, and its latest level on the register (read for every provider
        # when the register is sorted by it).
        indexes = [models.Index(fields=["provider", "-assessed_at", "-id"], name="risk_newest_per_provider")]
        constraints = [
            models.CheckConstraint(condition=models.Q(engagement__lte=4), name="engagement_0_to_4"),
            models.CheckConstraint(condition=models.Q(impact__lte=5), name="impact_0_to_5"),
            models.CheckConstraint(
                condition=models.Q(level=models.F("recommended_level")) | ~models.Q(override_reason=""),
                name="override_needs_reason",
            ),
        ]

    def __str__(self):
        return f"Risk assessment of {self.provider} ({self.get_level_display()})"

    @property
    def overridden(self) -> bool:
        return self.level != self.recommended_level

    @property
    def level_rank(self) -> int:
        return RiskLevel.rank(self.level)
