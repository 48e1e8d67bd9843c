"""The host dashboard: event types, availability with a "why not offered" week preview, bookings, team,
contacts. Logged-in pages with Django sessions and CSRF; writes go through the owning app's services."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from slotwise import engine
from slotwise.accounts import services as accounts
from slotwise.accounts.decorators import membership_required
from slotwise.accounts.models import Membership, Organization
from slotwise.accounts.selectors import SESSION_KEY
from slotwise.bookings import approvals, links
from slotwise.bookings import selectors as booked
from slotwise.bookings import services as bookings
from slotwise.bookings.availability import week_preview
from slotwise.bookings.models import Booking, Invitee, SingleUseLink
from slotwise.bookings.noshow import invitee_no_show_set
from slotwise.contacts import selectors as contacts
from slotwise.contacts.models import Contact
from slotwise.core.clock import utc_now
from slotwise.core.errors import InvalidInput, SlotwiseError
from slotwise.core.instants import parse_date
from slotwise.core.timezones import all_zones
from slotwise.imports import selectors as imported
from slotwise.scheduling import reasons as reason_words
from slotwise.scheduling import selectors
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import (
    WEEKDAYS,
    AvailabilitySchedule,
    EventType,
    HostLimits,
    PoolHost,
    PoolJoinRequest,
)
from slotwise.scheduling.reasons import WORDING

from . import booking as page

logout_view = auth_views.LogoutView.as_view(next_page="/login/")


# Logged in, and acting in exactly one account: request.membership is the host acting (the account
# switcher's choice, see accounts.decorators.acting_membership).
host_required = membership_required


def _host_zone(m: Membership) -> str:
    return selectors.reading_zone(m)


def _visible_event_types(m: Membership):
    # Imported calendars' event types (external_source) are not ours to edit or book: never listed.
    qs = EventType.objects.filter(organization=m.organization, external_source="").select_related(
        "owner__user", "team", "organization"
    )
    if not m.is_admin:
        qs = qs.filter(Q(owner=m) | Q(team__members=m)).distinct()
    return qs


def _event_type(m: Membership, pk: int) -> EventType:
    event_type = _visible_event_types(m).filter(pk=pk).first()
    if event_type is None:
        raise Http404("no such event type")
    return event_type


def _may_edit(m: Membership, event_type: EventType) -> bool:
    return m.is_admin or event_type.owner_id == m.pk


# --- event types ---------------------------------------------------------------------------------------


@host_required
def home(request):
    m = request.membership
    favorites = selectors.starred_ids(m)
    event_types = sorted(_visible_event_types(m), key=lambda e: (e.pk not in favorites, not e.active, e.name.lower()))
    now = utc_now()
    upcoming = (
        Booking.objects.filter(organization=m.organization, status=Booking.Status.CONFIRMED, start__gte=now)
        .filter(Q(host=m) | Q(host_blocks__membership=m))
        .distinct()
        .select_related("event_type")
        .order_by("start")[:5]
    )
    zone = _host_zone(m)
    upcoming = [
        {"b": b, "when": f"{page.fmt_short_day(b.start, zone)} · {page.fmt_time(b.start, zone, '24')}"}
        for b in upcoming
    ]
    return render(
        request,
        "web/dash_event_types.html",
        {
            "event_types": event_types,
            "favorites": favorites,
            "upcoming": upcoming,
            "nav": "event_types",
            "new_link": request.session.pop("new_link", None),
            "zone": zone,
            "base_url": request.build_absolute_uri("/").rstrip("/"),
        },
    )


@host_required
@require_POST
def star(request, pk):
    m = request.membership
    event_type = _event_type(m, pk)
    scheduling.star_set(
        membership=m, event_type=event_type, starred=event_type.pk not in selectors.starred_ids(m), now=utc_now()
    )
    return redirect("dashboard")


def _link_url(request, link: SingleUseLink) -> str:
    return request.build_absolute_uri(f"/d/{link.token}/")


def _create_link(request, event_type: EventType) -> SingleUseLink:
    now = utc_now()
    return links.link_create(
        event_type=event_type,
        created_by=request.membership,
        now=now,
        expires_at=links.parse_expiry(request.POST.get("expires", ""), now=now),
        prefill_name=request.POST.get("name", ""),
        prefill_email=request.POST.get("email", ""),
        reference=request.POST.get("reference", ""),
    )


@host_required
@require_POST
def single_use_create(request, pk):
    m = request.membership
    event_type = _event_type(m, pk)
    try:
        link = _create_link(request, event_type)
    except SlotwiseError as exc:
        messages.error(request, exc.message)
        return redirect("dashboard")
    request.session["new_link"] = {"event_type": event_type.pk, "url": _link_url(request, link)}
    return redirect("dashboard")


LINK_STATES = [("", "All states"), *SingleUseLink.State.choices]


@host_required
def link_list(request):
    """Single-use links per event type and per sender, with their states; create (with prefill) and revoke."""
    m = request.membership
    now = utc_now()
    event_types = sorted(_visible_event_types(m), key=lambda e: e.name.lower())
    form = {k: request.POST.get(k, "") for k in ("event_type", "expires", "name", "email", "reference")}
    errors, created = {}, None
    if request.method == "POST":
        event_type = next((e for e in event_types if str(e.pk) == form["event_type"]), None)
        try:
            if event_type is None:
                raise InvalidInput("Pick the event type the link books", field="event_type")
            created = _create_link(request, event_type)
            messages.success(request, f"Single-use link for {event_type.name} ready: {_link_url(request, created)}")
            form = {k: "" for k in form}
        except SlotwiseError as exc:
            errors[exc.field or "form"] = exc.message
    et_filter, who, state = request.GET.get("event_type", ""), request.GET.get("by", ""), request.GET.get("state", "")
    event_type = next((e for e in event_types if str(e.pk) == et_filter), None)
    senders = list(
        Membership.objects.active().filter(organization=m.organization).select_related("user").order_by("slug")
    )
    sender = next((h for h in senders if h.slug == who), None)
    try:
        qs = links.link_list(membership=m, now=now, event_type=event_type, created_by=sender, state=state or None)
    except InvalidInput as exc:
        messages.error(request, exc.message)
        qs, state = links.link_list(membership=m, now=now, event_type=event_type, created_by=sender), ""
    zone = _host_zone(m)
    items = []
    for link in qs[:200]:
        booked = links.link_bookings(link)
        items.append(
            {
                "link": link,
                "state": link.state(now),
                "url": _link_url(request, link),
                "created": f"{page.fmt_short_day(link.created_at, zone)} · {page.fmt_time(link.created_at, zone, '24')}",
                "expires": (
                    f"{page.fmt_short_day(link.expires_at, zone)} · {page.fmt_time(link.expires_at, zone, '24')}"
                    if link.expires_at
                    else ""
                ),
                "bookings": [
                    {
                        "b": b,
                        "when": f"{page.fmt_short_day(b.start, zone)} · {page.fmt_time(b.start, zone, '24')}",
                        "invitees": list(b.invitees.all()),
                    }
                    for b in booked
                ],
                "may_revoke": links.may_revoke(m, link) and link.state(now) in ("unused", "expired"),
            }
        )
    return render(
        request,
        "web/dash_links.html",
        {
            "nav": "links",
            "items": items,
            "event_types": event_types,
            "senders": senders,
            "states": LINK_STATES,
            "et_filter": et_filter,
            "who": who,
            "state": state,
            "zone": zone,
            "form": form,
            "errors": errors,
            "created": created,
            "created_url": _link_url(request, created) if created else "",
            "offers_public_page": m.dead_link_offers_public_page,
        },
        status=400 if errors else 200,
    )


@host_required
@require_POST
def link_revoke(request, uuid):
    m = request.membership
    try:
        link = links.link_get(membership=m, uuid=str(uuid))
        links.link_revoke(link=link, by=m, now=utc_now())
        messages.success(request, f"Link for {link.event_type.name} revoked: it books nothing any more.")
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    target = request.POST.get("next", "")
    return redirect(target if target.startswith("/dashboard/links/") else "/dashboard/links/")


@host_required
@require_POST
def link_settings(request):
    m = request.membership
    accounts.membership_link_settings(membership=m, offer_public_page=request.POST.get("offer_public_page") == "on")
    messages.success(
        request,
        "Saved: used, expired and revoked links "
        + (
            "offer your public page."
            if request.POST.get("offer_public_page") == "on"
            else "no longer offer your public page."
        ),
    )
    return redirect("links")


def _questions_text(questions: list[dict]) -> str:
    lines = []
    for q in questions or []:
        parts = [q.get("label", ""), q.get("type", "text"), "required" if q.get("required") else "optional"]
        if q.get("options"):
            parts.append(", ".join(q["options"]))
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _parse_questions(text: str) -> list[dict]:
    """One question a line: `Label | type | required|optional | option, option`."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        q = {
            "label": parts[0],
            "type": parts[1] if len(parts) > 1 and parts[1] else "text",
            "required": len(parts) > 2 and parts[2].lower() in ("required", "yes", "true", "1"),
        }
        if len(parts) > 3:
            q["options"] = [o.strip() for o in parts[3].split(",") if o.strip()]
        out.append(q)
    return out


