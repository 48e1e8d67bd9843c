import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .models import Organization
from .selectors import SESSION_KEY, current_membership, may_enter


def acting_membership(request):
    """(membership, refusal): the membership a dashboard request acts through, in exactly one account.

    `org` in the query or the form names the account (every dashboard form carries the account its page
    was shown for, see web/static/web/app.js), and is remembered in the session; else the account the
    switcher remembered; else the user's oldest membership. A named account the user may not act in is
    refused, never replaced by another. A remembered account they lost is forgotten, with a message."""
    named = request.GET.get("org") or request.POST.get("org")
    if named:
        membership = current_membership(request.user, organization=named)
        if membership is None:
            org = Organization.objects.filter(slug=named).first()
            if org is not None and may_enter(request.user, org):
                return None, {
                    "status": 403,
                    "enter": org,
                    "message": f"You have not entered {org.name} yet. Enter it to act there.",
                }
            return None, {"status": 404, "message": f"There is no account {named!r} that you may enter."}
        if request.session.get(SESSION_KEY) != membership.organization.slug:
            request.session[SESSION_KEY] = membership.organization.slug
        return membership, None
    remembered = request.session.get(SESSION_KEY)
    if remembered:
        membership = current_membership(request.user, organization=remembered)
        if membership is not None:
            return membership, None
        request.session.pop(SESSION_KEY, None)
        membership = current_membership(request.user)
        if membership is not None:
            messages.warning(
                request, f"You can no longer act in {remembered!r}; this is {membership.organization.name}."
            )
            request.session[SESSION_KEY] = membership.organization.slug
            return membership, None
    membership = current_membership(request.user)
    if membership is None:
        return None, {"status": 403, "message": "Your account is not in an organization yet; ask an owner to add you."}
    return membership, None


def membership_required(view):
    """Logged in and acting in one organization: request.membership is the one acting (see
    `acting_membership`); otherwise a page that says why, 403 or 404."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        membership, refusal = acting_membership(request)
        if membership is None:
            return render(request, "web/error.html", refusal, status=refusal["status"])
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


def admin_required(view):
    """membership_required, and an owner or admin of the organization acted in."""

    @membership_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_admin:
            return render(
                request,
                "web/error.html",
                {"message": f"Only owners and admins of {request.membership.organization.name} can see this page."},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper
