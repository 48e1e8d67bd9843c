"""The Calendly v2 shapes of Slotwise's records, shared by the API's responses and the webhook payloads.

Both doors send the same resource for the same record (an invitee in GET /invitees/{uuid} and in an
invitee.created webhook), so the shapes are written once, here, below both `api` and `webhooks`. Reads
only: a representation never writes.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.utils.html import escape, linebreaks

from slotwise.bookings.models import Booking, Invitee, InviteeNoShow
from slotwise.scheduling.models import EventType

BASE_PATH = "/api/v2"
LOCATION_TYPES = {"in_person": "physical", "phone": "outbound_call", "zoom": "zoom"}


def base_url() -> str:
    return f"{settings.BASE_URL}{BASE_PATH}"


def uri(kind: str, ident, *rest) -> str:
    tail = "".join(f"/{r}" for r in rest)
    return f"{base_url()}/{kind}/{ident}{tail}"


def ts(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# ---- scheduled events and invitees ---------------------------------------------------------------------


def cancellation_dict(b: Booking) -> dict | None:
    if b.status in (Booking.Status.CONFIRMED, Booking.Status.PENDING):
        return None
    return {
        "canceled_by": b.canceled_by or "",
        "reason": b.cancel_reason or None,
        "canceler_type": b.canceler_type if b.canceler_type in ("host", "invitee") else "host",
        "created_at": ts(b.canceled_at),
    }


def event_dict(b: Booking) -> dict:
    hosts = [h.membership for h in b.host_blocks.all()] or [b.host]
    active = sum(1 for i in b.invitees.all() if i.status == Invitee.Status.ACTIVE)
    return {
        "uri": uri("scheduled_events", b.uid),
        "name": b.event_type.name,
        "status": "active" if b.status in (Booking.Status.CONFIRMED, Booking.Status.PENDING) else "canceled",
        "start_time": ts(b.start),
        "end_time": ts(b.end),
        "event_type": uri("event_types", b.event_type.uuid),
        "location": {"type": LOCATION_TYPES.get(b.location_kind, "custom"), "location": b.location or None},
        "invitees_counter": {"total": len(b.invitees.all()), "active": active, "limit": b.event_type.seats},
        "created_at": ts(b.created_at),
        "updated_at": ts(b.updated_at),
        "event_memberships": [
            {"user": uri("users", m.user.uuid), "user_email": m.user.email, "user_name": m.user.name or m.user.email}
            for m in hosts
        ],
        "event_guests": [
            {
                "email": g.email,
                "created_at": ts(g.created_at),
                "updated_at": ts(g.updated_at),
                "slotwise_declined_at": ts(g.declined_at),
            }
            for g in sorted(b.guests.all(), key=lambda g: g.pk)
        ],
        "cancellation": cancellation_dict(b),
        "calendar_event": None,
        "meeting_notes_plain": None,
        # A Slotwise extra beside Calendly's shape: a request waiting for (or decided by) the host's approval.
        "slotwise_approval": approval_dict(b),
        # A Slotwise extra: this scheduled event is one occurrence of a recurring booking.
        "slotwise_series": series_dict(b),
    }


def series_dict(b: Booking) -> dict | None:
    if not b.series_id:
        return None
    series = b.series
    return {
        "uuid": str(series.uid),
        "occurrence": b.series_index,
        "rrule": f"FREQ=WEEKLY;INTERVAL={series.interval};COUNT={series.count}",
        "timezone": series.host_timezone,
    }


def approval_dict(b: Booking) -> dict | None:
    if not b.approval:
        return None
    return {"status": b.approval, "expires_at": ts(b.approval_expires_at), "decided_at": ts(b.approval_decided_at)}


def _successor(invitee: Invitee) -> Invitee | None:
    booking = invitee.booking
    nxt = getattr(booking, "rescheduled_to", None) if booking.status == Booking.Status.RESCHEDULED else None
    if nxt is None:
        return None
    return nxt.invitees.filter(email=invitee.email).first()


def invitee_dict(i: Invitee) -> dict:
    b = i.booking
    old = None
    if b.rescheduled_from_id:
        old = b.rescheduled_from.invitees.filter(email=i.email).first()
    new = _successor(i) if i.status == Invitee.Status.CANCELED else None
    mark = i.no_show_mark if i.no_show else None
    canceled = i.status == Invitee.Status.CANCELED
    return {
        "uri": uri("scheduled_events", b.uid, "invitees", i.uid),
        "email": i.email,
        "first_name": i.first_name or None,
        "last_name": i.last_name or None,
        "name": i.name,
        "status": "canceled" if canceled else "active",
        "questions_and_answers": [
            {"question": a.get("question", a.get("key", "")), "answer": str(a.get("answer", "")), "position": n}
            for n, a in enumerate(i.answers or [])
        ],
        "timezone": i.timezone,
        "event": uri("scheduled_events", b.uid),
        "created_at": ts(i.created_at),
        "updated_at": ts(i.updated_at),
        "tracking": dict.fromkeys(
            ("utm_campaign", "utm_source", "utm_medium", "utm_content", "utm_term", "salesforce_uuid")
        ),
        "text_reminder_number": None,
        "rescheduled": new is not None,
        "old_invitee": uri("scheduled_events", old.booking.uid, "invitees", old.uid) if old else None,
        "new_invitee": uri("scheduled_events", new.booking.uid, "invitees", new.uid) if new else None,
        "cancel_url": f"{settings.BASE_URL}/cancel/{i.cancel_token}/",
        "reschedule_url": f"{settings.BASE_URL}/reschedule/{i.reschedule_token}/",
        "routing_form_submission": None,
        "cancellation": (
            cancellation_dict(b)
            or {"canceled_by": i.name, "reason": None, "canceler_type": "invitee", "created_at": ts(i.updated_at)}
        )
        if canceled
        else None,
        "payment": None,
        "no_show": {"uri": uri("invitee_no_shows", mark.uuid), "created_at": ts(mark.created_at)} if mark else None,
        "reconfirmation": None,
        "scheduling_method": None,
        "invitee_scheduled_by": None,
    }


# ---- no-shows -------------------------------------------------------------------------------------------


def no_show_dict(n: InviteeNoShow) -> dict:
    i = n.invitee
    return {
        "uri": uri("invitee_no_shows", n.uuid),
        "invitee": uri("scheduled_events", i.booking.uid, "invitees", i.uid),
        "created_at": ts(n.created_at),
    }


# ---- event types ----------------------------------------------------------------------------------------


KIND = {
    EventType.Kind.ONE_ON_ONE: ("solo", None, "One-on-One"),
    EventType.Kind.GROUP: ("group", None, "Group"),
    EventType.Kind.COLLECTIVE: ("solo", "collective", "Collective"),
    EventType.Kind.ROUND_ROBIN: ("solo", "round_robin", "Round Robin"),
}
QUESTION_TYPES = {
    "text": "string",
    "long_text": "text",
    "phone": "phone_number",
    "single_choice": "single_select",
    "multiple_choice": "multi_select",
}


def event_type_dict(et: EventType) -> dict:
    kind, pooling, description = KIND[et.kind]
    if et.team_id:
        profile = {"type": "Team", "name": et.team.name, "owner": uri("teams", et.team.uuid)}
    else:
        profile = {
            "type": "User",
            "name": et.owner.user.name or et.owner.user.email,
            "owner": uri("users", et.owner.user.uuid),
        }
    return {
        "uri": uri("event_types", et.uuid),
        "name": et.name,
        "active": et.active,
        "slug": et.slug,
        "scheduling_url": f"{settings.BASE_URL}{et.path}".rstrip("/"),
        "duration": et.duration_minutes,
        "duration_options": sorted(et.duration_options or []),
        "kind": kind,
        "pooling_type": pooling,
        "type": "StandardEventType",
        "color": et.color,
        "created_at": ts(et.created_at),
        "updated_at": ts(et.updated_at),
        "internal_note": None,
        "description_plain": et.description or None,
        "description_html": linebreaks(escape(et.description)) if et.description else None,
        "profile": profile,
        "secret": et.secret,
        "booking_method": "instant",
        "custom_questions": [
            {
                "name": q.get("label", q["key"]),
                "type": QUESTION_TYPES.get(q.get("type"), "string"),
                "position": i,
                "enabled": True,
                "required": bool(q.get("required")),
                "answer_choices": list(q.get("options") or []),
                "include_other": False,
            }
            for i, q in enumerate(et.questions or [])
        ],
        "deleted_at": None,
        "kind_description": description,
        "admin_managed": False,
    }
