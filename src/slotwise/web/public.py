"""Public pages: a host's page, booking pages (host, team, single-use), confirmation, cancel, reschedule.

Thin doors: slots come from bookings.availability.event_availability, bookings from bookings.services.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from slotwise.accounts.models import Membership, Organization, Team
from slotwise.bookings import approvals, links, recurring
from slotwise.bookings import services as bookings
from slotwise.bookings.models import Booking, Guest, Invitee, SingleUseLink
from slotwise.contacts import services as funnel
from slotwise.core import zonesearch
from slotwise.core.clock import utc_now
from slotwise.core.datefmt import DEFAULT_LOCALE, default_clock, format_day, format_instant, weekday_names
from slotwise.core.errors import ChangeClosed, InvalidInput, LinkUsed, NotFound, SlotUnavailable, SlotwiseError
from slotwise.core.instants import parse_instant
from slotwise.notifications import ical
from slotwise.scheduling import reasons as reason_words
from slotwise.scheduling import selectors
from slotwise.scheduling.models import EventType, OutOfOffice

from . import booking as page
from .middleware import activate
from .ratelimit import public_rate_limit

VISITOR_COOKIE = "sw_vid"
BROWSER_ZONE_COOKIE = "sw_bz"  # set by web/static/web/tzboot.js: the zone the browser reported last


@dataclass
class Ctx:
    """Which door the booking page was opened through."""

    event_type: EventType
    base: str  # the page's own path; choices are query strings on it
    link: SingleUseLink | None = None
    rescheduling: Invitee | None = None
    start: str = ""  # a time chosen in the path (the API's scheduling_url) rather than in ?start=
    host_clock: str = ""  # selectors.clock_zone: the zone the host's hours are in
    # The owner's absence today, when the door already looked it up (selectors.absence_now), so the page
    # does not ask again for its notice.
    owner_absence: OutOfOffice | None = None
    absence_known: bool = False


def _visitor(request) -> str:
    vid = request.COOKIES.get(VISITOR_COOKIE, "")
    if not (8 <= len(vid) <= 64 and vid.replace("-", "").replace("_", "").isalnum()):
        vid = secrets.token_urlsafe(16)
    request.visitor_id = vid
    return vid


def _with_visitor(request, response):
    if request.COOKIES.get(VISITOR_COOKIE) != request.visitor_id:
        response.set_cookie(
            VISITOR_COOKIE,
            request.visitor_id,
            max_age=365 * 86400,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _speak(request, event_type: EventType, invitee: Invitee | None = None) -> str:
    """The page's language: the invitee's choice (on this page, remembered in a cookie, or the one they
    booked in), else the browser's, else the event type's default (web/middleware.py LanguageMiddleware)."""
    source = getattr(request, "language_source", "default")
    if source != "chosen" and invitee is not None and invitee.language:
        activate(request, invitee.language)
    elif source == "default":
        activate(request, event_type.default_language or settings.LANGUAGE_CODE)
    return translation.get_language()


def _hosts_label(event_type: EventType, hosts: list[Membership]) -> str:
    names = [str(h.user) for h in hosts]
    if event_type.kind == EventType.Kind.ROUND_ROBIN and len(names) > 1:
        return _("One of %(names)s") % {"names": ", ".join(names)}
    return ", ".join(names)


def _location_label(event_type: EventType) -> str:
    kind = event_type.location_kind
    if kind == EventType.LocationKind.PHONE:
        return (
            _("Phone call %(number)s") % {"number": event_type.location_value}
            if event_type.location_value
            else _("Phone call")
        )
    return {
        EventType.LocationKind.VIDEO: _("Video call (link in your confirmation)"),
        EventType.LocationKind.ZOOM: _("Zoom (link in your confirmation)"),
        EventType.LocationKind.IN_PERSON: event_type.location_value or _("In person"),
        EventType.LocationKind.LINK: _("Web conference (link in your confirmation)"),
    }.get(kind, event_type.location_value or _("To be agreed"))


STATUS_LABELS = {
    "confirmed": gettext_noop("Confirmed"),
    "canceled": gettext_noop("Canceled"),
    "rescheduled": gettext_noop("Rescheduled"),
    "pending": gettext_noop("Waiting for the host"),
}


def _status_label(booking: Booking) -> str:
    return _(STATUS_LABELS.get(booking.status, booking.status))


# --- public entry points ---------------------------------------------------------------------------


# Booking doors are framable (embedding) and exempt from CSRF: a public booking form carries no session
# or login to ride on, and a third-party iframe would not get the CSRF cookie. Cancel and reschedule are
# guarded by their secret tokens instead.


@public_rate_limit
def host_page(request, org, host):
    membership = get_object_or_404(
        Membership.objects.active().select_related("user", "organization"), organization__slug=org, slug=host
    )
    now = utc_now()
    target = selectors.away_redirect(membership, now)
    if target:
        return redirect(target)
    event_types = list(EventType.objects.filter(owner=membership, active=True, secret=False).order_by("name"))
    language = translation.get_language()
    for e in event_types:
        e.text = selectors.event_type_text(e, language)
    return render(
        request,
        "web/host_page.html",
        {"host": membership, "event_types": event_types, "away_notice": _away_notice(request, membership, now)},
    )


def _away_notice(
    request, host: Membership | None, now, *, absence: OutOfOffice | None = None, absence_known: bool = False
) -> str:
    """Words for a page of `host`: that they are away, or that an away teammate (?away=) sent the invitee here.
    `absence`: the host's absence now, when `absence_known` (the caller looked it up already)."""
    if host is None:
        return ""
    away_slug = request.GET.get("away", "")[:64]
    if away_slug:
        mate = (
            Membership.objects.active()
            .filter(organization_id=host.organization_id, slug=away_slug)
            .select_related("user", "organization")
            .first()
        )
        absence = selectors.absence_now(mate, now) if mate else None
        if absence and absence.redirect_to_id == host.pk:
            return _("%(away)s is out of office until %(day)s, so %(host)s is taking their meetings.") % {
                "away": mate.user,
                "day": format_day(absence.last, _locale(request)),
                "host": host.user,
            }
    absence = absence if absence_known else selectors.absence_now(host, now)
    if absence:
        words = {"host": host.user, "day": format_day(absence.last, _locale(request)), "reason": absence.reason}
        if absence.reason:
            return _("%(host)s is out of office until %(day)s (%(reason)s): those days have no times.") % words
        return _("%(host)s is out of office until %(day)s: those days have no times.") % words
    return ""


