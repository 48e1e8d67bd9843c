import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .selectors import current_membership


def membership_required(view):
    """Logged in and a member of an organization; request.membership is the one acting (?org=SLUG picks
    one, see `current_membership`)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        org = request.GET.get("org") or request.POST.get("org")
        membership = current_membership(request.user, organization=org)
        if membership is None:
            raise PermissionDenied(
                f"Your account is not a member of {org!r}" if org else "Your account is not in an organization yet; "
                "ask an owner to add you"
            )
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper
