"""Intelligence the council acts on before anyone reports a concern (docs/process.md, "Intelligence"): CQC ratings,
early-warning trigger rules and the concerns they suggest, routine monitoring visits, quality audits and the
information-sharing meetings with CQC."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from concerns.models import Concern, RiskLevel
from core.dates import long_date
from core.models import BackgroundJobProgress
from providers.models import Provider


class CqcRating(models.TextChoices):
    """CQC's four ratings, best first (the order `rank` compares)."""

    OUTSTANDING = "outstanding", "Outstanding"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    INADEQUATE = "inadequate", "Inadequate"

    @classmethod
    def rank(cls, value) -> int:
        """0 for Outstanding … 3 for Inadequate: a higher rank is a worse rating."""
        return cls.values.index(value)

    @classmethod
    def from_text(cls, text: str) -> str | None:
        wanted = " ".join(text.split()).lower()
        return next((value for value, label in cls.choices if label.lower() == wanted), None)


RATING_TAGS = {"outstanding": "govuk-tag--blue", "good": "govuk-tag--green",
               "requires_improvement": "govuk-tag--orange", "inadequate": "govuk-tag--red"}

KEY_QUESTIONS = [("safe", "Safe"), ("effective", "Effective"), ("caring", "Caring"), ("responsive", "Responsive"),
                 ("well_led", "Well-led")]


class RatingsImport(BackgroundJobProgress, models.Model):
    """One CSV of CQC ratings, checked and saved by a Celery worker (intelligence.tasks.run_ratings_import), all or
    nothing, in the way of the provider register's import (ADR 0009, ADR 0030)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        CHECKING = "checking", "Checking the rows"
        SAVING = "saving", "Saving the ratings"
        DONE = "done", "Imported"
        REFUSED = "refused", "Errors in the file"
        FAILED = "failed", "Stopped"

    class Origin(models.TextChoices):
        UPLOAD = "upload", "Uploaded"
        SCHEDULED = "scheduled", "Fetched on schedule"

    RUNNING = (Status.QUEUED, Status.CHECKING, Status.SAVING)

    file_name = models.CharField(max_length=255)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.UPLOAD)
    content = models.BinaryField(editable=False, help_text="The file, kept only until the import ends")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED, editable=False)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", help_text="Empty for the scheduled fetch")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Rows of locations not on the register (the "
                                          "scheduled fetch of the national file only)")
    drops = models.PositiveIntegerField(default=0, help_text="Suggested concerns raised for a fall in rating")
    file_errors = models.JSONField(default=list, blank=True)
    row_errors = models.JSONField(default=list, blank=True)
    failure = models.CharField(max_length=300, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, editable=False,
                                   help_text="SHA-256 of a fetched file, so the same file is not fetched in again")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Ratings import of {self.file_name}"

    def get_absolute_url(self):
        return reverse("intelligence:ratings_import_job", args=[self.pk])


def _rating_field(label):
    return models.CharField(label, max_length=25, choices=CqcRating.choices, blank=True)


class Rating(models.Model):
    """A CQC rating of one location as published on one date. History: never edited, one a location and date."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="cqc_ratings")
    published_on = models.DateField("Publication date")
    overall = models.CharField("Overall rating", max_length=25, choices=CqcRating.choices)
    safe = _rating_field("Safe")
    effective = _rating_field("Effective")
    caring = _rating_field("Caring")
    responsive = _rating_field("Responsive")
    well_led = _rating_field("Well-led")
    source = models.ForeignKey(RatingsImport, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="ratings")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["provider", "published_on"], name="one_rating_a_day")]
        indexes = [models.Index(fields=["provider", "-published_on"], name="rating_newest_per_provider")]

    def __str__(self):
        return f"{self.get_overall_display()} ({long_date(self.published_on)})"

    @property
    def tag(self) -> str:
        return RATING_TAGS[self.overall]

    def key_questions(self):
        return [(label, getattr(self, f"get_{name}_display")()) for name, label in KEY_QUESTIONS
                if getattr(self, name)]


