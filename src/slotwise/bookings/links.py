"""Single-use links: create, revoke, and the reads every door shares. Pages, the API, the browser extension's
API and the CLI all call these, so the rules and the messages are the same everywhere.

Using a link is part of booking (bookings.services._create_locked): a conditional UPDATE of `uses` is the
guard, so of any number of concurrent bookings through one link only `max_event_count` succeed."""

import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q, QuerySet

from slotwise.accounts.models import Membership
from slotwise.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from slotwise.core.instants import parse_instant
from slotwise.scheduling.models import EventType

from .models import SingleUseLink

MAX_NAME = 200
MAX_REFERENCE = 100
MAX_LIFETIME = timedelta(days=366)
_DURATION = re.compile(r"^\s*(\d{1,4})\s*([mhdw])\s*$", re.IGNORECASE)
_UNIT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_expiry(value: str | None, *, now: datetime, field: str = "expires") -> datetime | None:
    """`7d`, `24h`, `90m`, `2w` from now, or an ISO 8601 instant with an offset; empty means never."""
    if value is None or not str(value).strip():
        return None
    match = _DURATION.match(str(value))
    if match:
        return now + timedelta(**{_UNIT[match.group(2).lower()]: int(match.group(1))})
    try:
        return parse_instant(str(value), field=field)
    except InvalidInput:
        raise InvalidInput(
            f"{field}: {value!r} is neither a duration such as 7d, 24h or 90m nor an instant such as "
            "2026-03-09T17:00:00Z",
            field=field,
        ) from None


def may_share(membership: Membership, event_type: EventType) -> bool:
    """Who may send a link for an event type: its owner, a member of its team, an organization admin."""
    if membership.organization_id != event_type.organization_id:
        return False
    if membership.is_admin or event_type.owner_id == membership.pk:
        return True
    return event_type.team_id is not None and event_type.team.members.filter(pk=membership.pk).exists()


def _one_line(value: str, *, field: str, limit: int, label: str) -> str:
    text = (value or "").strip()
    if any(c in text for c in "\r\n\x00"):
        raise InvalidInput(f"{field}: the {label} must be one line of text", field=field)
    if len(text) > limit:
        raise InvalidInput(f"{field}: the {label} can be at most {limit} characters", field=field)
    return text


def link_create(
    *,
    event_type: EventType,
    created_by: Membership | None,
    now: datetime,
    max_event_count: int = 1,
    expires_at: datetime | None = None,
    prefill_name: str = "",
    prefill_email: str = "",
    reference: str = "",
) -> SingleUseLink:
    """A link that books `event_type` at most `max_event_count` times, until `expires_at` (if given).
    The prefill is offered in the booking form and carried into the booking's answers for the host."""
    if created_by is not None and not may_share(created_by, event_type):
        raise PermissionDenied(f"Only hosts of {event_type.name} or an organization admin can send links for it")
    if not event_type.active:
        raise InvalidInput(
            f"event_type: {event_type.name} is off; turn it on before sharing a link", field="event_type"
        )
    if isinstance(max_event_count, bool) or not isinstance(max_event_count, int) or not 1 <= max_event_count <= 1000:
        raise InvalidInput("max_event_count: give a number from 1 to 1000", field="max_event_count")
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise InvalidInput("expires: give an instant with a UTC offset", field="expires")
        if expires_at <= now:
            raise InvalidInput("expires: the link would already be expired; give a time in the future", field="expires")
        if expires_at > now + MAX_LIFETIME:
            raise InvalidInput("expires: at most a year from now", field="expires")
    name = _one_line(prefill_name, field="name", limit=MAX_NAME, label="invitee name")
    email = (prefill_email or "").strip().lower()
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            raise InvalidInput(f"email: {prefill_email!r} is not an email address", field="email") from None
    ref = _one_line(reference, field="reference", limit=MAX_REFERENCE, label="reference")
    return SingleUseLink.objects.create(
        event_type=event_type,
        max_event_count=max_event_count,
        expires_at=expires_at,
        created_by=created_by,
        created_at=now,
        prefill_name=name,
        prefill_email=email,
        reference=ref,
    )


def may_revoke(membership: Membership, link: SingleUseLink) -> bool:
    et = link.event_type
    if membership.organization_id != et.organization_id:
        return False
    return membership.is_admin or link.created_by_id == membership.pk or et.owner_id == membership.pk


def link_revoke(*, link: SingleUseLink, by: Membership | None, now: datetime) -> SingleUseLink:
    """Stop a link from booking anything more. A used link has nothing left to revoke; revoking twice is
    refused so that the first revocation's time and author stay."""
    if by is not None and not may_revoke(by, link):
        raise PermissionDenied("Only the link's sender, the event type's owner or an organization admin can revoke it")
    with transaction.atomic():
        # The same row lock a booking through the link takes (its UPDATE of uses), so a revoke and a
        # booking racing each other are decided one after the other.
        locked = SingleUseLink.objects.select_for_update().get(pk=link.pk)
        state = locked.state(now)
        if state == SingleUseLink.State.REVOKED:
            raise Conflict(f"link {locked.uuid} was already revoked at {locked.revoked_at:%Y-%m-%d %H:%M} UTC")
        if state == SingleUseLink.State.USED:
            raise Conflict(f"link {locked.uuid} has already been used to book; cancel the booking instead")
        SingleUseLink.objects.filter(pk=locked.pk).update(revoked_at=now, revoked_by=by)
    locked.refresh_from_db()
    return locked


