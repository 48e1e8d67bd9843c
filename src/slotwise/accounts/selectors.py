from .models import Membership


def current_membership(user, *, organization: str | None = None) -> Membership | None:
    """The one rule for who a signed-in person acts as, on every page, API view and dashboard: their
    membership in `organization` (a slug, from ?org=) when one is named, else their oldest membership."""
    if user is None or not user.is_authenticated:
        return None
    qs = Membership.objects.filter(user=user).select_related("organization", "user")
    if organization:
        qs = qs.filter(organization__slug=organization)
    return qs.order_by("pk").first()