@csrf_exempt
@xframe_options_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def event_page(request, org, host, event, start=""):
    """The booking page; with `start` (the API's scheduling_url, `<page>/<ISO instant>`) its form for that
    time. The form posts back to the page itself, so the time in the path is only ever a way in."""
    event_type = get_object_or_404(
        EventType.objects.select_related("organization", "owner__user", "schedule"),
        organization__slug=org,
        owner__slug=host,
        owner__deactivated_at__isnull=True,
        slug=event,
        active=True,
    )
    ctx = Ctx(event_type=event_type, base=event_type.path, start=start)
    if request.method == "GET":
        ctx.owner_absence = selectors.absence_now(event_type.owner, utc_now())
        ctx.absence_known = True
        target = selectors.away_redirect(
            event_type.owner, utc_now(), event_slug=event_type.slug, absence=ctx.owner_absence, absence_known=True
        )
        if target:
            return redirect(target)
    return _booking_page(request, ctx)


@csrf_exempt
@xframe_options_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def team_event_page(request, org, team, event, start=""):
    team_obj = get_object_or_404(Team, organization__slug=org, slug=team)
    event_type = get_object_or_404(
        EventType.objects.select_related("organization", "team"), team=team_obj, slug=event, active=True
    )
    return _booking_page(request, Ctx(event_type=event_type, base=event_type.path, start=start))


@csrf_exempt
@xframe_options_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def single_use_page(request, token):
    link = get_object_or_404(SingleUseLink.objects.select_related("event_type__organization"), token=token)
    request.embed_organization = link.event_type.organization
    if not link.usable(utc_now()) or not link.event_type.active:
        return _dead_link(request, link)
    return _booking_page(request, Ctx(event_type=link.event_type, base=f"/d/{token}/", link=link))


@csrf_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def reschedule_page(request, token):
    invitee = get_object_or_404(
        Invitee.objects.select_related("booking__event_type__organization"), reschedule_token=token
    )
    booking = invitee.booking
    if booking.source == Booking.Source.IMPORT:
        return render(request, "web/error.html", {"message": bookings.imported_message(booking)}, status=409)
    if booking.status != Booking.Status.CONFIRMED or invitee.status != Invitee.Status.ACTIVE:
        language = _speak(request, booking.event_type, invitee)
        return render(
            request,
            "web/booking_closed.html",
            {
                "invitee": invitee,
                "booking": booking,
                "successor": _successor(booking),
                "event_name": selectors.event_type_text(booking.event_type, language).name,
                "status_label": _status_label(booking),
            },
            status=410,
        )
    closed = bookings.change_closed(booking=booking, now=utc_now())
    if closed is not None:
        language = _speak(request, booking.event_type, invitee)  # before the message: it is worded in it
        message = bookings.change_closed_message(booking=booking, reason=closed, action="rescheduled")
        return render(
            request,
            "web/booking_closed.html",
            {
                "invitee": invitee,
                "booking": booking,
                "closed": message,
                "reason": closed,
                "event_name": selectors.event_type_text(booking.event_type, language).name,
                "status_label": _status_label(booking),
            },
            status=403,
        )
    return _booking_page(
        request, Ctx(event_type=booking.event_type, base=f"/reschedule/{token}/", rescheduling=invitee)
    )


def _dead_link(request, link: SingleUseLink):
    """A clear page for a link that books nothing any more, saying why; the host's public page only if the
    host allows it."""
    link.refresh_from_db()
    _speak(request, link.event_type)
    state = link.state(utc_now())
    if state == SingleUseLink.State.UNUSED and not link.event_type.active:
        state = "off"
    return render(
        request,
        "web/link_used.html",
        {
            "link": link,
            "state": state,
            "public_page": links.public_page_for(link),
            "host_name": link.created_by.user
            if link.created_by
            else (link.event_type.owner.user if link.event_type.owner else None),
        },
        status=410,
    )


def _successor(booking: Booking):
    new = Booking.objects.filter(rescheduled_from=booking).first()
    return new.invitees.first() if new else None


# --- the booking page ----------------------------------------------------------------------------------


def _booking_page(request, ctx: Ctx):
    request.embed_organization = ctx.event_type.organization  # frame-ancestors: web/middleware.py
    try:
        with selectors.one_clock_zone_read():
            return _booking_page_inner(request, ctx)
    except SlotwiseError as exc:  # e.g. a host without hours: a page that says so, not the API's JSON
        return render(request, "web/error.html", {"message": exc.message}, status=exc.status)


def _booking_page_inner(request, ctx: Ctx):
    event_type = ctx.event_type
    now = utc_now()
    _visitor(request)
    language = _speak(request, event_type, ctx.rescheduling)
    text = selectors.event_type_text(event_type, language)
    hosts = selectors.event_hosts(event_type)
    if not hosts:
        raise NotFound(_("%(event)s has no hosts yet") % {"event": text.name})
    # Rescheduling starts in the zone the invitee booked in; a fresh visit in the host's clock until the
    # browser reports its own.
    ctx.host_clock = selectors.clock_zone(event_type)
    default_zone = ctx.rescheduling.timezone if ctx.rescheduling else ctx.host_clock
    params = request.POST if request.method == "POST" else request.GET
    duration = ctx.rescheduling.booking.duration_minutes if ctx.rescheduling else None
    locale = _locale(request)
    cookie_zone = request.COOKIES.get(BROWSER_ZONE_COOKIE, "")
    choice = page.read_choice(
        params,
        event_type,
        hosts,
        default_zone=default_zone,
        now=now,
        duration=duration,
        browser_zone="" if ctx.rescheduling else cookie_zone,
        locale=locale,
    )
    base = {
        "ctx": ctx,
        "event_type": event_type,
        "text": text,
        "hosts": hosts,
        "hosts_label": _hosts_label(event_type, hosts),
        "location_label": _location_label(event_type),
        "choice": choice,
        "locale": locale,
        "zone": zonesearch.describe(choice.zone, locale=locale, now=now, clock=choice.clock),
        # what the server rendered for: tzboot.js re-asks only if the browser says something else
        "rendered_for_browser_zone": cookie_zone[:64] if not params.get("tz") and not ctx.rescheduling else "",
        "can_pick_host": page.can_pick_host(event_type) and not ctx.rescheduling,
        "durations": sorted({event_type.duration_minutes, *(event_type.duration_options or [])}),
        "duration": choice.duration or event_type.duration_minutes,
        "local_now": page.fmt_time(now, choice.zone, choice.clock, locale),
        "embed": params.get("embed") == "1",
        # The open page re-reads its times this often, so a time someone else just booked disappears.
        "poll_seconds": int(getattr(settings, "SLOTWISE_WEB_POLL_SECONDS", 30)),
        "away_notice": ""
        if ctx.rescheduling
        else _away_notice(request, event_type.owner, now, absence=ctx.owner_absence, absence_known=ctx.absence_known),
    }
    if ctx.rescheduling:
        b = ctx.rescheduling.booking
        base["current_when"] = (
            f"{page.fmt_day(b.start, choice.zone, locale)}, {page.fmt_time(b.start, choice.zone, choice.clock, locale)}"
        )
    if request.method == "POST":
        return _with_visitor(request, _submit(request, ctx, choice, base, now))
    start_text = params.get("start") or (ctx.start if request.method == "GET" else "")
    if start_text:
        try:
            start = parse_instant(start_text, field="start")
        except InvalidInput as exc:
            start = None
            choice.errors["start"] = exc.message  # shown above the calendar the page falls back to
        if start is not None:
            _funnel(
                request, event_type, "calendar_3rd_step", now, {"start": start.isoformat(), "timezone": choice.zone}
            )
            form = {
                "start": start_text,
                "name": ctx.link.prefill_name if ctx.link else "",
                "email": ctx.link.prefill_email if ctx.link else "",
                "answers": {},
                "browser_tz": choice.browser_zone,
            }
            return _with_visitor(request, _render_form(request, ctx, choice, base, start, form, {}))
    if request.headers.get("HX-Request"):
        if choice.day and not request.headers.get("X-Slotwise-Poll"):
            _funnel(request, event_type, "calendar_2nd_step", now, {"date": choice.day.isoformat()})
        if choice.day and request.headers.get("HX-Target") == "times":
            # A day picked in the calendar: only its times are redrawn, so only that day is worked out.
            starts = page.day_starts(event_type, choice, now=now, host=choice.host)
            return _with_visitor(
                request, render(request, "web/_times.html", {**base, **_day(ctx, choice, starts, locale)})
            )
        return _with_visitor(
            request, render(request, "web/_picker.html", {**base, **_picker(ctx, choice, now, locale)})
        )
    if choice.day:
        _funnel(request, event_type, "calendar_2nd_step", now, {"date": choice.day.isoformat()})
    elif not ctx.rescheduling:
        _funnel(request, event_type, "calendar_1st_step", now, {"event_type": event_type.slug})
    return _with_visitor(
        request, render(request, "web/booking_page.html", {**base, **_picker(ctx, choice, now, locale)})
    )


