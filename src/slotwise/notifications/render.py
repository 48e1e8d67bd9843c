"""Email wording: the organization's own template for the event type, else for the organization, else the
built-in one (templates/notifications/email/<kind>.*), field by field. Text is rendered without HTML
escaping; HTML with it."""

from dataclasses import dataclass
from datetime import datetime

from django.template import Context, Engine, TemplateSyntaxError
from django.utils.html import linebreaks

from slotwise.core.datefmt import DEFAULT_LOCALE, format_instant, format_range
from slotwise.core.errors import InvalidInput

from .models import EmailTemplate


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def format_when(
    start: datetime, end: datetime, zone: str, locale: str = DEFAULT_LOCALE, *, clock: str | None = None
) -> str:
    """'Monday, March 2, 2026, 10:00 AM – 10:30 AM (Europe/Berlin, GMT+01:00)': the wall time in the reader's
    zone, with the offset, so nobody has to guess which 10:00 is meant. Written by core.datefmt, like the
    booking page, in the reader's locale."""
    offset = format_instant(start, zone, locale, form="offset")
    return f"{format_range(start, end, zone, locale, clock=clock)} ({zone}, {offset})"


def format_when_short(start: datetime, zone: str, locale: str = DEFAULT_LOCALE, *, clock: str | None = None) -> str:
    return f"{format_instant(start, zone, locale, form='short', clock=clock)} ({zone})"


def _engine() -> Engine:
    return Engine.get_default()


def _from_string(source: str, field: str):
    try:
        return _engine().from_string(source)
    except TemplateSyntaxError as exc:
        raise InvalidInput(f"The {field.replace('_', ' ')} has a template error: {exc}", field=field) from None


def render(
    kind: str,
    context: dict,
    *,
    organization_id: int | None,
    event_type_id: int | None = None,
    subject: str = "",
    text: str = "",
    html: str = "",
) -> Rendered:
    """Render one email. Explicit subject/text/html (a reminder's own wording, a template being previewed)
    win over stored templates, which win over the built-in ones."""
    stored = _stored(kind, organization_id, event_type_id)
    subject = subject or next((t.subject for t in stored if t.subject), "")
    text_src = text or next((t.text for t in stored if t.text), "")
    html_src = html or next((t.html for t in stored if t.html), "")
    base = f"notifications/email/{kind}"
    subj = (_from_string(subject, "subject") if subject else _engine().get_template(f"{base}.subject.txt")).render(
        Context(context, autoescape=False)
    )
    body = (_from_string(text_src, "text") if text_src else _engine().get_template(f"{base}.txt")).render(
        Context(context, autoescape=False)
    )
    if html_src:
        page = _from_string(html_src, "html").render(Context(context))
    elif text_src:
        page = linebreaks(body, autoescape=True)  # their own text, shown as paragraphs
    else:
        page = _engine().get_template(f"{base}.html").render(Context(context))
    return Rendered(subject=" ".join(subj.split())[:300], text=body.strip() + "\n", html=page)


def _stored(kind: str, organization_id: int | None, event_type_id: int | None) -> list[EmailTemplate]:
    if organization_id is None:
        return []
    rows = list(EmailTemplate.objects.filter(organization_id=organization_id, kind=kind))
    # The event type's own template first, then the organization's.
    return sorted([t for t in rows if t.event_type_id in (None, event_type_id)], key=lambda t: t.event_type_id is None)
