from datetime import datetime

from django.db import models
from django.utils.timezone import now


class Job(models.Model):
    """Work that must survive a crash (emails, webhook deliveries, reminders, calendar writes): a row with a
    due time and an attempt count, written in the transaction that caused it, claimed by a worker."""

    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"  # gave up after max_attempts; an admin can retry it
        CANCELED = "canceled"  # made moot (e.g. a reminder for a canceled booking)

    organization = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Whose work this is: the dashboard shows an organization's admins their own failed jobs",
    )
    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    key = models.CharField(max_length=200, blank=True, help_text="Groups jobs to cancel together, e.g. booking:<uid>")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    due_at = models.DateTimeField(default=now)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Not columns: jobs.services sets them on a claimed instance. token is the attempt count of this claim
    # (a later claim moves the count past it); now is the instant the handler runs at.
    token: int
    now: datetime

    class Meta:
        indexes = [
            models.Index(fields=["status", "due_at"]),
            models.Index(fields=["key"]),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self):
        return f"{self.kind}#{self.pk} {self.status}"


class WorkerHeartbeat(models.Model):
    """One row per running worker (a thread of `slotwise worker`), beaten every few seconds while it loops and
    removed when it stops: /readyz reads the newest beat to tell a working queue from one nobody works."""

    worker_id = models.CharField(max_length=200, unique=True, help_text="host:pid:thread number")
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)
    jobs_done = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.worker_id} at {self.beat_at:%Y-%m-%dT%H:%M:%SZ}"