def _funnel(request, event_type, step, now, attributes):
    funnel.funnel_record(
        organization=event_type.organization,
        visitor_id=request.visitor_id,
        name=step,
        now=now,
        attributes={"event_type": event_type.slug, **attributes},
    )


def _locale(request) -> str:
    """The page's language: Django's (LocaleMiddleware) when it is on, else English."""
    return getattr(request, "LANGUAGE_CODE", None) or DEFAULT_LOCALE


def _picker(ctx: Ctx, choice: page.Choice, now, locale: str) -> dict:
    month, days = page.month_view(ctx.event_type, choice, now=now, host=choice.host)
    for week in month.weeks:
        for cell in week:
            cell["href"] = f"{ctx.base}?{choice.query(date=cell['date'].isoformat())}"
            cell["selected"] = cell["date"] == choice.day
            cell["label"] = format_day(cell["date"], locale, form="date")
    nav = {
        "prev": f"{ctx.base}?{choice.query(date='', month=f'{month.prev:%Y-%m}')}" if month.prev else "",
        "next": f"{ctx.base}?{choice.query(date='', month=f'{month.next:%Y-%m}')}",
    }
    return {
        **_day(ctx, choice, days.get(choice.day, []) if choice.day else [], locale),
        "month": month,
        "nav": nav,
        "weekdays": weekday_names(locale),
        "month_label": format_day(month.first, locale, form="month"),
        "next_free": min(month.free_days) if month.free_days else None,
        "zone_suggestions": [
            {"hit": h, "href": f"{ctx.base}?{choice.query(tz=h.id)}"} for h in choice.zone_suggestions
        ],
    }


def _day(ctx: Ctx, choice: page.Choice, starts: list, locale: str) -> dict:
    """The chosen day's times as the list shows them (web/_times.html); nothing when no day is chosen."""
    if not choice.day:
        return {"groups": [], "times": [], "day_notes": [], "day_label": "", "times_status": ""}
    groups = page.day_times(
        starts,
        choice.zone,
        choice.clock,
        locale,
        lambda s: f"{ctx.base}?{choice.query(start=f'{s:%Y-%m-%dT%H:%M:%SZ}')}",
    )
    notes = page.day_notes(
        choice.day, starts, zone=choice.zone, host_zone=_host_zone(ctx, choice), clock=choice.clock, locale=locale
    )
    return {
        "groups": groups,
        "times": [t for g in groups for t in g["times"]],
        "day_notes": notes,
        "day_label": format_day(choice.day, locale, form="day"),
        # read out by the page's live region (booking.js) when the day's times arrive
        "times_status": ngettext("%(count)d time free on %(day)s", "%(count)d times free on %(day)s", len(starts))
        % {"count": len(starts), "day": format_day(choice.day, locale, form="day")},
    }


def _host_zone(ctx: Ctx, choice: page.Choice) -> str | None:
    """The zone of the host the invitee meets, when it is one person; a pool's hosts have several."""
    event_type = ctx.event_type
    if event_type.owner_id and not event_type.team_id and (not choice.host or choice.host.pk == event_type.owner_id):
        return ctx.host_clock  # selectors.clock_zone gave the owner's zone already
    if choice.host:
        return selectors.host_schedule(event_type, choice.host).timezone
    return None


