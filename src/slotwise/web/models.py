from django.db import models
from django.utils.timezone import now

from slotwise.accounts.models import Membership
from slotwise.scheduling.models import EventType


class Favorite(models.Model):
    """An event type a host starred: listed first on their dashboard."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    event_type = models.ForeignKey(EventType, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["membership", "event_type"], name="favorite_unique")]
