"""The languages Slotwise speaks to invitees (settings.LANGUAGES), and how a code from outside becomes one.

Codes are Django's: lower case, with a region after a hyphen where the translation is regional ("pt-br").
A browser's "pt-BR", "de-AT" or "ja-JP" maps to the closest one offered; anything else is refused with the
list of what is offered.
"""

from django.conf import settings
from django.utils.translation import get_supported_language_variant

from .errors import InvalidInput


def codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def names() -> dict[str, str]:
    """Each language named in itself (Deutsch, 日本語), as the switcher shows it."""
    return dict(settings.LANGUAGES)


def supported(code: str) -> str:
    """The offered language closest to `code` ("pt-BR" -> "pt-br", "de-AT" -> "de"), or "" when none is."""
    if not isinstance(code, str) or not code or len(code) > 35:
        return ""
    try:
        return get_supported_language_variant(code.strip().replace("_", "-").lower())
    except LookupError:
        return ""


def validate_language(code, *, label: str = "Language", field: str = "language") -> str:
    found = supported(code) if isinstance(code, str) else ""
    if not found:
        offered = ", ".join(f"{c} ({n})" for c, n in settings.LANGUAGES)
        raise InvalidInput(f"{label}: {code!r} is not a language Slotwise offers; use one of {offered}", field=field)
    return found
