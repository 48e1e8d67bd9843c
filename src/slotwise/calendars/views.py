"""Thin doors: the host's calendar settings page, the Google OAuth and push endpoints, feeds out."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from slotwise.accounts.decorators import membership_required
from slotwise.accounts.models import Membership, Team
from slotwise.accounts.selectors import current_membership
from slotwise.core.clock import utc_now
from slotwise.core.errors import NotFound, PermissionDenied, SlotwiseError

from . import feeds, services
from .adapters import google, microsoft
from .models import CalendarConnection


def _membership(request):
    """The membership acting, set by membership_required (the account switcher's choice)."""
    return request.membership


def _back(request, exc: SlotwiseError | None = None, ok: str = ""):
    if exc is not None:
        messages.error(request, exc.message)
    elif ok:
        messages.success(request, ok)
    return redirect("calendars:index")


@membership_required
@require_GET
def index(request):
    m = _membership(request)
    connections = CalendarConnection.objects.filter(membership=m).prefetch_related("calendars").order_by("pk")
    team_feeds = [(t, feeds.feed_url(feeds.feed_for(team=t))) for t in m.teams.order_by("name")]
    return render(
        request,
        "calendars/index.html",
        {
            "nav": "calendars",
            "connections": connections,
            "feed_url": feeds.feed_url(feeds.feed_for(membership=m)),
            "team_feeds": team_feeds,
            "google_enabled": bool(google._setting("SLOTWISE_GOOGLE_CLIENT_ID", "")),
            "microsoft_enabled": microsoft.enabled(),
        },
    )


@membership_required
@require_POST
def add_caldav(request):
    try:
        services.connection_add_caldav(
            membership=_membership(request),
            url=request.POST.get("url", ""),
            username=request.POST.get("username", ""),
            password=request.POST.get("password", ""),
            name=request.POST.get("name", ""),
            now=utc_now(),
        )
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="CalDAV account connected; its busy time is being synced.")


@membership_required
@require_POST
def add_ics(request):
    try:
        services.connection_add_ics(
            membership=_membership(request),
            url=request.POST.get("url", ""),
            name=request.POST.get("name", ""),
            now=utc_now(),
        )
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="Feed added; its busy time is being synced.")


@membership_required
@require_POST
def choose(request, pk: int):
    try:
        conn = services.connection_for(_membership(request), pk)
        writeback = request.POST.get("writeback") or None
        services.calendars_choose(
            connection=conn,
            conflicts={int(x) for x in request.POST.getlist("conflicts") if x.isdigit()},
            writeback=int(writeback) if writeback and writeback.isdigit() else None,
            unreachable=request.POST.get("unreachable") or None,
        )
        services.schedule_sync(conn, due_at=utc_now())
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="Saved.")


@membership_required
@require_POST
def sync_now(request, pk: int):
    try:
        services.schedule_sync(services.connection_for(_membership(request), pk), due_at=utc_now())
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="Sync queued.")


@membership_required
@require_POST
def delete(request, pk: int):
    try:
        services.connection_delete(connection=services.connection_for(_membership(request), pk))
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="Calendar disconnected; its busy time no longer counts.")


@membership_required
@require_POST
def rotate_feed(request, team: int | None = None):
    m = _membership(request)
    if team is None:
        feed = feeds.feed_for(membership=m)
    else:
        t = Team.objects.filter(pk=team, members=m).first()
        if t is None:
            return _back(request, NotFound(f"team {team} does not exist or you are not in it"))
        feed = feeds.feed_for(team=t)
    feeds.feed_rotate(feed=feed, now=utc_now())
    return _back(request, ok="New feed address made; the old one no longer works.")


@membership_required
@require_GET
def google_connect(request):
    state = secrets.token_urlsafe(24)
    # The account the connection is for is fixed now: switching accounts before Google answers changes nothing.
    request.session["calendars_google_state"] = {"state": state, "membership": request.membership.pk}
    return redirect(
        google.consent_url(redirect_uri=request.build_absolute_uri(reverse("calendars:google_callback")), state=state)
    )


@login_required
@require_GET
def google_callback(request):
    refused, membership = _oauth_answer(request, "calendars_google_state", "Google")
    if refused is not None:
        return _back(request, refused)
    try:
        services.connection_add_google(
            membership=membership,
            code=request.GET.get("code", ""),
            redirect_uri=request.build_absolute_uri(reverse("calendars:google_callback")),
            now=utc_now(),
        )
    except SlotwiseError as exc:
        return _back(request, exc)
    return _back(request, ok="Google Calendar connected.")


def _oauth_answer(request, session_key: str, provider: str) -> tuple[SlotwiseError | None, Membership | None]:
    """(why not, None) when an OAuth answer is not for this session (its state does not match), says no, or
    comes back for an account that is no longer the user's; else (None, the membership the sign-in was
    started for: switching accounts before the provider answers changes nothing)."""
    pending = request.session.pop(session_key, None)
    if not isinstance(pending, dict) or not secrets.compare_digest(
        str(pending.get("state", "")), request.GET.get("state", "")
    ):
        return PermissionDenied(f"The {provider} answer does not match this session; connect again"), None
    started_as = Membership.objects.filter(pk=pending.get("membership"), user=request.user).first()
    membership = started_as and current_membership(request.user, membership=started_as)
    if membership is None:
        return PermissionDenied("The account this connection was started for is no longer yours"), None
    if request.GET.get("error"):
        said = request.GET.get("error_description") or request.GET["error"]
        return PermissionDenied(f"{provider} said: {said.splitlines()[0][:200]}; nothing was connected"), None
    return None, membership


@membership_required
@require_GET
def microsoft_connect(request):
    """Send the host to Microsoft's sign-in, with PKCE: the verifier stays in the session, the challenge goes
    out. `?reconnect=<id>` signs in again for a connection whose access was revoked."""
    state = secrets.token_urlsafe(24)
    verifier, challenge = microsoft.pkce_pair()
    request.session["calendars_microsoft_state"] = {"state": state, "membership": request.membership.pk}
    request.session["calendars_microsoft_verifier"] = verifier
    reconnect = request.GET.get("reconnect", "")
    request.session["calendars_microsoft_reconnect"] = int(reconnect) if reconnect.isdigit() else None
    return redirect(
        microsoft.consent_url(
            redirect_uri=request.build_absolute_uri(reverse("calendars:microsoft_callback")),
            state=state,
            code_challenge=challenge,
        )
    )


@login_required
@require_GET
def microsoft_callback(request):
    verifier = request.session.pop("calendars_microsoft_verifier", "")
    reconnect = request.session.pop("calendars_microsoft_reconnect", None)
    refused, m = _oauth_answer(request, "calendars_microsoft_state", "Microsoft")
    if refused is not None or m is None:
        return _back(request, refused)
    try:
        conn = services.connection_add_microsoft(
            membership=m,
            code=request.GET.get("code", ""),
            redirect_uri=request.build_absolute_uri(reverse("calendars:microsoft_callback")),
            code_verifier=verifier,
            now=utc_now(),
            reconnect=services.connection_for(m, reconnect) if reconnect else None,
        )
    except SlotwiseError as exc:
        return _back(request, exc)
    if reconnect:
        return _back(request, ok="Outlook reconnected; its busy time is being synced again.")
    messages.success(
        request, "Outlook connected. Tick the calendars that count for conflicts and choose where new bookings go."
    )
    return redirect(f"{reverse('calendars:index')}#connection-{conn.pk}")


@csrf_exempt
@require_POST
def google_push(request):
    services.google_push(
        channel_id=request.headers.get("X-Goog-Channel-ID", ""),
        token=request.headers.get("X-Goog-Channel-Token", ""),
        state=request.headers.get("X-Goog-Resource-State", ""),
        now=utc_now(),
    )
    return HttpResponse(status=204)  # unknown channels too: telling them apart would help a prober


@require_GET
def feed(request, token: str):
    f = feeds.feed_by_token(token)
    resp = HttpResponse(feeds.feed_ics(f, now=utc_now()), content_type="text/calendar; charset=utf-8")
    resp["Cache-Control"] = "private, max-age=300"
    return resp
