"""Letters: versioned templates, drafts, and issued letters whose PDF never changes."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from audit.triggers import letter_triggers

from .markup import template_errors


class LetterKind(models.TextChoices):
    AT_RISK = "at_risk", "At risk of suspension (amber)"
    LIFTING_AT_RISK = "lifting_at_risk", "Lifting of at risk of suspension"
    SUSPENSION = "suspension", "Suspension of placements"
    LIFTING_SUSPENSION = "lifting_suspension", "Lifting of suspension"
    QA_INVITATION = "qa_invitation", "Invitation to a quality assurance meeting"
    PPM_INVITATION = "ppm_invitation", "Invitation to a provider performance meeting"
    NOTIFICATION = "notification", "Notification of a suspension decision"
    APPEAL_OUTCOME = "appeal_outcome", "Outcome of a provider's appeal"


class LetterSettings(models.Model):
    """The letterhead and signatory. One row; administrators edit it in /admin/."""

    council_name = models.CharField(max_length=200, default="Northfield Borough Council")
    department = models.CharField(max_length=200, default="Adult Social Care – Contracts and Quality Team")
    address = models.TextField(default="Town Hall\nMarket Square\nNorthfield\nNF1 1AA")
    phone = models.CharField(max_length=50, default="01234 567890")
    email = models.EmailField(default="contracts.quality@example.gov.uk")
    signatory_name = models.CharField(max_length=200, default="Chris Manager")
    signatory_title = models.CharField(max_length=200, default="Contracts and Quality Manager")
    logo = models.FileField(upload_to="letterhead/", blank=True,
                            help_text="Optional PNG, JPEG or SVG shown at the top left of every letter")

    class Meta:
        verbose_name_plural = "letter settings"

    def __str__(self):
        return "Letter settings"

    @classmethod
    def current(cls) -> "LetterSettings":
        return cls.objects.get_or_create(pk=1)[0]

    def clean(self):
        if self.logo and hasattr(self.logo, "file"):
            from core.evidence import sniff

            kind = sniff(self.logo.file)
            if kind not in ("image/png", "image/jpeg", "image/svg+xml"):
                raise ValidationError({"logo": "The logo must be a PNG, JPEG or SVG image"})


class LetterTemplate(models.Model):
    """One version of one kind of letter. Never edited: an edit is a new version."""

    kind = models.CharField(max_length=24, choices=LetterKind.choices)
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="The letter markup: paragraphs separated by a blank line, **bold**, lists "
                                      "and merge fields as {{ name }}. No HTML")
    note = models.CharField("Why this version", max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="letter_template_version_once")]

    def __str__(self):
        return f"{self.get_kind_display()}, version {self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("A letter template version is never changed; create a new version")
        self.full_clean(exclude=["created_by"])
        super().save(*args, **kwargs)

    def clean(self):
        """Only the letter markup (letters/markup.py): no HTML, addresses, scripts or unknown merge fields."""
        errors = template_errors(subject=self.subject or "", body=self.body or "")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def latest(cls, kind):
        return cls.objects.filter(kind=kind).order_by("-version").first()


class Letter(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        WITHDRAWN = "withdrawn", "Withdrawn"

    reference = models.CharField(max_length=20, unique=True)
    case = models.ForeignKey("escalation.EscalationCase", on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(max_length=24, choices=LetterKind.choices)
    addressee = models.TextField(help_text="Name and postal address, one line each")
    free_text = models.TextField(blank=True)
    meeting_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    template = models.ForeignKey(LetterTemplate, null=True, blank=True, on_delete=models.PROTECT,
                                 help_text="The exact version used, fixed when issued")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    issued_at = models.DateTimeField(null=True, blank=True)
    pdf = models.FileField(upload_to="letters/%Y/%m/", blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The database keeps an issued letter as issued (ADR 0020): only the delivery date, once, and the
        # withdrawal may be recorded, and it is never deleted. A draft may be edited or deleted.
        triggers = letter_triggers()

    def __str__(self):
        return f"{self.reference}: {self.get_kind_display()}"

    FIXED_ONCE_ISSUED = ["case_id", "kind", "addressee", "free_text", "meeting_date", "template_id", "issued_by_id",
                         "issued_at", "pdf", "sha256", "reference"]

    def save(self, *args, **kwargs):
        """An issued letter is never edited: only its delivery date and its withdrawal may be recorded."""
        if self.pk is not None:
            old = Letter.objects.filter(pk=self.pk).first()
            if old and old.status != self.Status.DRAFT:
                changed = [f for f in self.FIXED_ONCE_ISSUED if getattr(old, f) != getattr(self, f)]
                if changed or (old.delivered_on and old.delivered_on != self.delivered_on):
                    raise ValidationError("An issued letter is never changed; withdraw it and issue a new one")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise ValidationError("An issued letter is never deleted; withdraw it instead")
        super().delete(*args, **kwargs)

    @property
    def status_tag(self):
        return {"draft": "govuk-tag--grey", "issued": "govuk-tag--green", "withdrawn": "govuk-tag--red"}[self.status]