class TriggerRule(models.Model):
    """An early-warning rule (docs/process.md, "Early-warning triggers"): the evaluation job raises a suggested
    concern for each provider it fires on. `clean()` refuses rules that can never fire or would fire on everything."""

    class Kind(models.TextChoices):
        COUNT = "count", "A number of concerns at one provider within a number of days"
        AT_LEVEL = "at_level", "Any concern at a provider already at an escalation level or above"

    class Level(models.TextChoices):  # the ladder's four steps (escalation.models.Level), lowest first
        QA = "qa", "Quality assurance meeting"
        PPM = "ppm", "Provider performance meeting (PPM)"
        JIMP = "jimp", "Joint inter-agency monitoring panel (JIMP)"
        SOSG = "sosg", "Service operations support group (SOSG)"

    MAX_WINDOW_DAYS = 365
    MAX_PER_DAY = 10  # more concerns than this a day at one provider has never happened: a higher count never fires

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField("Concern source", max_length=20, choices=Concern.Source.choices, blank=True,
                              help_text="Leave empty for concerns from any source")
    threshold = models.PositiveIntegerField("How many concerns", null=True, blank=True)
    window_days = models.PositiveIntegerField("Within how many days")
    min_level = models.CharField("Escalation level or above", max_length=10, choices=Level.choices, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def source_words(self) -> str:
        return f"{self.get_source_display().lower()} concern" if self.source else "concern"

    @property
    def description(self) -> str:
        """The rule in words, as the trigger list and every suggestion it raises show it."""
        if self.kind == self.Kind.COUNT:
            what = f"{self.threshold} or more {self.source_words}s" if self.threshold != 1 else \
                f"any {self.source_words}"
            return f"{what} at one provider received within {self.window_days} days"
        return (f"any {self.source_words} received within {self.window_days} days at a provider whose open "
                f"escalation case is at {self.get_min_level_display()} or above")

    def clean(self):
        """Refuse, with why, a rule that could never fire or that would fire on every concern."""
        errors = {}
        if not self.window_days:
            errors["window_days"] = "Enter a number of days of at least 1: a window of 0 days holds no concern, " \
                                    "so the rule could never fire"
        elif self.window_days > self.MAX_WINDOW_DAYS:
            errors["window_days"] = f"Enter at most {self.MAX_WINDOW_DAYS} days: over a longer window almost " \
                                    "every provider has concerns, so the rule would fire on nearly everything"
        if self.kind == self.Kind.COUNT:
            if self.threshold is None:
                errors["threshold"] = "Enter how many concerns make the rule fire"
            elif self.threshold == 0:
                errors["threshold"] = "Enter at least 1: with 0 the rule would fire on every provider, even " \
                                      "one with no concerns"
            elif self.threshold == 1 and not self.source:
                errors["threshold"] = "Enter at least 2, or choose a source: 1 concern from any source would " \
                                      "fire on every concern logged"
            elif self.window_days and self.threshold > self.window_days * self.MAX_PER_DAY:
                errors["threshold"] = (f"Enter at most {self.window_days * self.MAX_PER_DAY}: no provider has "
                                       f"ever had more than {self.MAX_PER_DAY} concerns a day, so the rule "
                                       "could never fire")
            if self.min_level:
                errors["min_level"] = "Leave the escalation level empty for a rule that counts concerns"
        elif self.kind == self.Kind.AT_LEVEL:
            if not self.min_level:
                errors["min_level"] = "Choose the escalation level"
            elif self.min_level not in self.Level.values:
                errors["min_level"] = "Choose one of the four escalation levels: there is none above SOSG, so " \
                                      "the rule could never fire"
            if self.threshold not in (None, 1):
                errors["threshold"] = "Leave the number of concerns empty: this rule fires on any one concern"
        if errors:
            raise ValidationError(errors)


class SuggestedConcern(models.Model):
    """A possible concern raised by intelligence, not by a person: it waits in the triage queue until an officer
    accepts it (a concern is logged) or dismisses it with a reason. `why` says in words why it was raised and never
    quotes a concern's text (it counts them), so it is safe to show to everyone who sees the queue."""

    class Kind(models.TextChoices):
        RATING_DROP = "rating_drop", "CQC rating fell"
        TRIGGER = "trigger", "Early-warning trigger"

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for triage"
        ACCEPTED = "accepted", "Accepted: concern logged"
        DISMISSED = "dismissed", "Dismissed"

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="suggested_concerns")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    why = models.CharField(max_length=500)
    dedup_key = models.CharField(max_length=200, unique=True, editable=False)
    rating = models.ForeignKey(Rating, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(TriggerRule, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="suggestions")
    concern_source = models.CharField(max_length=20, choices=Concern.Source.choices,
                                      default=Concern.Source.INTERNAL,
                                      help_text="The source the concern form starts with")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["status", "-raised_at"], name="suggestion_queue")]

    def __str__(self):
        return f"Suggested concern about {self.provider}"

    def get_absolute_url(self):
        return reverse("intelligence:suggestion", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def status_tag(self) -> str:
        return {"open": "govuk-tag--yellow", "accepted": "govuk-tag--green", "dismissed": "govuk-tag--grey"}[
            self.status]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    import calendar

    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- routine monitoring visits -------------------------------------------------------------------------------

UNRATED = "unrated"
RATING_OR_NONE = [*CqcRating.choices, (UNRATED, "Not yet rated")]


class VisitFrequency(models.Model):
    """How often a provider gets a routine monitoring visit, from its current risk level and CQC rating
    (docs/process.md, "Monitoring visits"). Defaults come from a data migration; administrators change them."""

    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    rating = models.CharField("CQC rating", max_length=25, choices=RATING_OR_NONE)
    months = models.PositiveSmallIntegerField("Visit every (months)",
                                              validators=[MinValueValidator(1), MaxValueValidator(24)])

    class Meta:
        ordering = ["risk_level", "rating"]
        verbose_name_plural = "visit frequencies"
        constraints = [models.UniqueConstraint(fields=["risk_level", "rating"], name="one_frequency_a_pair")]

    def __str__(self):
        return f"{self.get_risk_level_display()}, {self.get_rating_display()}: every {self.months} months"


class VisitPlan(models.Model):
    """A provider's place in the visit programme: computed for every provider in bulk
    (services.compute_visit_programme), never typed in."""

    provider = models.OneToOneField(Provider, on_delete=models.CASCADE, related_name="visit_plan")
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices)
    rating = models.CharField(max_length=25, choices=RATING_OR_NONE)
    months = models.PositiveSmallIntegerField()
    last_visit_on = models.DateField(null=True, blank=True)
    next_due_on = models.DateField(db_index=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["next_due_on", "provider_id"]

    def __str__(self):
        return f"Visit programme for {self.provider_id}: due {self.next_due_on}"


class Finding(models.TextChoices):
    OK = "ok", "No concerns"
    CONCERN = "concern", "Concern"
    NOT_CHECKED = "not_checked", "Not checked"


CHECKLIST = [("staffing", "Staffing"), ("safety", "Safety"), ("medication", "Medication"),
             ("complaints", "Complaints"), ("records", "Records")]


def _finding(label):
    return models.CharField(label, max_length=12, choices=Finding.choices)


class MonitoringVisit(models.Model):
    """A routine monitoring visit with its checklist; its findings can become a concern in one step."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="monitoring_visits")
    visited_on = models.DateField("Date of the visit")
    visited_by = models.CharField("Who visited", max_length=200)
    staffing = _finding("Staffing")
    staffing_notes = models.TextField(blank=True)
    safety = _finding("Safety")
    safety_notes = models.TextField(blank=True)
    medication = _finding("Medication")
    medication_notes = models.TextField(blank=True)
    complaints = _finding("Complaints")
    complaints_notes = models.TextField(blank=True)
    records = _finding("Records")
    records_notes = models.TextField(blank=True)
    summary = models.TextField("Summary of findings", blank=True)
    concern = models.ForeignKey(Concern, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["provider", "-visited_on"], name="visit_newest_per_provider")]

    def __str__(self):
        return f"Monitoring visit on {long_date(self.visited_on)}"

    def get_absolute_url(self):
        return reverse("intelligence:visit", args=[self.pk])

    def checklist(self):
        return [(label, getattr(self, name), getattr(self, f"get_{name}_display")(), getattr(self, f"{name}_notes"))
                for name, label in CHECKLIST]

    @property
    def has_concerns(self) -> bool:
        return any(getattr(self, name) == Finding.CONCERN for name, _ in CHECKLIST)

    def findings_text(self) -> str:
        """The findings as the first words of a concern raised from them."""
        lines = [f"Monitoring visit on {long_date(self.visited_on)} by {self.visited_by}."]
        lines += [f"{label}: concern. {notes}".strip() for label, value, _, notes in self.checklist()
                  if value == Finding.CONCERN]
        if self.summary:
            lines.append(self.summary)
        return "\n".join(lines)


# --- quality audits ------------------------------------------------------------------------------------------


class AuditRating(models.TextChoices):
    EXCELLENT = "excellent", "Excellent"
    GOOD = "good", "Good"
    REQUIRES_IMPROVEMENT = "requires_improvement", "Requires improvement"
    POOR = "poor", "Poor"


class AuditDomain(models.Model):
    """One of the quality audit's five domains (data: a data migration)."""

    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return self.name


class AuditStandard(models.Model):
    """One of the sixteen standards a quality audit rates."""

    domain = models.ForeignKey(AuditDomain, on_delete=models.PROTECT, related_name="standards")
    number = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=150)

    class Meta:
        ordering = ["number"]

    def __str__(self):
        return f"{self.number}. {self.name}"


