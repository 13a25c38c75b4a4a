"""What the council shares with a provider in the providers' portal, and the provider's written replies.

The provider never sees the concern itself: the person sharing writes a summary for the provider (the concern's
own description may name residents or the person who raised it). See docs/adr/0027-providers-portal.md.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from core.dates import long_date
from core.models import CheckedUpload


class ProviderShare(models.Model):
    """One concern shared with its provider, asking for a reply by `closes_on` (docs/process.md, "The providers'
    portal")."""

    class Kind(models.TextChoices):
        RESPONSE = "response", "A response to the concern"
        ACCURACY = "accuracy", "Comments on the factual accuracy of a draft document"

    concern = models.ForeignKey("concerns.Concern", on_delete=models.PROTECT, related_name="provider_shares")
    provider = models.ForeignKey("providers.Provider", on_delete=models.PROTECT, related_name="portal_shares",
                                 editable=False)
    case = models.ForeignKey("escalation.EscalationCase", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="provider_shares", editable=False,
                             help_text="The escalation case the concern was on when it was shared")
    kind = models.CharField("What is asked", max_length=20, choices=Kind.choices)
    title = models.CharField("Title the provider sees", max_length=200)
    summary = models.TextField("What the provider reads")
    closes_on = models.DateField("Replies close on")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    shared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-shared_at", "-id"]
        indexes = [models.Index(fields=["provider", "-shared_at"], name="share_newest_per_provider")]

    def __str__(self):
        return f"Shared with {self.provider_id and self.provider}: {self.title}"

    def get_absolute_url(self):
        return reverse("portal:shared", args=[self.pk])

    @property
    def is_open(self) -> bool:
        """Replies are taken up to and including the closing date."""
        return timezone.localdate() <= self.closes_on

    @property
    def closed_message(self) -> str:
        return f"The window for replies closed on {long_date(self.closes_on)}"


class SharedDocument(CheckedUpload):
    """A draft document or report attached for the provider's factual-accuracy comments."""

    share = models.ForeignKey(ProviderShare, on_delete=models.PROTECT, related_name="documents")
    file = models.FileField(upload_to="portal/shared/%Y/%m/")

    class Meta:
        ordering = ["uploaded_at", "id"]


class ProviderReply(models.Model):
    """A provider's written reply to something shared with it. Never changed once sent; staff mark it read."""

    share = models.ForeignKey(ProviderShare, on_delete=models.PROTECT, related_name="replies")
    text = models.TextField("Reply")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(auto_now_add=True)
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", editable=False)
    read_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name_plural = "provider replies"

    def __str__(self):
        return f"Reply from {self.share.provider} on {long_date(self.sent_at)}"


class ReplyFile(CheckedUpload):
    reply = models.ForeignKey(ProviderReply, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to="portal/replies/%Y/%m/")

    class Meta:
        ordering = ["uploaded_at", "id"]
