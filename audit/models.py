from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django_fsm_log.models import StateLog

from core.dates import long_datetime

from .triggers import refuse_always

EVENT_MESSAGE = "Audit events are never changed or deleted"
STATE_LOG_MESSAGE = "State change logs are never changed or deleted"


class ImmutableError(Exception):
    pass


class Event(models.Model):
    """One thing that happened: who, when, to what, and what changed. Append-only.

    Written by services inside the same transaction as the change it records (audit.services.record),
    so a change without its event, or an event without its change, cannot be committed.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    kind = models.CharField(max_length=64, db_index=True)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64)
    subject = GenericForeignKey("content_type", "object_id")
    object_repr = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "-at"])]
        triggers = [refuse_always("audit_event_append_only", EVENT_MESSAGE)]

    def __str__(self):
        return f"{long_datetime(self.at)} {self.actor} {self.kind} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableError("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableError("Audit events are never deleted.")


class StateLogGuard(StateLog):
    """django-fsm-log's state-change log (a third-party table), made append-only in the database: the trigger
    lives on this proxy so that this app's migrations install it."""

    class Meta:
        proxy = True
        triggers = [refuse_always("state_log_append_only", STATE_LOG_MESSAGE)]