CHECKBOXES = ("invitee_picks_host", "active", "secret", "requires_confirmation", "recurrence_partial")


def _translations_form(translations: dict, questions: list[dict], default_language: str) -> list[dict]:
    """One block per language other than the event type's own: its name, description and questions
    (one a line, in the order of the questions: `Label | option, option`)."""
    blocks = []
    for code, name in settings.LANGUAGES:
        if code == default_language:
            continue
        own = translations.get(code) or {}
        given = own.get("questions") or {}
        if isinstance(given, list):  # the form's own lines, sent back with an error
            given = {i: t for i, t in enumerate(given)}
            keys = range(len(questions or []))
        else:
            keys = [q.get("key") for q in questions or []]
        lines = []
        for key in keys:
            t = given.get(key, {})
            line = t.get("label", "")
            if t.get("options"):
                line += " | " + ", ".join(t["options"])
            lines.append(line)
        blocks.append(
            {
                "code": code,
                "name": name,
                "field": code.replace("-", "_"),
                "title": own.get("name", ""),
                "description": own.get("description", ""),
                "questions": "\n".join(lines).rstrip("\n"),
            }
        )
    return blocks


def _read_translations(post) -> dict:
    out = {}
    for code, _name in settings.LANGUAGES:
        field = code.replace("-", "_")
        if f"tr_{field}_name" not in post:
            continue
        questions = []
        for line in post.get(f"tr_{field}_questions", "").splitlines():
            label, _, options = line.partition("|")
            questions.append(
                {"label": label.strip(), "options": [o.strip() for o in options.split(",")] if options.strip() else []}
            )
        while questions and not questions[-1]["label"] and not questions[-1]["options"]:
            questions.pop()
        out[code] = {
            "name": post.get(f"tr_{field}_name", ""),
            "description": post.get(f"tr_{field}_description", ""),
            "questions": questions,
        }
    return out


@host_required
def event_type_edit(request, pk=None):
    m = request.membership
    event_type = _event_type(m, pk) if pk else None
    if event_type and not _may_edit(m, event_type):
        return render(
            request, "web/error.html", {"message": "Only the owner or an admin can edit this event type."}, status=403
        )
    teams = list(m.organization.teams.all()) if m.is_admin else list(m.teams.all())
    errors = {}
    if request.method == "POST":
        # Settings the form did not send keep their current (or default) value.
        values = {k: request.POST[k] for k in scheduling.EVENT_TYPE_FIELDS if k in request.POST and k not in CHECKBOXES}
        for k in CHECKBOXES:
            values[k] = request.POST.get(k) == "on"
        values["questions_text"] = request.POST.get("questions_text", "")
        clean = {k: v for k, v in values.items() if k != "questions_text"}
        clean["questions"] = _parse_questions(values["questions_text"])
        if "translations_form" in request.POST:
            # Languages that are empty, or the event type's own, are left out rather than refused.
            asked = _read_translations(request.POST)
            own = request.POST.get("default_language") or (event_type.default_language if event_type else "en")
            clean["translations"] = {
                code: t
                for code, t in asked.items()
                if code != own
                and (
                    t["name"].strip()
                    or t["description"].strip()
                    or any(q["label"] or any(q["options"]) for q in t["questions"])
                )
            }
        now = utc_now()
        try:
            if event_type is None:
                team = None
                owner_choice = request.POST.get("owner", "me")
                if owner_choice.startswith("team:"):
                    team = next((t for t in teams if str(t.pk) == owner_choice[5:]), None)
                    if team is None:
                        raise InvalidInput("owner: you are not in that team", field="owner")
                event_type = scheduling.event_type_create(
                    organization=m.organization, owner=None if team else m, team=team, values=clean, now=now
                )
            else:
                scheduling.event_type_update(event_type=event_type, values=clean, now=now)
        except InvalidInput as exc:
            errors[exc.field or "form"] = exc.message
            form = values
            form["translations"] = clean.get("translations", event_type.translations if event_type else {})
            form.setdefault("default_language", event_type.default_language if event_type else "en")
            if event_type is not None and event_type.pk:
                event_type.refresh_from_db()
        else:
            messages.success(request, f"Saved {event_type.name}.")
            return redirect("event_type_edit", pk=event_type.pk)
    else:
        source = event_type or EventType(**scheduling.EVENT_TYPE_FIELDS)
        form = {k: getattr(source, k) for k in scheduling.EVENT_TYPE_FIELDS}
        form["duration_options"] = ", ".join(str(d) for d in form["duration_options"] or [])
        form["questions_text"] = _questions_text(form["questions"])
        for k in ("window_start", "window_end"):
            form[k] = form[k].isoformat() if form[k] else ""
    questions = clean["questions"] if request.method == "POST" else form["questions"]
    languages = _translations_form(
        form.get("translations") or {},
        [
            {
                **q,
                "key": q.get("key")
                or (event_type.questions[i]["key"] if event_type and i < len(event_type.questions or []) else ""),
            }
            for i, q in enumerate(questions or [])
        ],
        form.get("default_language") or "en",
    )
    return render(
        request,
        "web/dash_event_type_form.html",
        {
            "languages": languages,
            "language_choices": settings.LANGUAGES,
            "event_type": event_type if event_type and event_type.pk else None,
            "form": form,
            "errors": errors,
            "teams": teams,
            "nav": "event_types",
            "kinds": EventType.Kind.choices,
            "window_kinds": EventType.WindowKind.choices,
            "recurrences": EventType.Recurrence.choices,
            "location_kinds": EventType.LocationKind.choices,
            "distributions": EventType.Distribution.choices,
            "page_url": request.build_absolute_uri(event_type.path) if event_type and event_type.pk else "",
            "origin": request.build_absolute_uri("/").rstrip("/"),
        },
    )


@host_required
def pool_edit(request, pk):
    m = request.membership
    event_type = _event_type(m, pk)
    if event_type.team_id is None:
        raise Http404("only team events have a pool")
    members = list(event_type.team.members.select_related("user").order_by("slug"))
    current = {p.membership_id: p for p in PoolHost.objects.filter(event_type=event_type)}
    error = None
    if request.method == "POST":
        if not m.is_admin:
            return render(request, "web/error.html", {"message": "Only admins change pools."}, status=403)
        chosen = []
        for member in members:
            if request.POST.get(f"in_{member.pk}") == "on":
                chosen.append(
                    (
                        member,
                        request.POST.get(f"priority_{member.pk}", "2"),
                        request.POST.get(f"weight_{member.pk}", "100"),
                    )
                )
        try:
            scheduling.pool_set(event_type=event_type, hosts=[(mm, _to_int(p), _to_int(w)) for mm, p, w in chosen])
        except InvalidInput as exc:
            error = exc.message
        else:
            messages.success(request, "Pool saved.")
            return redirect("pool_edit", pk=pk)
    rows = [
        {
            "m": mm,
            "in": mm.pk in current,
            "priority": current[mm.pk].priority if mm.pk in current else 2,
            "weight": current[mm.pk].weight if mm.pk in current else 100,
        }
        for mm in members
    ]
    requests = (
        PoolJoinRequest.objects.filter(event_type=event_type, status=PoolJoinRequest.Status.PENDING)
        .select_related("membership__user")
        .order_by("created_at")
    )
    return render(
        request,
        "web/dash_pool.html",
        {
            "event_type": event_type,
            "rows": rows,
            "error": error,
            "nav": "team",
            "can_manage": m.is_admin,
            "in_pool": m.pk in current,
            "requests": [
                {"r": r, "hours": _hours_lines(r.weekly), "daylight": _hours_lines(r.weekly_daylight)} for r in requests
            ],
        },
    )


def _hours_lines(weekly: dict | None) -> list[str]:
    return [f"{day.capitalize()} {_ranges_text(weekly[day])}" for day in WEEKDAYS if (weekly or {}).get(day)]


def _to_int(value, default=-1):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- availability ----------------------------------------------------------------------------------


def _ranges_text(ranges) -> str:
    return ", ".join(f"{a}-{b}" for a, b in ranges or [])


def _split_ranges(text: str) -> list[str]:
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]


def _parse_overrides(text: str) -> tuple[dict, str | None]:
    """`2026-03-10: 10:00-12:00, 14:00-16:00` or `2026-03-11: off`, one date a line."""
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        day, sep, rest = line.partition(":")
        if not sep:
            return out, f"Date overrides, line {n}: write it as 2026-03-10: 10:00-12:00 (or: off)"
        rest = rest.strip()
        out[day.strip()] = [] if rest.lower() in ("off", "away", "") else _split_ranges(rest)
    return out, None


def read_hours(post) -> tuple[dict, dict, dict]:
    """(form, weekly, daylight) from a form of weekly hours: one field a day ("09:00-12:00, 13:00-17:00"),
    the zone, and, with "seasonal" ticked, one dl_<day> field a day for daylight-saving time."""
    form = {"timezone": post.get("timezone", ""), "seasonal": post.get("seasonal") == "on"}
    weekly, daylight = {}, {}
    for day in WEEKDAYS:
        form[day] = post.get(day, "")
        weekly[day] = _split_ranges(form[day])
        form[f"dl_{day}"] = post.get(f"dl_{day}", "")
        daylight[day] = _split_ranges(form[f"dl_{day}"])
    return form, weekly, daylight


def hours_error_key(field: str | None) -> str:
    """Which field of the hours form a refusal belongs beside: weekly.mon[0] -> mon; weekly_daylight.mon -> the
    daylight block; anything else by its name."""
    field = field or "form"
    if field.startswith("weekly."):
        return field.split(".")[-1].split("[")[0]
    return field.split(".")[0]


@host_required
def availability(request):
    m = request.membership
    schedule = selectors.default_schedule(m)
    if schedule is None:
        schedule = AvailabilitySchedule.objects.create(
            organization=m.organization, owner=m, is_default=True, timezone=m.user.timezone or "UTC", weekly={}
        )
    errors = {}
    action = request.POST.get("action", "hours") if request.method == "POST" else ""
    if action in AWAY_ACTIONS:
        return _away_action(request, m, action)
    if request.method == "POST":
        form, weekly, daylight = read_hours(request.POST)
        form["overrides"] = request.POST.get("overrides", "")
        overrides, problem = _parse_overrides(form["overrides"])
        try:
            if problem:
                raise InvalidInput(problem, field="overrides")
            scheduling.schedule_update(
                schedule=schedule,
                timezone=form["timezone"],
                weekly=weekly,
                overrides=overrides,
                daylight=daylight if form["seasonal"] else None,
                now=utc_now(),
            )
        except InvalidInput as exc:
            errors[hours_error_key(exc.field)] = exc.message
        else:
            messages.success(request, "Hours saved. The booking pages now offer the new times.")
            return redirect(request.get_full_path())
    else:
        form = {day: _ranges_text(schedule.weekly.get(day)) for day in WEEKDAYS}
        form.update({f"dl_{day}": _ranges_text((schedule.weekly_daylight or {}).get(day)) for day in WEEKDAYS})
        form["seasonal"] = schedule.weekly_daylight is not None
        form["timezone"] = schedule.timezone
        form["overrides"] = "\n".join(
            f"{o.date.isoformat()}: {_ranges_text(o.intervals) or 'off'}" for o in schedule.overrides.all()
        )
    limits = HostLimits.objects.filter(membership=m).first()
    ctx = {
        "schedule": schedule,
        "form": form,
        "errors": errors,
        "weekdays": WEEKDAYS,
        "zones": all_zones(),
        "nav": "availability",
        "daylight_days": [(d, form[f"dl_{d}"]) for d in WEEKDAYS],
        "limit_fields": [
            (k, what, getattr(limits, k, None) if limits else None)
            for k, (what, _u, _m) in scheduling.LIMIT_WORDS.items()
        ],
        "absences": m.absences.select_related("redirect_to__user"),
        "stays": m.stays.all(),
        "teammates": Membership.objects.active()
        .filter(organization=m.organization)
        .exclude(pk=m.pk)
        .select_related("user"),
    }
    ctx.update(_week_preview(request, m, schedule))
    return render(request, "web/dash_availability.html", ctx)


AWAY_ACTIONS = ("limits", "away_add", "away_remove", "travel_add", "travel_remove")


def _away_action(request, m: Membership, action: str):
    """The host's own rules on the availability page: limits across event types, out of office, travel."""
    post = request.POST
    try:
        if action == "limits":
            scheduling.host_limits_set(host=m, values={k: post.get(k, "") for k in scheduling.LIMIT_WORDS})
            done = "Limits saved: they count every meeting of yours, in your time zone."
        elif action == "away_add":
            mate = None
            if post.get("redirect_to"):
                mate = (
                    Membership.objects.active()
                    .filter(organization=m.organization, pk=_to_int(post["redirect_to"]))
                    .first()
                )
                if mate is None:
                    raise InvalidInput("Pick a teammate from the list", field="redirect_to")
            absence = scheduling.out_of_office_add(
                host=m,
                first=post.get("first", ""),
                last=post.get("last", ""),
                reason=post.get("reason", ""),
                redirect_to=mate,
            )
            done = f"Out of office {absence.first:%-d %b} to {absence.last:%-d %b %Y}: those days offer no times" + (
                f", and your page sends invitees to {mate.user}." if mate else "."
            )
        elif action == "away_remove":
            scheduling.out_of_office_remove(host=m, absence_id=_int_or_zero(post.get("id")))
            done = "Out-of-office dates removed."
        elif action == "travel_add":
            stay = scheduling.travel_add(
                host=m,
                timezone=post.get("timezone", ""),
                first=post.get("travel_first", ""),
                last=post.get("travel_last", ""),
            )
            done = (
                f"Trip saved: {stay.first:%-d %b} to {stay.last:%-d %b %Y} your hours are read in {stay.timezone} time."
            )
        else:
            scheduling.travel_remove(host=m, stay_id=_int_or_zero(post.get("id")))
            done = "Trip removed."
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect(request.get_full_path())


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _week_preview(request, m: Membership, schedule: AvailabilitySchedule) -> dict:
    """Each start of one week in the host's zone: offered, or why not (bookings.availability.week_preview)."""
    options = [
        e for e in _visible_event_types(m).filter(active=True) if m.pk in {h.pk for h in selectors.event_hosts(e)}
    ]
    if not options:
        return {"preview": None, "preview_options": []}
    chosen = next((e for e in options if str(e.pk) == request.GET.get("et")), options[0])
    now = utc_now()
    try:
        monday = parse_date(request.GET.get("week", ""), field="week")
    except InvalidInput:
        monday = now.astimezone(ZoneInfo(schedule.timezone)).date()
    monday -= timedelta(days=monday.weekday())
    try:
        week = week_preview(event_type=chosen, host=m, monday=monday, now=now)
    except SlotwiseError as exc:
        return {"preview": None, "preview_options": options, "preview_error": exc.message}
    rows = [{"label": f"{t:%H:%M}", "cells": [_preview_cell(c) for c in cells]} for t, cells in week.rows]
    return {
        "preview": {
            "days": week.days,
            "rows": rows,
            "event_type": chosen,
            "zone": week.zone,
            "legend": [(WORDING[r].short, WORDING[r].host) for r in engine.Reason],
            "prev": (monday - timedelta(days=7)).isoformat(),
            "next": (monday + timedelta(days=7)).isoformat(),
        },
        "preview_options": options,
    }


def _preview_cell(reasons: list[engine.Reason] | None) -> dict:
    if reasons is None:
        return {"state": "gap", "label": "—"}
    if reasons:
        return {
            "state": "no",
            "label": "+".join(reason_words.short(reasons)),
            "title": "; ".join(reason_words.for_host(reasons)),
            "reason": reasons[0].value,
        }
    return {"state": "ok", "label": "open", "title": "offered to invitees"}


# --- bookings --------------------------------------------------------------------------------------------


@host_required
def booking_list(request):
    m = request.membership
    now = utc_now()
    tab = request.GET.get("tab", "upcoming")
    qs = Booking.objects.filter(organization=m.organization).select_related("event_type", "host__user")
    if not m.is_admin:
        qs = qs.filter(Q(host=m) | Q(host_blocks__membership=m)).distinct()
    if tab == "past":
        qs = qs.filter(status=Booking.Status.CONFIRMED, start__lt=now).order_by("-start")
    elif tab == "canceled":
        qs = qs.exclude(status=Booking.Status.CONFIRMED).order_by("-start")
    else:
        tab = "upcoming"
        qs = qs.filter(status=Booking.Status.CONFIRMED, start__gte=now).order_by("start")
    host_slug, et = request.GET.get("host", ""), request.GET.get("event_type", "")
    if host_slug:
        qs = qs.filter(host__slug=host_slug)
    if et:
        qs = qs.filter(event_type_id=_to_int(et))
    items = []
    zone = _host_zone(m)
    for b in qs[:200]:
        items.append(
            {
                "b": b,
                "invitees": list(b.invitees.select_related("no_show_mark")),
                "day": page.fmt_day(b.start, zone),
                "when": f"{page.fmt_time(b.start, zone, '24')}–{page.fmt_time(b.end, zone, '24')}",
                "zone": zone,
                "past": b.start < now,
            }
        )
    hosts = Membership.objects.active().filter(organization=m.organization).select_related("user").order_by("slug")
    waiting = [
        {
            "b": b,
            "invitees": list(b.invitees.all()),
            "day": page.fmt_day(b.start, zone),
            "when": f"{page.fmt_time(b.start, zone, '24')}–{page.fmt_time(b.end, zone, '24')}",
            "expires": _expires(b, zone),
        }
        for b in booked.waiting_for(membership=m, now=now)
    ]
    return render(
        request,
        "web/dash_bookings.html",
        {
            "items": items,
            "tab": tab,
            "waiting": waiting,
            "hosts": hosts,
            "event_types": _visible_event_types(m),
            "host_slug": host_slug,
            "et": et,
            "nav": "bookings",
        },
    )


def _next(request) -> str:
    """Back to the list the form was on; never to another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/dashboard/bookings/"


def _booking_for(m: Membership, uid) -> Booking:
    b = Booking.objects.filter(organization=m.organization, uid=uid).first()
    if b is None or not (m.is_admin or b.host_id == m.pk or b.host_blocks.filter(membership=m).exists()):
        raise Http404("no such booking")
    return b


def _times(b: Booking, zone: str) -> dict:
    return {
        "zone": zone,
        "day": page.fmt_day(b.start, zone),
        "when": f"{page.fmt_time(b.start, zone, '24')}–{page.fmt_time(b.end, zone, '24')}",
    }


def _expires(b: Booking, zone: str) -> str:
    """When a request's hold runs out, in words on the reader's clock ("" when it is not a request)."""
    at = b.approval_expires_at
    return f"{page.fmt_day(at, zone)}, {page.fmt_time(at, zone, '24')}" if at else ""


EMAIL_WORDS = {
    "invitee_confirmed": "Confirmation",
    "invitee_rescheduled": "New time",
    "invitee_canceled": "Cancellation",
    "host_confirmed": "Host notice",
    "host_rescheduled": "Host notice of the new time",
    "host_canceled": "Host notice of the cancellation",
    "reminder": "Reminder",
    "invitee_updated": "Time-zone change notice",
    "host_updated": "Host time-zone change notice",
    "invitee_requested": "Request received",
    "host_requested": "Approval request",
    "invitee_declined": "Request not confirmed",
    "guest_invited": "Guest invitation",
    "guest_canceled": "Guest cancellation",
}


def _sent(b: Booking) -> list[dict]:
    """What left for this booking: emails (reminders included) and webhooks that were delivered."""
    from slotwise.notifications.models import SentEmail
    from slotwise.webhooks.models import WebhookDelivery

    out = [
        {"at": e.sent_at, "text": f"{EMAIL_WORDS.get(e.kind, e.kind)} email sent to {e.to}"}
        for e in SentEmail.objects.filter(booking=b).order_by("sent_at", "pk")
    ]
    hooks = (
        WebhookDelivery.objects.filter(
            subscription__organization_id=b.organization_id,
            sample=False,
            status=WebhookDelivery.Status.DELIVERED,
            body__contains=str(b.uid),
        )
        .select_related("subscription")
        .order_by("delivered_at", "pk")[:50]
    )
    out += [
        {"at": d.delivered_at, "text": f"Webhook {d.event} delivered to {d.subscription.callback_url}"} for d in hooks
    ]
    return out


def _how_made(b: Booking) -> str:
    """A booking's first line of history: booked, or moved here from an earlier time by whom and why."""
    prev = b.rescheduled_from
    if prev is None:
        return f"Booked through {b.get_source_display().lower()}"
    who = f" by {prev.canceled_by}" if prev.canceled_by else ""
    if who and prev.canceler_type in ("host", "invitee"):
        who += f" ({prev.canceler_type})"
    return f"Moved here from an earlier time{who}" + (f": {prev.cancel_reason}" if prev.cancel_reason else "")


@host_required
def booking_detail(request, uid):
    """One booking as its host sees it (the "Manage" link in calendar copies lands here): when, in the
    host's and each invitee's zone; who; where; what they answered; and what happened to it."""
    m = request.membership
    b = _booking_for(m, uid)
    b = Booking.objects.select_related("event_type", "host__user", "rescheduled_from").get(pk=b.pk)
    invitees = list(b.invitees.select_related("no_show_mark").order_by("created_at", "pk"))
    hosts = [h.membership for h in b.host_blocks.select_related("membership__user").order_by("pk")] or [b.host]
    successor = Booking.objects.filter(rescheduled_from=b).first()
    history = [{"at": b.created_at, "text": _how_made(b)}]
    if b.approval == Booking.Approval.APPROVED and b.approval_decided_at:
        history.append({"at": b.approval_decided_at, "text": "Approved"})
    if b.approval == Booking.Approval.EXPIRED and b.canceled_at:
        history.append(
            {"at": b.canceled_at, "text": "The request expired before it was approved; its time was released"}
        )
    elif b.approval == Booking.Approval.DECLINED and b.canceled_at:
        history.append(
            {
                "at": b.canceled_at,
                "text": f"Declined by {b.canceled_by}" + (f": {b.cancel_reason}" if b.cancel_reason else ""),
            }
        )
    elif b.canceled_at:
        who = f" by {b.canceled_by}" if b.canceled_by else ""
        verb = "Rescheduled" if b.status == Booking.Status.RESCHEDULED else "Canceled"
        history.append(
            {"at": b.canceled_at, "text": f"{verb}{who}" + (f": {b.cancel_reason}" if b.cancel_reason else "")}
        )
    history += _sent(b)
    history.sort(key=lambda ev: ev["at"])
    host_zone = _host_zone(m if b.host_id == m.pk else b.host)
    zones = [_times(b, host_zone)]
    for z in dict.fromkeys(i.timezone for i in invitees if i.timezone):
        if z != host_zone:
            zones.append(_times(b, z))
    now = utc_now()
    return render(
        request,
        "web/dash_booking.html",
        {
            "b": b,
            "invitees": invitees,
            "hosts": hosts,
            "zones": zones,
            "history": history,
            "previous": b.rescheduled_from,
            "successor": successor,
            "previous_when": _times(b.rescheduled_from, host_zone) if b.rescheduled_from else None,
            "successor_when": _times(successor, host_zone) if successor else None,
            "imported": bookings.imported_message(b),
            "deletion_votes": imported.deletion_notice(b),
            "can_cancel": b.status == Booking.Status.CONFIRMED and b.start >= now and b.source != Booking.Source.IMPORT,
            "nav": "bookings",
            "pending": b.status == Booking.Status.PENDING,
            "guests": list(b.guests.order_by("pk")),
            "expires": _expires(b, host_zone),
        },
    )


@host_required
@require_POST
def booking_decide(request, uid, action):
    """Approve or decline a request from the bookings page or the booking's own page."""
    m = request.membership
    b = _booking_for(m, uid)
    try:
        approvals.decide(booking=b, action=action, now=utc_now(), by=m, reason=request.POST.get("reason", ""))
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    else:
        done = "Approved" if action == "approve" else "Declined"
        messages.success(request, f"{done} {b.event_type.name} on {b.start:%Y-%m-%d %H:%M} UTC.")
    return redirect(_next(request))


@host_required
@require_POST
def booking_cancel(request, uid):
    m = request.membership
    b = _booking_for(m, uid)
    try:
        bookings.booking_cancel(
            booking=b,
            now=utc_now(),
            reason=request.POST.get("reason", ""),
            canceled_by=str(m.user),
            canceler_type="host",
        )
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Canceled {b.event_type.name} on {b.start:%Y-%m-%d %H:%M} UTC.")
    return redirect(_next(request))


@host_required
@require_POST
def no_show(request, uid):
    m = request.membership
    invitee = get_object_or_404(
        Invitee.objects.select_related("booking"), uid=uid, booking__organization=m.organization
    )
    _booking_for(m, invitee.booking.uid)
    try:
        invitee_no_show_set(invitee=invitee, no_show=request.POST.get("no_show") == "1", now=utc_now())
    except SlotwiseError as exc:
        messages.error(request, exc.message)
    return redirect(_next(request))


# --- team and contacts --------------------------------------------------------------------------------


@host_required
def team(request):
    m = request.membership
    if request.method == "POST":
        try:
            if "team_create" in request.POST:
                t = scheduling.team_create(
                    actor=m,
                    name=request.POST.get("name", ""),
                    timezone=request.POST.get("timezone", ""),
                    slug=request.POST.get("slug", ""),
                )
                messages.success(request, f"Team {t.name} created: add its members below.")
            elif "team_update" in request.POST:
                t = get_object_or_404(m.organization.teams, pk=_to_int(request.POST.get("team")))
                scheduling.team_update(
                    actor=m,
                    team=t,
                    name=request.POST.get("name", ""),
                    timezone=request.POST.get("timezone", ""),
                    slug=request.POST.get("slug", ""),
                )
                messages.success(request, f"Saved team {t.name}.")
            elif "team_delete" in request.POST:
                t = get_object_or_404(m.organization.teams, pk=_to_int(request.POST.get("team")))
                scheduling.team_delete(actor=m, team=t)
                messages.success(request, f"Team {t.name} deleted.")
            elif "embed" in request.POST:
                org = accounts.organization_embed_origins_set(
                    actor=m, origins=request.POST.get("embed_origins", "").split()
                )
                messages.success(
                    request, f"Sites that may embed the booking pages: {', '.join(org.embed_origins) or 'none'}."
                )
            elif "role" in request.POST:
                target = get_object_or_404(
                    Membership.objects.active(), organization=m.organization, pk=_to_int(request.POST.get("member"))
                )
                accounts.membership_role_set(actor=m, membership=target, role=request.POST["role"])
                messages.success(request, f"{target.user} is now {target.role}.")
            else:
                t = get_object_or_404(m.organization.teams, pk=_to_int(request.POST.get("team")))
                chosen = Membership.objects.active().filter(
                    organization=m.organization, pk__in=[_to_int(v) for v in request.POST.getlist("members")]
                )
                scheduling.team_members_set(actor=m, team=t, members=list(chosen))
                messages.success(request, f"Saved the members of {t.name}.")
        except SlotwiseError as exc:
            messages.error(request, exc.message)
        return redirect("team")
    members = Membership.objects.active().filter(organization=m.organization).select_related("user").order_by("slug")
    teams = m.organization.teams.prefetch_related("members__user", "event_types").order_by("name")
    team_rows = []
    for t in teams:
        events = []
        for e in t.event_types.all():
            pool = list(
                PoolHost.objects.filter(event_type=e, membership__deactivated_at__isnull=True)
                .select_related("membership__user")
                .order_by("-priority")
            )
            events.append({"e": e, "pool": pool, "hosting": any(p.membership_id == m.pk for p in pool)})
        team_rows.append({"t": t, "events": events})
    return render(
        request,
        "web/dash_team.html",
        {
            "members": members,
            "teams": team_rows,
            "nav": "team",
            "roles": Membership.Role.values,
            "can_manage": m.is_admin,
            "embed_origins": m.organization.embed_origins,
            "embed_origins_text": "\n".join(m.organization.embed_origins),
            "zones": all_zones(),
            "org_zone": m.organization.timezone,
        },
    )


@host_required
def contact_list(request):
    m = request.membership
    q = request.GET.get("q", "")[:200]
    rows = contacts.contact_list(organization=m.organization, query=q)
    if request.GET.get("format") == "csv":
        from django.http import HttpResponse

        from .contact_pages import contacts_csv

        response = HttpResponse(contacts_csv(rows.iterator(chunk_size=500)), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="contacts-{m.organization.slug}.csv"'
        return response
    return render(request, "web/dash_contacts.html", {"contacts": rows[:500], "q": q, "nav": "contacts"})


@host_required
def contact_detail(request, pk):
    m = request.membership
    contact = get_object_or_404(Contact, organization=m.organization, pk=pk)
    from .contact_pages import timeline

    history = list(booked.invitee_history(organization_id=contact.organization_id, email=contact.email))
    zone = _host_zone(m)
    for inv in history:
        inv.local_when = (
            f"{page.fmt_short_day(inv.booking.start, zone)}, {page.fmt_time(inv.booking.start, zone, '24')}"
        )
    return render(
        request,
        "web/dash_contact.html",
        {
            "contact": contact,
            "bookings": history,
            "zone": zone,
            "nav": "contacts",
            "timeline": timeline(
                contact=contact, events=list(contacts.contact_timeline(contact)), invitees=history, zone=zone
            ),
        },
    )


# --- accounts: the switcher and the agency overview ----------------------------------------------------


def _section(path: str) -> str:
    """The dashboard section of `path` (/dashboard/bookings/<uid>/ -> /dashboard/bookings/): after a switch,
    the same kind of page in the other account, never a row of the one left."""
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 2 and parts[0] == "dashboard" and parts[1] in SWITCH_SECTIONS:
        return f"/dashboard/{parts[1]}/"
    return "/dashboard/"


SWITCH_SECTIONS = {
    "links",
    "availability",
    "bookings",
    "team",
    "members",
    "contacts",
    "calendars",
    "webhooks",
    "jobs",
    "rules",
    "tokens",
    "agency",
}


@login_required
@require_POST
def switch_account(request):
    """The account switcher: act in `org` from now on (remembered in the session). An account the user may
    not enter is a 404 that says so; the account acted in before stays."""
    slug = (request.POST.get("account") or "").strip()
    org = Organization.objects.filter(slug=slug).first() if slug else None
    try:
        if org is None:
            raise SlotwiseError(f"There is no account {slug!r} that you may enter")
        membership = accounts.sub_account_enter(user=request.user, organization=org)
    except SlotwiseError as exc:
        return render(request, "web/error.html", {"message": exc.message + "."}, status=404)
    request.session[SESSION_KEY] = membership.organization.slug
    messages.success(request, f"You are now working in {membership.organization.name}.")
    nxt = request.POST.get("next", "")
    return redirect(_section(nxt) if url_has_allowed_host_and_scheme(nxt, allowed_hosts=None) else "/dashboard/")


def sub_accounts_overview(agency: Organization) -> list[Organization]:
    """An agency's sub-accounts with their own members (agency visitors not counted), event types and
    bookings."""
    orgs = list(Organization.objects.filter(parent=agency).order_by("name", "slug"))
    ids = [o.pk for o in orgs]
    members = dict(
        Membership.objects.active()
        .filter(organization_id__in=ids, via_agency=False)
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    types = dict(
        EventType.objects.filter(organization_id__in=ids)
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    booked_n = dict(
        Booking.objects.filter(organization_id__in=ids)
        .values("organization_id")
        .annotate(n=Count("id"))
        .values_list("organization_id", "n")
    )
    for o in orgs:
        o.n_members, o.n_event_types, o.n_bookings = members.get(o.pk, 0), types.get(o.pk, 0), booked_n.get(o.pk, 0)
    return orgs


@host_required
def agency(request):
    """The agency overview: its sub-accounts and their counts, and "create sub-account". For the agency's
    own owners and admins, acting in the agency."""
    m = request.membership
    org = m.organization
    if not org.is_agency or not m.is_admin or m.via_agency:
        where = f"{org.name} is not an agency" if not org.is_agency else f"only owners and admins of {org.name} see it"
        return render(
            request,
            "web/error.html",
            {
                "message": f"The agency overview is for an agency's owners and "
                f"admins: {where}. Switch to your agency first."
            },
            status=403,
        )
    form, error = {"name": "", "slug": "", "timezone": org.timezone}, None
    if request.method == "POST":
        form = {k: request.POST.get(k, "").strip()[:200] for k in ("name", "slug", "timezone")}
        try:
            created = accounts.sub_account_create(
                actor=m, name=form["name"], slug=form["slug"], timezone=form["timezone"]
            )
        except SlotwiseError as exc:
            error = exc
        else:
            messages.success(request, f"Created {created.name}; switch to it to add its members and event types.")
            return redirect("agency")
    return render(
        request,
        "web/dash_agency.html",
        {
            "agency": org,
            "sub_accounts": sub_accounts_overview(org),
            "form": form,
            "error": error,
            "zones": all_zones(),
            "nav": "agency",
        },
        status=400 if error else 200,
    )