def link_use(*, token: str, event_type: EventType, now: datetime) -> SingleUseLink:
    """Take one use of the link, or raise. Called inside the booking's transaction."""
    from slotwise.core.errors import LinkUsed

    link = SingleUseLink.objects.filter(token=token).first()
    if link is None or link.event_type_id != event_type.pk:
        raise NotFound("this scheduling link does not exist")
    # The conditional UPDATE is the guard: of any number of racers, only max_event_count get a row.
    taken = SingleUseLink.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        pk=link.pk,
        uses__lt=F("max_event_count"),
        revoked_at__isnull=True,
    ).update(uses=F("uses") + 1)
    if not taken:
        link.refresh_from_db()
        state = link.state(now)
        if state == SingleUseLink.State.REVOKED:
            raise LinkUsed("this scheduling link was withdrawn by the host; ask them for a new one")
        if state == SingleUseLink.State.EXPIRED:
            raise LinkUsed("this scheduling link has expired; ask the host for a new one")
        raise LinkUsed("this scheduling link has already been used; ask the host for a new one")
    link.uses += 1
    return link


def prefill_answers(link: SingleUseLink) -> list[dict]:
    """What the sender put on the link, as booking answers the host sees beside the invitee's own."""
    out = []
    if link.reference:
        out.append({"key": "link_reference", "question": "Reference", "answer": link.reference})
    sent_to = " ".join(p for p in (link.prefill_name, f"<{link.prefill_email}>" if link.prefill_email else "") if p)
    if sent_to:
        out.append({"key": "link_sent_to", "question": "Link sent to", "answer": sent_to})
    return out


# ---- reads ----------------------------------------------------------------------------------------


def links_visible_to(membership: Membership) -> QuerySet:
    """Links a host may see: every link of the organization for an admin; otherwise the links they sent and
    the links of event types they own or host through a team."""
    qs = SingleUseLink.objects.filter(event_type__organization_id=membership.organization_id)
    if not membership.is_admin:
        qs = qs.filter(
            Q(created_by=membership) | Q(event_type__owner=membership) | Q(event_type__team__members=membership)
        ).distinct()
    return qs.select_related("event_type__owner__user", "event_type__team", "created_by__user", "revoked_by__user")


def state_filter(qs: QuerySet, state: str | None, *, now: datetime) -> QuerySet:
    """The same states as SingleUseLink.state(), as a query."""
    S = SingleUseLink.State
    if not state:
        return qs
    live = Q(revoked_at__isnull=True)
    not_used = Q(uses__lt=F("max_event_count"))
    expired = Q(expires_at__isnull=False, expires_at__lte=now)
    if state == S.REVOKED:
        return qs.filter(revoked_at__isnull=False)
    if state == S.USED:
        return qs.filter(live, uses__gte=F("max_event_count"))
    if state == S.EXPIRED:
        return qs.filter(live, not_used, expired)
    if state == S.UNUSED:
        return qs.filter(live, not_used).exclude(expired)
    raise InvalidInput(f"state: {state!r} is not one of unused, used, expired, revoked", field="state")


def link_list(
    *,
    membership: Membership | None,
    now: datetime,
    event_type: EventType | None = None,
    created_by: Membership | None = None,
    state: str | None = None,
    organization=None,
) -> QuerySet:
    """Newest first. `membership=None` is the operator (the CLI): every link of `organization`."""
    if membership is not None:
        qs = links_visible_to(membership)
    else:
        qs = SingleUseLink.objects.filter(event_type__organization=organization).select_related(
            "event_type__owner__user", "event_type__team", "created_by__user", "revoked_by__user"
        )
    if event_type is not None:
        qs = qs.filter(event_type=event_type)
    if created_by is not None:
        qs = qs.filter(created_by=created_by)
    return state_filter(qs, state, now=now).order_by("-created_at", "-pk")


def link_get(*, membership: Membership | None, uuid: str) -> SingleUseLink:
    """`membership=None` is the operator (the CLI), who sees every link."""
    try:
        qs = links_visible_to(membership) if membership is not None else SingleUseLink.objects.all()
        link = qs.filter(uuid=uuid).first()
    except DjangoValidationError:
        link = None
    if link is None:
        raise NotFound("no scheduling link with this uuid that you can see")
    return link


def link_bookings(link: SingleUseLink) -> list:
    return list(link.bookings.order_by("created_at").prefetch_related("invitees"))


def public_page_for(link: SingleUseLink) -> str | None:
    """The public page a dead link's page may offer, when the sender (or the event's owner) allows it."""
    et = link.event_type
    decider = link.created_by or et.owner
    if decider is None or not decider.dead_link_offers_public_page:
        return None
    if et.team_id is not None:
        return et.path if et.active and not et.secret else None
    return f"/{et.organization.slug}/{et.owner.slug}/"


def links_forget(*, organization, emails: list[str]) -> int:
    """Invitee deletion: the prefill of links sent to these people goes, and so does the "Link sent to"
    answer it left on bookings (which may be someone else's, if another person booked through the link).
    Called by the invitee-deletion service inside its transaction. Returns how many links were scrubbed."""
    from .models import Invitee

    sent = SingleUseLink.objects.filter(event_type__organization=organization, prefill_email__in=emails)
    for invitee in Invitee.objects.filter(booking__link__in=sent):
        kept = [a for a in invitee.answers or [] if a.get("key") != "link_sent_to"]
        if kept != invitee.answers:
            Invitee.objects.filter(pk=invitee.pk).update(answers=kept)
    return sent.update(prefill_name="", prefill_email="")
