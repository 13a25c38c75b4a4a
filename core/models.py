from django.db import models


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