def _series_view(ctx: Ctx, choice, start, locale: str) -> dict | None:
    """The meetings a recurring event would book from `start`, each free or not (and why), shown in the
    invitee's zone and language before they book."""
    event_type = ctx.event_type
    if ctx.rescheduling or not recurring.is_recurring(event_type):
        return None
    try:
        plan = recurring.series_plan(event_type=event_type, start=start, now=utc_now(), host=choice.host)
    except SlotwiseError:
        return None
    duration = timedelta(minutes=event_type.duration_minutes)
    rows = []
    for o in plan.occurrences:
        if o.start is None:
            label = f"{o.wall:%Y-%m-%d %H:%M} ({plan.zone})"
        else:
            label = (
                f"{page.fmt_day(o.start, choice.zone, locale)} · {page.fmt_time(o.start, choice.zone, choice.clock, locale)}"
                f" – {page.fmt_time(o.start + duration, choice.zone, choice.clock, locale)}"
            )
        rows.append(
            {"label": label, "free": o.free, "reason": "; ".join(_(w) for w in reason_words.for_invitee(o.reasons))}
        )
    n = len(plan.occurrences)
    if plan.interval == 1:
        rule = ngettext("Every week, %(n)s meeting", "Every week, %(n)s meetings", n) % {"n": n}
    else:
        rule = ngettext("Every two weeks, %(n)s meeting", "Every two weeks, %(n)s meetings", n) % {"n": n}
    if event_type.recurrence_partial:
        terms = _("Meetings that cannot be booked are skipped; the others are booked.")
    else:
        terms = _("The series is booked only if every meeting is free.")
    return {
        "rule": rule,
        "terms": terms,
        "occurrences": rows,
        "bookable": plan.bookable,
        "free": len(plan.free),
        "refusal": "" if plan.bookable else recurring.refusal_message(plan),
    }


def _render_form(request, ctx, choice, base, start, form, errors, *, status=200, night=None, taken=None):
    end = start + timedelta(minutes=choice.duration or ctx.event_type.duration_minutes)
    questions = []
    for q in base["text"].questions:
        value = form["answers"].get(q["key"], [] if q.get("type") == "multiple_choice" else "")
        questions.append({**q, "value": value, "error": errors.get(f"answers.{q['key']}")})
    return render(
        request,
        "web/booking_form.html",
        {
            **base,
            "start": start,
            "start_iso": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "when": f"{page.fmt_time(start, choice.zone, choice.clock, base['locale'])} – {page.fmt_time(end, choice.zone, choice.clock, base['locale'])}",
            "day_label": page.fmt_day(start, choice.zone, base["locale"]),
            "form": form,
            "errors": errors,
            "questions": questions,
            "night": night,
            "taken": taken,
            "series": _series_view(ctx, choice, start, base["locale"]),
            "back": f"{ctx.base}?{choice.query(date=start.astimezone(ZoneInfo(choice.zone)).date().isoformat())}",
        },
        status=status,
    )


def _read_form(request, event_type) -> dict:
    answers = {}
    for q in event_type.questions or []:
        key = f"q_{q['key']}"
        if q.get("type") == "multiple_choice":
            answers[q["key"]] = request.POST.getlist(key)
        else:
            answers[q["key"]] = request.POST.get(key, "")
    return {
        "start": request.POST.get("start", ""),
        "name": request.POST.get("name", ""),
        "email": request.POST.get("email", ""),
        "answers": answers,
        "reason": request.POST.get("reason", ""),
        "browser_tz": zonesearch.canonical_zone(request.POST.get("browser_tz", "")[:64]),
        "confirmed": request.POST.get("confirmed") == "1",
        "guests": request.POST.get("guests", "")[:5000],
    }


def _submit(request, ctx: Ctx, choice, base, now):
    event_type = ctx.event_type
    form = _read_form(request, event_type)
    try:
        start = parse_instant(form["start"], field="start")
    except InvalidInput as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=400)
    # The sanity check no hosted tool makes: a time at night for the invitee, or a page zone that is not
    # the browser's, is the classic wrong-zone booking. Ask once before booking.
    mismatch = form["browser_tz"] and form["browser_tz"] != choice.zone
    if not form["confirmed"] and (page.is_night(start, choice.zone) or mismatch):
        night = {
            "text": _("This is %(time)s in %(zone)s — is that right?")
            % {"time": page.fmt_time(start, choice.zone, choice.clock), "zone": choice.zone},
            "mismatch": form["browser_tz"] if mismatch else "",
            "local_browser": page.fmt_time(start, form["browser_tz"], choice.clock, base["locale"])
            if mismatch and _valid_zone(form["browser_tz"])
            else "",
        }
        return _render_form(request, ctx, choice, base, start, form, {}, night=night)
    try:
        if ctx.rescheduling:
            invitee = bookings.booking_reschedule(
                invitee=ctx.rescheduling, new_start=start, now=now, reason=form["reason"][:1000]
            )
        else:
            invitee = _book(request, ctx, choice, form, start, now)
    except SlotUnavailable as exc:
        if recurring.is_recurring(event_type) and not ctx.rescheduling and ctx.link is None:
            # The series' list above the form says which meetings are not free, and why.
            return _render_form(request, ctx, choice, base, start, form, {"form": exc.message}, status=409)
        taken = page.nearest_free(
            event_type, start=start, zone=choice.zone, now=now, host=choice.host, duration=choice.duration
        )
        taken = [
            {
                "iso": f"{s:%Y-%m-%dT%H:%M:%SZ}",
                "label": f"{page.fmt_short_day(s, choice.zone, base['locale'])} · "
                f"{page.fmt_time(s, choice.zone, choice.clock, base['locale'])}",
            }
            for s in taken
        ]
        return _render_form(request, ctx, choice, base, start, form, {}, status=409, taken=taken)
    except LinkUsed:
        return _dead_link(request, ctx.link)
    except InvalidInput as exc:
        field = exc.field or "start"
        errors = {field: exc.message.split(": ", 1)[-1] if ":" in exc.message else exc.message}
        if field not in ("name", "email", "guests") and not field.startswith("answers."):
            errors["form"] = exc.message
        return _render_form(request, ctx, choice, base, start, form, errors, status=400)
    qs = f"?clock={choice.clock}" if choice.clock != default_clock(translation.get_language()) else ""
    return redirect(f"/booked/{invitee.uid}/{qs}")


def _valid_zone(zone: str) -> bool:
    return zonesearch.is_zone(zone)


def _book(request, ctx, choice, form, start, now) -> Invitee:
    name = form["name"].strip()
    first, _, last = name.rpartition(" ") if " " in name else (name, "", "")
    answers = {k: v for k, v in form["answers"].items() if v not in ("", [])}
    person = bookings.InviteeInput(
        name=name,
        email=form["email"],
        timezone=choice.zone,
        answers=answers,
        first_name=first,
        last_name=last,
        language=translation.get_language(),
    )
    guests = [g for g in form["guests"].replace(";", ",").replace("\n", ",").split(",") if g.strip()]
    with transaction.atomic():
        if recurring.is_recurring(ctx.event_type) and ctx.link is None:
            invitee = recurring.recurring_booking_create(
                event_type=ctx.event_type, start=start, now=now, host=choice.host, invitee=person, guests=guests
            ).first
        else:
            invitee = bookings.booking_create(
                event_type=ctx.event_type,
                start=start,
                now=now,
                host=choice.host,
                duration_minutes=choice.duration,
                single_use_token=ctx.link.token if ctx.link else None,
                invitee=person,
                guests=guests,
            )
        by_key = {a["key"]: a["answer"] for a in invitee.answers}
        funnel.funnel_submit(
            organization=ctx.event_type.organization,
            visitor_id=request.visitor_id,
            email=invitee.email,
            now=now,
            attributes={
                "event_type": ctx.event_type.slug,
                "start": f"{start:%Y-%m-%dT%H:%M:%SZ}",
                "name": invitee.name,
                "first_name": invitee.first_name,
                "last_name": invitee.last_name,
                "email": invitee.email,
                "company": by_key.get("company", ""),
                "description": by_key.get("description", by_key.get("notes", "")),
            },
        )
    return invitee


# --- after booking ---------------------------------------------------------------------------------


def _invitee_by_uid(uid) -> Invitee:
    try:
        return Invitee.objects.select_related("booking__event_type__organization", "booking__host__user").get(uid=uid)
    except (Invitee.DoesNotExist, ValueError, DjangoValidationError):
        raise Http404("no such booking") from None


def _clock(request, invitee: Invitee) -> str:
    """12 or 24 h on the pages after booking: as asked (?clock=), else the habit of the invitee's language."""
    if request.GET.get("clock") in ("12", "24"):
        return request.GET["clock"]
    _speak(request, invitee.booking.event_type, invitee)
    return default_clock(translation.get_language())


def _details(invitee: Invitee) -> str:
    """The cancel and reschedule links, as the calendar entry's description."""
    return (
        _("Cancel: %(url)s") % {"url": f"{settings.BASE_URL}/cancel/{invitee.cancel_token}/"}
        + "\n"
        + _("Reschedule: %(url)s") % {"url": f"{settings.BASE_URL}/reschedule/{invitee.reschedule_token}/"}
    )


