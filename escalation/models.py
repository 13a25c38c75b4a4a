"""The escalation ladder of seed 000 (steps 1-4) as a case with a guarded state machine."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from django_fsm_log.decorators import fsm_log_by, fsm_log_description

from providers.models import Provider

from . import permissions as perms


class Level(models.TextChoices):
    QA = "qa", "Quality assurance meeting"
    PPM = "ppm", "Provider performance meeting (PPM)"
    JIMP = "jimp", "Joint inter-agency monitoring panel (JIMP)"
    SOSG = "sosg", "Service operations support group (SOSG)"
    CLOSED = "closed", "Closed: back to normal contract monitoring"
    PROVIDER_FAILURE = "provider_failure", "Provider failure"


LADDER = [Level.QA, Level.PPM, Level.JIMP, Level.SOSG]
OPEN_LEVELS = LADDER
PLAN_LEVELS = [Level.PPM, Level.JIMP, Level.SOSG]
STEP = {level: i + 1 for i, level in enumerate(LADDER)}


def _at_plan_level_has_plan(case) -> bool:
    return case.level not in PLAN_LEVELS or case.current_plan() is not None


def has_plan_if_needed(case) -> bool:
    """From PPM upwards a DAP/CAP must exist before the case moves up (seed 000)."""
    return _at_plan_level_has_plan(case)


def review_satisfactory(case) -> bool:
    """Close or step down only after a performance review found improvement satisfactory (at QA: a QA meeting)."""
    if case.level == Level.QA:
        return case.meetings.filter(level=Level.QA).exists()
    review = case.latest_review()
    return review is not None and review.verdict == PerformanceReview.Verdict.SATISFACTORY


def qa_meeting_held(case) -> bool:
    """A QA meeting decides whether the issues are resolved; without one there is nothing to escalate from."""
    return case.meetings.filter(level=Level.QA).exists()


def review_not_satisfactory(case) -> bool:
    """The latest performance review at this level found the improvement not satisfactory."""
    review = case.latest_review()
    return review is not None and review.verdict == PerformanceReview.Verdict.ESCALATE


class EscalationCase(ConcurrentTransitionMixin, models.Model):
    """One provider's escalation from a QA meeting up to SOSG and back to normal monitoring."""

    reference = models.CharField(max_length=20, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="cases")
    level = FSMField(max_length=20, choices=Level.choices, default=Level.QA, protected=True)
    recommended_level = models.CharField(max_length=10, blank=True)
    opening_rationale = models.TextField(blank=True)
    jointly_commissioned = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closing_reason = models.TextField(blank=True)
    reopened_from = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="reopened_as")

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=models.Q(level__in=["qa", "ppm", "jimp", "sosg"]),
                name="one_open_case_per_provider",
            )
        ]

    def __str__(self):
        return self.reference

    def get_absolute_url(self):
        return reverse("escalation:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.level in OPEN_LEVELS

    @property
    def step(self) -> int | None:
        return STEP.get(self.level)

    @property
    def level_tag(self) -> str:
        return {
            Level.QA: "govuk-tag--yellow", Level.PPM: "govuk-tag--orange", Level.JIMP: "govuk-tag--red",
            Level.SOSG: "govuk-tag--purple", Level.CLOSED: "govuk-tag--grey", Level.PROVIDER_FAILURE: "govuk-tag--red",
        }[self.level]

    def current_plan(self):
        return self.plans.filter(level=self.level).order_by("-created_at").first()

    def latest_review(self):
        return PerformanceReview.objects.filter(plan__case=self, plan__level=self.level).order_by(
            "-review_date", "-id").first()

    # --- transitions: the state only; services check input, lock, audit and queue effects -------------

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.QA, target=Level.PPM, permission=perms.can_move_case,
                conditions=[qa_meeting_held], custom={"label": "Escalate to PPM", "kind": "escalate"})
    def escalate_to_ppm(self, *, by=None, description=None):
        """QA meeting: issues not resolved (seed 000, step 1 -> 2)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.QA, Level.PPM], target=Level.JIMP, permission=perms.can_move_case,
                conditions=[has_plan_if_needed], custom={"label": "Escalate to JIMP", "kind": "escalate"})
    def escalate_to_jimp(self, *, by=None, description=None):
        """PPM review not satisfactory, or straight from QA with a rationale (seed 000, step 3)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.QA, Level.PPM, Level.JIMP], target=Level.SOSG,
                permission=perms.can_move_case, conditions=[has_plan_if_needed],
                custom={"label": "Escalate to SOSG", "kind": "escalate"})
    def escalate_to_sosg(self, *, by=None, description=None):
        """JIMP review not satisfactory, or a skip with a rationale (seed 000, step 4)."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=[Level.JIMP, Level.SOSG], target=Level.PPM, permission=perms.can_move_case,
                conditions=[review_satisfactory], custom={"label": "Step down to PPM", "kind": "step_down"})
    def step_down_to_ppm(self, *, by=None, description=None):
        """Improvement satisfactory: less intensive oversight."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.SOSG, target=Level.JIMP, permission=perms.can_move_case,
                conditions=[review_satisfactory], custom={"label": "Step down to JIMP", "kind": "step_down"})
    def step_down_to_jimp(self, *, by=None, description=None):
        """SOSG review satisfactory: back to the multi-agency panel."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=LADDER, target=Level.CLOSED, permission=perms.can_move_case,
                conditions=[review_satisfactory], custom={"label": "Close the case", "kind": "close"})
    def close(self, *, by=None, description=None):
        """Issues resolved / improvement satisfactory: back to normal contract monitoring."""

    @fsm_log_by
    @fsm_log_description
    @transition(field=level, source=Level.SOSG, target=Level.PROVIDER_FAILURE, permission=perms.can_move_case,
                conditions=[review_not_satisfactory],
                custom={"label": "Refer under the Provider Failure Policy", "kind": "failure"})
    def refer_provider_failure(self, *, by=None, description=None):
        """SOSG review not satisfactory and the provider cannot continue (seed 002: Provider Failure Policy)."""


class CaseMeeting(models.Model):
    """A QA meeting, PPM, JIMP or SOSG meeting held on a case."""

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="meetings")
    level = models.CharField(max_length=10, choices=Level.choices[:4])
    meeting_date = models.DateField()
    attendees = models.JSONField(default=list, help_text='[{"name": ..., "agency": ...}]')
    provider_attended = models.BooleanField()
    minutes = models.TextField()
    outcome = models.TextField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting_date", "id"]

    def __str__(self):
        return f"{self.get_level_display()} on {self.meeting_date:%-d %B %Y}"


class MeetingDocument(models.Model):
    meeting = models.ForeignKey(CaseMeeting, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to="meetings/%Y/%m/")
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.original_name


class ActionPlan(models.Model):
    """A Developmental or Corrective Action Plan agreed at PPM, JIMP or SOSG."""

    class Kind(models.TextChoices):
        DAP = "dap", "Developmental Action Plan (DAP)"
        CAP = "cap", "Corrective Action Plan (CAP)"

    case = models.ForeignKey(EscalationCase, on_delete=models.PROTECT, related_name="plans")
    level = models.CharField(max_length=10, choices=Level.choices[:4])
    kind = models.CharField(max_length=3, choices=Kind.choices)
    start_date = models.DateField()
    review_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=models.Q(review_date__gte=models.F("start_date")),
                                              name="plan_review_not_before_start")]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.start_date:%-d %B %Y}"


class PlanAction(models.Model):
    class Owner(models.TextChoices):
        PROVIDER = "provider", "Provider"
        COUNCIL = "council", "Council"
        PARTNER = "partner", "Partner agency"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETE = "complete", "Complete"

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="actions")
    area_of_concern = models.CharField(max_length=200)
    action = models.TextField()
    owner = models.CharField(max_length=10, choices=Owner.choices)
    due_date = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["due_date", "id"]

    def __str__(self):
        return f"{self.area_of_concern}: {self.action[:60]}"

    @property
    def status_tag(self):
        return {"not_started": "govuk-tag--grey", "in_progress": "govuk-tag--blue",
                "complete": "govuk-tag--green"}[self.status]


class ProgressNote(models.Model):
    action = models.ForeignKey(PlanAction, on_delete=models.PROTECT, related_name="progress_notes")
    note = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    written_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["written_at"]

    def __str__(self):
        return f"Progress note on {self.action}"


class PerformanceReview(models.Model):
    """DAP/CAP performance review (seed 000): is the improvement satisfactory?"""

    class Verdict(models.TextChoices):
        SATISFACTORY = "satisfactory", "Improvement satisfactory (close or step down)"
        REVIEW_TIMESCALES = "review_timescales", "Review timescales (new due dates)"
        ESCALATE = "escalate", "Not satisfactory: escalate to the next level"

    plan = models.ForeignKey(ActionPlan, on_delete=models.PROTECT, related_name="reviews")
    review_date = models.DateField()
    verdict = models.CharField(max_length=20, choices=Verdict.choices)
    notes = models.TextField()
    new_review_date = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-review_date", "-id"]

    def __str__(self):
        return f"Review on {self.review_date:%-d %B %Y}: {self.get_verdict_display()}"
