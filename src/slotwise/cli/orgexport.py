"""`slotwise export ORG`: an organization written in the load format (docs/load-format.md).

Loading an export into an empty database and exporting again gives the same file. Secrets are not
exported: passwords stay with their users, a CalDAV account's password is named by an environment
variable (password_env), and webhook signing keys are new ones on the other side.
"""

from datetime import UTC

import yaml

from slotwise.accounts.models import Membership, Organization
from slotwise.automation.models import Rule
from slotwise.calendars.models import CalendarConnection
from slotwise.notifications.models import EmailTemplate, Reminder
from slotwise.scheduling.models import WEEKDAYS, BusyBlock, EventType
from slotwise.scheduling.selectors import default_schedule
from slotwise.webhooks.models import WebhookSubscription

from .orgfile import LIMIT_KEYS, WEEKDAY_NAMES

LIMIT_NAMES = {field: key for key, field in LIMIT_KEYS.items()}


def export_text(org: Organization) -> str:
    head = f"# {org.name} ({org.slug}), written by `slotwise export`; load it with `slotwise load FILE`.\n"
    return head + yaml.safe_dump(export_data(org), sort_keys=False, allow_unicode=True, width=120)


def export_data(org: Organization, *, nested: bool = False) -> dict:
    """`org` as a load file's data; an agency with its sub-accounts (each written without sub_account_of,
    as the agency's file lists them)."""
    out: dict = {"organization": {"slug": org.slug, "name": org.name, "timezone": org.timezone}}
    if org.embed_origins:
        out["organization"]["embed_origins"] = list(org.embed_origins)
    if org.week_start:
        out["organization"]["week_start"] = WEEKDAY_NAMES[org.week_start]
    if org.is_agency:
        out["organization"]["agency"] = True
    if org.parent_id and not nested:
        out["organization"]["sub_account_of"] = org.parent.slug
    members = list(Membership.objects.filter(organization=org).select_related("user").order_by("pk"))
    out["hosts"] = [_host(m) for m in members]
    out["teams"] = [
        {
            "slug": t.slug,
            "name": t.name,
            "timezone": t.timezone,
            "members": sorted(t.members.values_list("user__email", flat=True)),
        }
        for t in org.teams.order_by("slug")
    ]
    event_types = sorted(EventType.objects.filter(organization=org).select_related("owner__user", "team"), key=_ref)
    out["event_types"] = [_event_type(et) for et in event_types]
    out["rules"] = [_rule(r) for r in Rule.objects.filter(organization=org).order_by("name", "pk")]
    out["reminders"] = sorted(
        (_reminder(r) for r in Reminder.objects.filter(organization=org)),
        key=lambda r: (r.get("event_type", ""), r["name"]),
    )
    out["webhooks"] = [
        _webhook(w)
        for w in WebhookSubscription.objects.filter(organization=org, state="active")
        .select_related("user__user")
        .order_by("callback_url", "scope")
    ]
    out["calendars"] = [
        _calendar(c)
        for c in CalendarConnection.objects.filter(membership__organization=org, kind__in=("ics", "caldav"))
        .select_related("membership__user")
        .order_by("membership__user__email", "url")
    ]
    out["email_templates"] = sorted(
        (_template(t) for t in EmailTemplate.objects.filter(organization=org)),
        key=lambda t: (t["kind"], t.get("event_type", "")),
    )
    if org.is_agency and not nested:
        out["sub_accounts"] = [
            export_data(sub, nested=True) for sub in Organization.objects.filter(parent=org).order_by("slug")
        ]
    return {k: v for k, v in out.items() if v or k == "organization"}


def _ref(et: EventType) -> str:
    """HOST/EVENT or team/TEAM/EVENT, as reminders and templates name an event type in the file."""
    return f"team/{et.team.slug}/{et.slug}" if et.team_id else f"{et.owner.slug}/{et.slug}"


def _ranges(ranges) -> list[str]:
    return [f"{a}-{b}" for a, b in ranges]


def _z(instant) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _host(m: Membership) -> dict:
    h: dict = {
        "email": m.user.email,
        **({"name": m.user.name} if m.user.name else {}),
        "slug": m.slug,
        "role": m.role,
        **({"from_agency": True} if m.via_agency else {}),
    }
    schedule = default_schedule(m)
    h["timezone"] = schedule.timezone if schedule else m.user.timezone
    if schedule:
        weekly = {d: _ranges(schedule.weekly.get(d) or []) for d in WEEKDAYS if schedule.weekly.get(d)}
        if weekly:
            h["weekly"] = weekly
        if schedule.weekly_daylight:
            h["daylight_weekly"] = {d: _ranges(r) for d, r in schedule.weekly_daylight.items() if r}
        overrides = {o.date.isoformat(): _ranges(o.intervals) for o in schedule.overrides.order_by("date")}
        if overrides:
            h["overrides"] = overrides
    busy = [
        {"start": _z(b.start), "end": _z(b.end), **({"label": b.label} if b.label else {})}
        for b in BusyBlock.objects.filter(membership=m, source="load").order_by("start", "end")
    ]
    if busy:
        h["busy"] = busy
    limits = getattr(m, "limits", None)
    if limits is not None:
        given = {LIMIT_NAMES[f]: getattr(limits, f) for f in LIMIT_KEYS.values() if getattr(limits, f) is not None}
        if given:
            h["limits"] = given
    absences = [
        {
            "from": a.first,
            "to": a.last,
            **({"reason": a.reason} if a.reason else {}),
            **({"redirect_to": a.redirect_to.user.email} if a.redirect_to_id else {}),
        }
        for a in m.absences.select_related("redirect_to__user").order_by("first")
    ]
    if absences:
        h["out_of_office"] = absences
    travel = [{"timezone": t.timezone, "from": t.first, "to": t.last} for t in m.stays.order_by("first")]
    if travel:
        h["travel"] = travel
    return h


def _event_type(et: EventType) -> dict:
    e: dict = {"slug": et.slug, "name": et.name}
    e.update({"team": et.team.slug} if et.team_id else {"host": et.owner.user.email})
    e.update({"kind": et.kind, "description": et.description, "duration": et.duration_minutes})
    if et.duration_options:
        e["durations"] = list(et.duration_options)
    e.update(
        {
            "increment": et.increment_minutes,
            "buffer_before": et.buffer_before_minutes,
            "buffer_after": et.buffer_after_minutes,
            "min_notice": et.min_notice_minutes,
        }
    )
    if et.window_kind == "rolling":
        e["window"] = {"rolling_days": et.window_days}
    elif et.window_kind == "range":
        e["window"] = {"from": et.window_start, "to": et.window_end}
    else:
        e["window"] = "unlimited"
    if et.daily_limit is not None:
        e["daily_limit"] = et.daily_limit
    limits = {
        LIMIT_NAMES[f]: getattr(et, f) for f in LIMIT_KEYS.values() if f != "daily_limit" and getattr(et, f) is not None
    }
    if limits:
        e["limits"] = limits
    if et.cutoff_hours is not None:
        e["cutoff_hours"] = et.cutoff_hours
    if et.requires_confirmation:
        e["requires_confirmation"] = True
        e["confirmation_hold_hours"] = et.confirmation_hold_hours
    if et.max_guests:
        e["max_guests"] = et.max_guests
    if et.recurrence:
        e["recurrence"] = et.recurrence
        e["recurrence_count"] = et.recurrence_count
        e["recurrence_partial"] = et.recurrence_partial
    e["seats"] = et.seats
    e["location"] = {"kind": et.location_kind, **({"value": et.location_value} if et.location_value else {})}
    if et.questions:
        e["questions"] = [dict(q) for q in et.questions]
    if et.default_language != "en":
        e["language"] = et.default_language
    if et.translations:
        e["translations"] = dict(et.translations)
    e.update({"active": et.active, "secret": et.secret, "color": et.color})
    if et.team_id:
        e["distribution"] = et.distribution
        e["invitee_picks_host"] = et.invitee_picks_host
        e["pool"] = [
            {"host": p.membership.user.email, "priority": p.priority, "weight": p.weight}
            for p in et.pool.select_related("membership__user").order_by("membership__user__email")
        ]
    return e


def _rule(r: Rule) -> dict:
    return {
        "name": r.name,
        "trigger": r.trigger,
        "action": r.action,
        "filters": list(r.filters),
        "params": dict(r.params),
        "undo_on_cancel": r.undo_on_cancel,
        "active": r.active,
    }


def _reminder(r: Reminder) -> dict:
    out: dict = {"name": r.name, "offset": r.offset_minutes, "when": r.when, "recipient": r.recipient}
    if r.event_type_id:
        out["event_type"] = _ref(r.event_type)
    if r.subject:
        out["subject"] = r.subject
    if r.text:
        out["text"] = r.text
    out["active"] = r.active
    return out


def _webhook(w: WebhookSubscription) -> dict:
    out: dict = {"url": w.callback_url, "events": list(w.events), "scope": w.scope}
    if w.user_id:
        out["user"] = w.user.user.email
    return out


def _calendar(c: CalendarConnection) -> dict:
    out: dict = {"host": c.membership.user.email, "kind": c.kind, "url": c.url, "name": c.name}
    if c.kind == "caldav":
        out["username"] = c.username
        out["password_env"] = f"CALDAV_PASSWORD_{c.membership.slug.upper().replace('-', '_')}"
    return out


def _template(t: EmailTemplate) -> dict:
    out: dict = {"kind": t.kind}
    if t.event_type_id:
        out["event_type"] = _ref(t.event_type)
    for k in ("subject", "text", "html"):
        if getattr(t, k):
            out[k] = getattr(t, k)
    return out