def _summary(request, invitee: Invitee, clock: str) -> dict:
    b = invitee.booking
    zone = invitee.timezone
    locale = _speak(request, b.event_type, invitee)
    was = b.rescheduled_from if b.rescheduled_from_id else None
    title = ical.summary(b)
    details = _details(invitee)
    where = b.location or _location_label(b.event_type)
    return {
        "invitee": invitee,
        "booking": b,
        "zone": zone,
        "title": title,
        "where": where,
        "event_name": selectors.event_type_text(b.event_type, locale).name,
        "status_label": _status_label(b),
        "day_label": page.fmt_day(b.start, zone, locale),
        "when": f"{page.fmt_time(b.start, zone, clock, locale)} – {page.fmt_time(b.end, zone, clock, locale)}",
        "offset": format_instant(b.start, zone, locale, form="offset"),
        # a moved meeting shows where it came from: the old time struck out beside the new one
        "previous": {
            "when": f"{page.fmt_time(was.start, zone, clock, locale)} – {page.fmt_time(was.end, zone, clock, locale)}",
            "day_label": page.fmt_day(was.start, zone, locale),
        }
        if was
        else None,
        "book_again": _book_again(b),
        "series_dates": [
            f"{page.fmt_day(o.start, zone, locale)} · {page.fmt_time(o.start, zone, clock, locale)}"
            for o in b.series.occurrences.filter(status=Booking.Status.CONFIRMED).order_by("series_index")
        ]
        if b.series_id
        else [],
        "expires": (
            f"{page.fmt_day(b.approval_expires_at, zone, locale)}, {page.fmt_time(b.approval_expires_at, zone, clock, locale)}"
            if b.status == Booking.Status.PENDING and b.approval_expires_at
            else ""
        ),
        "google": page.google_link(title=title, start=b.start, end=b.end, details=details, location=where),
        "outlook": page.outlook_link(title=title, start=b.start, end=b.end, details=details, location=where),
    }


def _book_again(booking: Booking) -> str:
    """Where "Book another time" after a cancel goes: the event's page, or for a single-use link's booking
    only what the sender allows a dead link to offer."""
    if booking.link_id:
        return links.public_page_for(booking.link) or ""
    return booking.event_type.path if booking.event_type.active else ""


@public_rate_limit
def confirmation(request, uid):
    invitee = _invitee_by_uid(uid)
    request.embed_organization = invitee.booking.organization  # shown inside the embed after booking
    clock = _clock(request, invitee)
    return render(request, "web/confirmation.html", _summary(request, invitee, clock))


@public_rate_limit
def ics(request, uid):
    """The invitee's copy of the meeting, built like the invitation email (one UID and SEQUENCE, so a
    calendar that gets both holds one entry). A moved meeting's old link gives the meeting as it is now."""
    invitee = _invitee_by_uid(uid)
    seen = set()
    while invitee.booking.status == Booking.Status.RESCHEDULED and invitee.booking_id not in seen:
        seen.add(invitee.booking_id)
        successor = _successor(invitee.booking)
        if successor is None:
            break
        invitee = successor
    b = invitee.booking
    _speak(request, b.event_type, invitee)
    details = _details(invitee)
    body = ical.invitation(
        booking=b,
        invitee=invitee,
        method="PUBLISH",
        description=details,
        stamp=b.updated_at or b.created_at,
        location=b.location or _location_label(b.event_type),
    )
    resp = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{b.event_type.slug}.ics"'
    return resp


@csrf_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def cancel_page(request, token):
    invitee = get_object_or_404(
        Invitee.objects.select_related("booking__event_type__organization", "booking__host__user"), cancel_token=token
    )
    if invitee.booking.source == Booking.Source.IMPORT:
        return render(request, "web/error.html", {"message": bookings.imported_message(invitee.booking)}, status=409)
    clock = _clock(request, invitee)
    ctx = _summary(request, invitee, clock)
    if invitee.status != Invitee.Status.ACTIVE or invitee.booking.status not in (
        Booking.Status.CONFIRMED,
        Booking.Status.PENDING,
    ):
        return render(request, "web/cancel.html", {**ctx, "done": True, "successor": _successor(invitee.booking)})
    closed = bookings.change_closed(booking=invitee.booking, now=utc_now())
    if closed is not None:
        message = bookings.change_closed_message(booking=invitee.booking, reason=closed, action="canceled")
        return render(request, "web/cancel.html", {**ctx, "closed": message, "reason_code": closed}, status=403)
    booking = invitee.booking
    if booking.series_id:
        later = Booking.objects.filter(
            series_id=booking.series_id,
            series_index__gt=booking.series_index,
            status__in=[Booking.Status.CONFIRMED, Booking.Status.PENDING],
        ).count()
        ctx["series"] = {"later": later} if later else None
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        scope = request.POST.get("scope", "this")
        try:
            if booking.series_id:
                recurring.occurrence_cancel(
                    booking=booking,
                    now=utc_now(),
                    later=scope == "later",
                    reason=reason,
                    canceled_by=invitee.name,
                    canceler_type="invitee",
                )
            else:
                bookings.invitee_cancel(invitee=invitee, now=utc_now(), reason=reason)
        except ChangeClosed as exc:
            return render(request, "web/cancel.html", {**ctx, "closed": exc.message}, status=403)
        except InvalidInput as exc:
            return render(request, "web/cancel.html", {**ctx, "error": exc.message, "reason": reason}, status=400)
        invitee.refresh_from_db()
        return render(request, "web/cancel.html", {**_summary(request, invitee, clock), "done": True, "just_now": True})
    return render(request, "web/cancel.html", ctx)


