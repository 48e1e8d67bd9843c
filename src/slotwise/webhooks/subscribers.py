"""Domain events → webhook outbox rows, in the publisher's transaction (see services.outbox_write)."""

from slotwise.core.events import WEBHOOK, subscribe

from . import services


def _booking_hosts(booking) -> list[int]:
    return sorted({booking.host_id, *booking.host_blocks.values_list("membership_id", flat=True)})


def _invitee_payload(invitee, **override) -> dict:
    from slotwise.representations import event_dict, invitee_dict

    fresh = type(invitee).objects.select_related("booking__event_type").get(pk=invitee.pk)  # statuses set by .update()
    payload = invitee_dict(fresh)
    payload.update(override)
    payload["scheduled_event"] = event_dict(fresh.booking)
    return payload


def _write(booking, event, payload, now):
    services.outbox_write(
        organization_id=booking.organization_id, event=event, payload=payload, hosts=_booking_hosts(booking), now=now
    )


def on_booking_created(*, event, booking, invitee, now, rescheduling=False, approved=False, **_):
    if rescheduling:
        return  # on_rescheduled writes invitee.canceled first, then this invitee.created
    # A request's invitee.created went out when it was requested; its approval is the Slotwise extra event.
    _write(booking, "invitee.approved" if approved else "invitee.created", lambda: _invitee_payload(invitee), now)


def on_booking_requested(*, event, booking, invitee, now, **_):
    _write(booking, "invitee.created", lambda: _invitee_payload(invitee), now)


def on_booking_canceled(*, event, booking, invitees, now, rescheduled=False, **_):
    for invitee in invitees:
        _write(booking, "invitee.canceled", lambda i=invitee: _invitee_payload(i, rescheduled=bool(rescheduled)), now)


def on_invitee_canceled(*, event, booking, invitee, now, **_):
    _write(booking, "invitee.canceled", lambda: _invitee_payload(invitee, rescheduled=False), now)


def on_rescheduled(*, event, old, invitee, new, now, **_):
    from slotwise.representations import uri

    new_uri = uri("scheduled_events", new.booking.uid, "invitees", new.uid)
    _write(old, "invitee.canceled", lambda: _invitee_payload(invitee, rescheduled=True, new_invitee=new_uri), now)
    _write(new.booking, "invitee.created", lambda: _invitee_payload(new), now)


def _no_show_payload(mark):
    from slotwise.representations import no_show_dict

    return no_show_dict(mark)


def on_no_show_set(*, event, invitee, mark, now, **_):
    _write(invitee.booking, "invitee_no_show.created", lambda: _no_show_payload(mark), now)


def on_no_show_cleared(*, event, invitee, mark, now, **_):
    _write(invitee.booking, "invitee_no_show.deleted", lambda: _no_show_payload(mark), now)


def _event_type_hosts(et) -> list[int]:
    hosts = [et.owner_id] if et.owner_id else []
    if et.pk:
        hosts += list(et.pool.values_list("membership_id", flat=True))
    return hosts


def on_event_type(*, event, event_type, now, **_):
    from slotwise.representations import event_type_dict, ts

    def payload():
        out = event_type_dict(event_type)
        if event == "event_type.deleted":
            out["deleted_at"] = ts(now)
        return out

    services.outbox_write(
        organization_id=event_type.organization_id,
        event=event,
        payload=payload,
        hosts=_event_type_hosts(event_type),
        now=now,
    )


def connect() -> None:
    subscribe("booking.created", on_booking_created, order=WEBHOOK)
    subscribe("booking.requested", on_booking_requested, order=WEBHOOK)
    subscribe("booking.canceled", on_booking_canceled, order=WEBHOOK)
    subscribe("invitee.canceled", on_invitee_canceled, order=WEBHOOK)
    subscribe("booking.rescheduled", on_rescheduled, order=WEBHOOK)
    subscribe("invitee.no_show_set", on_no_show_set, order=WEBHOOK)
    subscribe("invitee.no_show_cleared", on_no_show_cleared, order=WEBHOOK)
    for name in ("event_type.created", "event_type.updated", "event_type.deleted"):
        subscribe(name, on_event_type, order=WEBHOOK)
