"""A meeting pack built in the background (oversight.tasks.build_pack): the page shows its progress, then offers
the PDF. A pack is built for the person who asked, with what they are cleared to see, and only they download it."""

from django.conf import settings
from django.db import models
from django.urls import reverse


class PackJob(models.Model):
    class Kind(models.TextChoices):
        SPRG = "sprg", "SPRG monthly pack"
        DMT = "dmt", "DMT pack"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        BUILDING = "building", "Being built"
        DONE = "done", "Ready"
        FAILED = "failed", "Stopped"

    RUNNING = (Status.QUEUED, Status.BUILDING)

    kind = models.CharField(max_length=8, choices=Kind.choices)
    meeting_date = models.DateField(help_text="The meeting the pack is for")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    items_total = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    left_out = models.PositiveIntegerField(default=0, help_text="Restricted cases shown without their details")
    shown_in_full = models.JSONField(default=list, blank=True, editable=False,
                                     help_text="The cases whose details the pack shows: its reader must still be "
                                               "cleared for each of them to download it")
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    pages = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Asking twice while a pack is being built gives the one job (the second request finds it).
            models.UniqueConstraint(fields=["kind", "meeting_date", "requested_by"],
                                    condition=models.Q(status__in=["queued", "building"]),
                                    name="one_pack_building_per_person_and_meeting"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.meeting_date.day} {self.meeting_date:%B %Y}"

    def get_absolute_url(self):
        return reverse("oversight:pack", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent_done(self) -> int:
        return int(100 * self.items_done / self.items_total) if self.items_total else 0

    @property
    def file_name(self) -> str:
        return f"{self.kind}-pack-{self.meeting_date:%Y-%m-%d}.pdf"