def _when_for(booking: Booking, zone: str, locale: str) -> dict:
    return {
        "zone": zone,
        "day_label": page.fmt_day(booking.start, zone, locale),
        "when": f"{page.fmt_time(booking.start, zone, '24', locale)} – {page.fmt_time(booking.end, zone, '24', locale)}",
    }


@csrf_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def approval_page(request, token):
    """The approve or decline link in the host's email: the signed token is the permission. GET asks,
    POST decides, so a mail scanner that follows links decides nothing."""
    try:
        booking, action = approvals.from_token(token)
    except NotFound as exc:
        return render(request, "web/error.html", {"message": exc.message}, status=404)
    zone = booking.host.user.timezone or "UTC"
    locale = _locale(request)
    ctx = {
        "booking": booking,
        "action": action,
        "invitees": list(booking.invitees.order_by("pk")),
        **_when_for(booking, zone, locale),
    }
    if booking.approval_expires_at:
        ctx["expires"] = (
            f"{page.fmt_day(booking.approval_expires_at, zone, locale)}, "
            f"{page.fmt_time(booking.approval_expires_at, zone, '24', locale)}"
        )
    if request.method == "POST":
        try:
            booking = approvals.decide(
                booking=booking, action=action, now=utc_now(), reason=request.POST.get("reason", "")
            )
        except InvalidInput as exc:
            return render(request, "web/approval.html", {**ctx, "error": exc.message}, status=400)
        except SlotwiseError as exc:
            return render(request, "web/approval.html", {**ctx, "error": exc.message}, status=409)
        done = (
            "Approved: the invitee gets the invitation now"
            if action == "approve"
            else "Declined: the invitee is told and the time is free again"
        )
        return render(request, "web/approval.html", {**ctx, "booking": booking, "done": done})
    if booking.status != Booking.Status.PENDING:
        booking.refresh_from_db()
        ctx["error"] = approvals.not_pending_message(booking)
        return render(request, "web/approval.html", ctx, status=409)
    return render(request, "web/approval.html", ctx)


@csrf_exempt
@public_rate_limit
@require_http_methods(["GET", "POST"])
def guest_decline_page(request, token):
    """A guest's decline link (in their invitation): the meeting goes on, the host sees who declined."""
    guest = get_object_or_404(
        Guest.objects.select_related("booking__event_type", "booking__host__user"), decline_token=token
    )
    booking = guest.booking
    # A guest reads the language the invitee who added them booked in (their invitation was written in it).
    locale = _speak(request, booking.event_type, booking.invitees.order_by("pk").first())
    if request.method == "POST" and booking.status == Booking.Status.CONFIRMED:
        guest = bookings.guest_decline(guest=guest, now=utc_now())
    ctx = {
        "guest": guest,
        "booking": booking,
        "gone": booking.status != Booking.Status.CONFIRMED,
        **_when_for(booking, booking.timezone, locale),
    }
    return render(request, "web/guest_decline.html", ctx)


@public_rate_limit
@require_http_methods(["GET"])
def zone_search(request):
    """The booking page's zone picker asks here as the invitee types: an HTML fragment of at most a dozen
    zones (name in the page's language, offset and local time now), so no page carries all ~420 zones."""
    query = request.GET.get("q", "")[:64]
    locale = request.GET.get("hl") or _locale(request)
    clock = request.GET.get("clock") if request.GET.get("clock") in ("12", "24") else None
    hits = zonesearch.search(query, locale=locale, now=utc_now(), clock=clock) if query.strip() else []
    resp = render(request, "web/_zone_results.html", {"query": query.strip(), "hits": hits})
    resp["Cache-Control"] = "private, max-age=60"  # offsets and local times are "now"
    return resp


def org_page(request, org):
    organization = get_object_or_404(Organization, slug=org)
    # Agency staff who entered this sub-account are not its hosts, unless they host an event type in it.
    hosts = (
        Membership.objects.active()
        .filter(organization=organization)
        .exclude(via_agency=True, event_types__isnull=True)
        .select_related("user")
        .distinct()
        .order_by("slug")
    )
    return render(request, "web/org_page.html", {"organization": organization, "hosts": hosts})
