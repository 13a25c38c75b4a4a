from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A member of council staff. Roles are Django groups (accounts.roles)."""

    job_title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["first_name", "last_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username


class Notification(models.Model):
    """An in-app message for one person (shown on their home page), written by background tasks."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    message = models.CharField(max_length=300)
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    # The case a notification is about, if any: the message can quote the case (a deadline's title), and the
    # case may have become safeguarding-restricted since, so the home page checks clearance when it shows it.
    case = models.ForeignKey("escalation.EscalationCase", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_once_per_key",
            )
        ]

    def __str__(self):
        return self.message
