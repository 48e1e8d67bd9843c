from django.core.management.base import CommandError

from slotwise.core.clock import utc_now
from slotwise.core.errors import NotFound, SlotwiseError
from slotwise.core.instants import parse_instant


def iso(dt) -> str | None:
    """An instant as the CLI prints it: UTC, whole seconds, Z."""
    return None if dt is None else f"{dt:%Y-%m-%dT%H:%M:%SZ}"


def now_from(value: str | None):
    """--now freezes the clock for a command; otherwise the real time."""
    return parse_instant(value, field="--now") if value else utc_now()


def event_from_path(path: str):
    """ORG/HOST/EVENT or ORG/team/TEAM/EVENT -> EventType (active or not)."""
    from slotwise.scheduling.models import EventType

    parts = [p for p in path.strip("/").split("/") if p]
    if len(parts) == 3:
        org, host, slug = parts
        qs = EventType.objects.filter(organization__slug=org, owner__slug=host, slug=slug)
    elif len(parts) == 4 and parts[1] == "team":
        org, _, team, slug = parts
        qs = EventType.objects.filter(organization__slug=org, team__slug=team, slug=slug)
    else:
        raise CommandError(f"{path!r}: expected ORG/HOST/EVENT or ORG/team/TEAM/EVENT")
    et = qs.select_related("organization", "owner", "team").first()
    if et is None:
        raise NotFound(f"{path}: no such event type; `slotwise availability` takes the path of its booking page")
    return et


class UserError(CommandError):
    pass


def run(fn):
    """Turn Slotwise errors into a clear message and exit code 2, never a traceback."""
    try:
        return fn()
    except SlotwiseError as exc:
        raise CommandError(exc.message, returncode=2) from None


def organization_from(slug: str):
    """--org SLUG -> that Organization exactly (a verb acts in one organization, never its sub-accounts)."""
    from slotwise.accounts.models import Organization

    org = Organization.objects.filter(slug=(slug or "").strip()).first()
    if org is None:
        raise NotFound(f"no organization {slug!r}; `slotwise load FILE` creates one")
    return org


def json_and_now(*parsers) -> None:
    """The two options every sub-verb takes."""
    for p in parsers:
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument("--now", help="freeze the clock (ISO instant with Z)")


def dispatch(command, action: str, opts: dict) -> None:
    """Run `command._<action>(opts, now)` under run(); print what it returns as JSON with --json."""
    import json

    now = now_from(opts["now"])
    out = run(lambda: getattr(command, f"_{action}")(opts, now))
    if opts["json"]:
        command.stdout.write(json.dumps(out, indent=2))
