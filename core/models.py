from django.conf import settings
from django.db import models

from .dates import long_datetime


class BackgroundJobProgress:
    """What the progress page of a background job (a CSV import checked and saved on the worker) reads: the model
    has `status`, `RUNNING`, `rows_total`, `rows_done`, `started_at` and `finished_at`."""

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent_done(self) -> int:
        return int(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def seconds_taken(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class CheckedUpload(models.Model):
    """A stored file that was checked by content before saving (core.evidence.save_checked_upload)."""

    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self):
        return self.original_name


class OutboxMessage(models.Model):
    """Background work queued by an action, written in the action's own transaction and relayed to the
    broker after commit. If the broker is down the action still succeeds; the row waits for the relay."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.task}{tuple(self.args)}"


class FormToken(models.Model):
    """A form's one-time token, written in the same transaction as the action the form asks for (core.once).
    A second submission of the same form finds its token taken and does nothing."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    done_url = models.CharField(max_length=500, blank=True, help_text="Where the first submission went")

    def __str__(self):
        return f"Form token {self.token[:8]}… used {long_datetime(self.created_at)}"
