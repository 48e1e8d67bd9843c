from django.db import models
from django.utils.timezone import now

from slotwise.accounts.models import Membership
from slotwise.bookings.models import Booking


class Meeting(models.Model):
    """The conferencing side of one booking: which provider made its link, the provider's id for it (to
    move or delete it later), and whether the link exists yet. Booking.location holds the link itself."""

    class Status(models.TextChoices):
        PENDING = "pending"  # being created by a job; invitations wait for it
        READY = "ready"
        FAILED = "failed"  # the provider refused for good; invitations go out with a fallback text
        DELETED = "deleted"

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="meeting")
    provider = models.CharField(max_length=16)  # jitsi | zoom | link | phone | in_person | custom
    external_id = models.CharField(max_length=200, blank=True)
    join_url = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.READY)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)


class ZoomGrant(models.Model):
    """A host's Zoom OAuth grant (authorization-code flow). The access token lives an hour; the refresh
    token replaces itself on every refresh, so both are saved together."""

    membership = models.OneToOneField(Membership, on_delete=models.CASCADE, related_name="zoom_grant")
    access_token = models.TextField()
    refresh_token = models.TextField()
    expires_at = models.DateTimeField()
    scope = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
