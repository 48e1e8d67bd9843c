"""The one place where text from outside (pages, API, CLI, load files) is checked before it is stored,
sent in an email header or written into an iCalendar property line.

Refused everywhere: NUL (PostgreSQL cannot store it), lone surrogates (no encoding can store them), and
control characters (C0, DEL, C1). Tab and line breaks are allowed only in multi-line text; names, subjects
and anything that ends up in a header line refuse line breaks, so CR/LF cannot split a header.
"""

from .errors import InvalidInput

_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x85\u2028\u2029")
_MULTILINE_OK = frozenset("\t\r\n")


def _label(field: str) -> str:
    last = field.rsplit(".", 1)[-1]
    return last.replace("_", " ").capitalize() or "Text"


def problem(value: str, *, multiline: bool = False) -> str | None:
    """What is wrong with `value` as text from outside, as the end of a sentence; None when it is fine."""
    for ch in value:
        code = ord(ch)
        if code == 0:
            return "must not contain a NUL character"
        if 0xD800 <= code <= 0xDFFF:
            return "contains broken Unicode (a lone surrogate)"
        if ch in _LINE_BREAKS and not multiline:
            return "must not contain line breaks"
        if ch in _MULTILINE_OK and multiline:
            continue
        if ch == "\t":
            return "must not contain tabs"
        if code < 0x20 or 0x7F <= code <= 0x9F or ch in ("\u2028", "\u2029"):
            return f"must not contain control characters (found U+{code:04X})"
    return None


def clean_text(
    value,
    *,
    field: str,
    label: str | None = None,
    max_length: int | None = None,
    multiline: bool = False,
    strip: bool = True,
) -> str:
    """`value` checked as text: a str without NUL, lone surrogates or control characters (tab and line
    breaks allowed when `multiline`), at most `max_length` characters. Raises InvalidInput naming `field`."""
    label = label or _label(field)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput(f"{label} must be text", field=field)
    found = problem(value, multiline=multiline)
    if found:
        raise InvalidInput(f"{label} {found}; remove it and try again", field=field)
    if strip:
        value = value.strip()
    if max_length is not None and len(value) > max_length:
        raise InvalidInput(f"{label} must be at most {max_length} characters (this is {len(value)})", field=field)
    return value


def clean_name(value, *, field: str, label: str | None = None, max_length: int | None = 255) -> str:
    """A one-line name, subject or other text that goes into an email header or an iCalendar property line."""
    return clean_text(value, field=field, label=label, max_length=max_length, multiline=False)


def find_refused(value, where: str = "", *, multiline: bool = True) -> tuple[str, str] | None:
    """The first string in a parsed structure (JSON, YAML, a form) that text from outside may not contain,
    as (its path, what is wrong). Keys are checked as one-line text."""
    if isinstance(value, str):
        found = problem(value, multiline=multiline)
        return (where, found) if found else None
    if isinstance(value, dict):
        for k, v in value.items():
            key = str(k)
            path = f"{where}.{key}" if where else key
            found = None if not isinstance(k, str) else _as_pair(where or key, problem(k))
            found = found or find_refused(v, path, multiline=multiline)
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            found = find_refused(v, f"{where}[{i}]", multiline=multiline)
            if found:
                return found
    return None


def _as_pair(where: str, found: str | None) -> tuple[str, str] | None:
    return (where, found) if found else None


def refuse(value, where: str = "", *, multiline: bool = True) -> None:
    """Raise InvalidInput for the first refused string in `value` (see find_refused)."""
    found = find_refused(value, where, multiline=multiline)
    if found:
        path, what = found
        raise InvalidInput(f"{path or 'The request'} {what}; remove it and try again", field=path or None)