class QualityAudit(models.Model):
    """The council's own quality audit of a provider: a rating for each standard, an overall rating, the provider's
    action plan due 14 days after the report, and the re-audit (by default 6 months after it)."""

    ACTION_PLAN_DAYS = 14
    REAUDIT_MONTHS = 6

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="quality_audits")
    report_date = models.DateField("Date of the report")
    overall = models.CharField("Overall rating", max_length=25, choices=AuditRating.choices)
    action_plan_due = models.DateField("Provider's action plan due")
    reaudit_due = models.DateField("Re-audit due")
    summary = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-report_date", "-id"]

    def __str__(self):
        return f"Quality audit reported {long_date(self.report_date)}"

    def get_absolute_url(self):
        return reverse("intelligence:audit", args=[self.pk])


class StandardRating(models.Model):
    audit = models.ForeignKey(QualityAudit, on_delete=models.CASCADE, related_name="standard_ratings")
    standard = models.ForeignKey(AuditStandard, on_delete=models.PROTECT, related_name="+")
    rating = models.CharField(max_length=25, choices=AuditRating.choices)

    class Meta:
        ordering = ["standard__number"]
        constraints = [models.UniqueConstraint(fields=["audit", "standard"], name="one_rating_a_standard")]

    def __str__(self):
        return f"{self.standard}: {self.get_rating_display()}"


# --- information sharing with CQC ----------------------------------------------------------------------------


class CqcMeeting(models.Model):
    """A regular information-sharing meeting with CQC; the next is due two months after the last."""

    DUE_EVERY_MONTHS = 2

    meeting_date = models.DateField("Date of the meeting")
    attendees = models.TextField("Who attended")
    providers = models.ManyToManyField(Provider, blank=True, related_name="+")
    actions = models.TextField("Actions agreed", blank=True)
    minutes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-meeting_date", "-id"]
        verbose_name = "CQC information-sharing meeting"

    def __str__(self):
        return f"CQC information-sharing meeting on {long_date(self.meeting_date)}"

    def get_absolute_url(self):
        return reverse("intelligence:cqc_meeting", args=[self.pk])

    @property
    def next_due(self) -> datetime.date:
        return add_months(self.meeting_date, self.DUE_EVERY_MONTHS)
