from django.db.models import Count, Q

from slotwise.accounts.models import Membership

from .models import WebhookAttempt, WebhookSubscription


def subscriptions_for(membership: Membership):
    """What a member may see: all of the organization's for admins, else their own user-scoped ones."""
    qs = WebhookSubscription.objects.filter(organization=membership.organization).select_related("user__user")
    if not membership.is_admin:
        qs = qs.filter(Q(user=membership) | Q(creator=membership))
    return qs.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status="delivered")),
        pending=Count("deliveries", filter=Q(deliveries__status="pending")),
        failed=Count("deliveries", filter=Q(deliveries__status="failed")),
    ).order_by("-created_at")


def attempts_for(subscription: WebhookSubscription, *, limit: int = 100):
    return (
        WebhookAttempt.objects.filter(delivery__subscription=subscription)
        .select_related("delivery")
        .order_by("-started_at", "-id")[:limit]
    )
