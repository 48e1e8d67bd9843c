"""An organization as code: `slotwise load FILE` creates or updates an organization from YAML or JSON.

The format is documented in docs/load-format.md. Every error names the file, the line and the key, and
nothing is written unless the whole file is valid (one transaction).
"""

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.text import slugify

from slotwise.accounts.models import Membership, Organization, Team, User
from slotwise.accounts.services import clean_embed_origins
from slotwise.core import text
from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_date, parse_instant
from slotwise.core.timezones import validate_zone
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import WEEKDAYS, AvailabilitySchedule, BusyBlock, DateOverride, EventType, PoolHost
from slotwise.scheduling.selectors import parse_ranges

QUESTION_TYPES = ("text", "long_text", "phone", "single_choice", "multiple_choice")


class LoadError(InvalidInput):
    pass


class Node:
    """A parsed value with the line it came from (1-based)."""

    __slots__ = ("value", "line")

    def __init__(self, value, line):
        self.value, self.line = value, line


def plain(node: Node):
    if isinstance(node.value, dict):
        return {k: plain(v) for k, v in node.value.items()}
    if isinstance(node.value, list):
        return [plain(v) for v in node.value]
    return node.value


def _from_yaml(node, source: str) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = yaml.safe_load(yaml.serialize(k)) if not isinstance(k, yaml.ScalarNode) else k.value
            if key in out:
                raise LoadError(f"{source}: line {k.start_mark.line + 1}: key {key!r} appears twice")
            out[str(key)] = _from_yaml(v, source)
        return Node(out, line)
    if isinstance(node, yaml.SequenceNode):
        return Node([_from_yaml(v, source) for v in node.value], line)
    # Resolve the scalar with the safe loader's rules (ints, bools, dates), one node at a time.
    value = yaml.SafeLoader.construct_object(_SCALAR_LOADER, node, deep=True)
    return Node(value, line)


class _ScalarLoader(yaml.SafeLoader):
    def __init__(self):  # no stream: only construct_object is used
        yaml.SafeLoader.__init__(self, "")


_SCALAR_LOADER = _ScalarLoader()


def parse_text(text: str, *, source: str = "<input>") -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # JSON is read by the same parser: same line numbers
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "somewhere"
        raise LoadError(f"{source}: {where}: not valid YAML/JSON: {getattr(exc, 'problem', exc)}") from None
    if root is None or not isinstance(root, yaml.MappingNode):
        raise LoadError(f"{source}: line 1: the file must be a mapping with an 'organization' key")
    return _from_yaml(root, source)


@dataclass
class Ctx:
    source: str

    def fail(self, node: Node | None, path: str, message: str):
        line = f"line {node.line}: " if node is not None else ""
        raise LoadError(f"{self.source}: {line}{path}: {message}", field=path)

    def mapping(self, node: Node, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Node]:
        if not isinstance(node.value, dict):
            self.fail(node, path, "expected a mapping (key: value lines)")
        for key, child in node.value.items():
            if key not in allowed:
                self.fail(child, f"{path}.{key}", f"unknown key; allowed here: {', '.join(sorted(allowed))}")
        for key in sorted(required):
            if key not in node.value:
                self.fail(node, f"{path}.{key}", "is required")
        return node.value

    def seq(self, node: Node | None, path: str) -> list[Node]:
        if node is None or node.value is None:
            return []
        if not isinstance(node.value, list):
            self.fail(node, path, "expected a list")
        return node.value

    def string(self, node: Node, path: str, *, max_len: int = 200, allow_empty: bool = False,
               multiline: bool = False) -> str:
        if not isinstance(node.value, str) or (not allow_empty and not node.value.strip()):
            self.fail(node, path, "expected text")
        try:
            return text.clean_text(node.value, field=path, label="this", max_length=max_len, multiline=multiline)
        except InvalidInput as exc:
            self.fail(node, path, exc.message.removeprefix("this ").split("; remove it")[0])

    def slug(self, node: Node, path: str) -> str:
        value = self.string(node, path, max_len=64)
        if slugify(value) != value:
            self.fail(node, path, f"{value!r} is not a slug (lowercase letters, digits, hyphens); try {slugify(value)!r}")
        return value

    def integer(self, node: Node, path: str, lo: int, hi: int) -> int:
        if isinstance(node.value, bool) or not isinstance(node.value, int) or not lo <= node.value <= hi:
            self.fail(node, path, f"expected a whole number from {lo} to {hi}")
        return node.value

    def boolean(self, node: Node, path: str) -> bool:
        if not isinstance(node.value, bool):
            self.fail(node, path, "expected true or false")
        return node.value

    def choice(self, node: Node, path: str, options) -> str:
        if node.value not in options:
            self.fail(node, path, f"{node.value!r} is not one of {', '.join(options)}")
        return node.value

    def zone(self, node: Node, path: str) -> str:
        try:
            return validate_zone(node.value, field=path)
        except InvalidInput as exc:
            self.fail(node, path, exc.message.split(": ", 1)[-1])

    def day(self, node: Node | str, path: str, *, line_node: Node | None = None) -> date:
        raw = node.value if isinstance(node, Node) else node
        if isinstance(raw, date) and not isinstance(raw, datetime):
            raw = raw.isoformat()  # YAML read it as a date already; the year range still applies
        try:
            return parse_date(str(raw), field=path)
        except InvalidInput as exc:
            self.fail(line_node or (node if isinstance(node, Node) else None), path, exc.message.split(": ", 1)[-1])

    def ranges(self, node: Node, path: str) -> list[list[str]]:
        items = self.seq(node, path)
        try:
            parsed = parse_ranges([plain(i) for i in items], field=path)
        except InvalidInput as exc:
            where = exc.field or path
            at = node
            if where.startswith(path + "[") and where.endswith("]"):
                at = items[int(where[len(path) + 1 : -1])]
            self.fail(at, where, exc.message.split(": ", 1)[-1])
        return [[r.start.strftime("%H:%M"), r.end.strftime("%H:%M") if r.end else "24:00"] for r in parsed]

    def instant(self, node: Node, path: str) -> datetime:
        raw = node.value
        if isinstance(raw, datetime):
            if raw.tzinfo is None:
                self.fail(node, path, "a UTC instant needs Z or an offset, e.g. 2026-03-03T10:00:00Z")
            raw = raw.isoformat()  # YAML read it as a timestamp already; offsets and years are checked alike
        try:
            return parse_instant(str(raw), field=path)
        except InvalidInput as exc:
            self.fail(node, path, exc.message.split(": ", 1)[-1])


ORG_KEYS = {"slug", "name", "timezone", "embed_origins", "week_start"}
HOST_KEYS = {
    "email", "name", "slug", "role", "timezone", "weekly", "overrides", "busy", "password", "limits",
    "daylight_weekly", "out_of_office", "travel",
}
# limits: {day, week, month, day_minutes, week_minutes} -> the model fields (event types and hosts alike).
LIMIT_KEYS = {
    "day": "daily_limit", "week": "weekly_limit", "month": "monthly_limit", "day_minutes": "daily_minutes_limit",
    "week_minutes": "weekly_minutes_limit",
}
TEAM_KEYS = {"slug", "name", "timezone", "members"}
EVENT_KEYS = {
    "slug", "name", "host", "team", "kind", "description", "duration", "durations", "increment", "buffer_before",
    "buffer_after", "min_notice", "window", "daily_limit", "seats", "location", "questions", "active", "secret",
    "pool", "distribution", "invitee_picks_host", "color", "limits", "cutoff_hours", "requires_confirmation",
    "confirmation_hold_hours", "max_guests",
}
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _via_service(ctx: "Ctx", node: Node, path: str, write, *args, **kwargs):
    """Run a scheduling service, turning its InvalidInput into this file's error at `node`."""
    try:
        return write(*args, **kwargs)
    except InvalidInput as exc:
        ctx.fail(node, path, exc.message)


def _limits(ctx: "Ctx", node: Node, path: str) -> dict:
    """A `limits:` mapping, validated by the same rules as the dashboard (scheduling.clean_limits)."""
    given = ctx.mapping(node, path, set(LIMIT_KEYS))
    values = {LIMIT_KEYS[k]: plain(v) for k, v in given.items()}
    return _via_service(ctx, node, path, scheduling.clean_limits, values)


def _host_rules(ctx: "Ctx", p: str, h: dict, m: Membership, schedule, hosts_by_email: dict, now: datetime) -> None:
    """A host's limits, seasonal hours, absences and travel, written through scheduling.services."""
    if "limits" in h:
        values = {k: None for k in LIMIT_KEYS.values()} | _limits(ctx, h["limits"], f"{p}.limits")
        _via_service(ctx, h["limits"], f"{p}.limits", scheduling.host_limits_set, host=m, values=values)
    if "daylight_weekly" in h:
        days = ctx.mapping(h["daylight_weekly"], f"{p}.daylight_weekly", set(WEEKDAYS))
        daylight = {d: ctx.ranges(v, f"{p}.daylight_weekly.{d}") for d, v in days.items()}
        _via_service(ctx, h["daylight_weekly"], f"{p}.daylight_weekly", scheduling.schedule_seasons_set,
                     schedule=schedule, daylight=daylight, now=now)
    if "out_of_office" in h:
        m.absences.all().delete()
        for j, n in enumerate(ctx.seq(h["out_of_office"], f"{p}.out_of_office")):
            ap = f"{p}.out_of_office[{j}]"
            a = ctx.mapping(n, ap, {"from", "to", "reason", "redirect_to"}, {"from", "to"})
            mate = None
            if "redirect_to" in a:
                mate = hosts_by_email.get(str(a["redirect_to"].value).lower()) or Membership.objects.filter(
                    organization=m.organization, user__email=str(a["redirect_to"].value).lower()).first()
                if mate is None:
                    ctx.fail(a["redirect_to"], f"{ap}.redirect_to", f"{a['redirect_to'].value!r} is not a host here")
            _via_service(ctx, n, ap, scheduling.out_of_office_add, host=m, first=ctx.day(a["from"], f"{ap}.from"),
                         last=ctx.day(a["to"], f"{ap}.to"),
                         reason=ctx.string(a["reason"], f"{ap}.reason") if "reason" in a else "", redirect_to=mate)
    if "travel" in h:
        m.stays.all().delete()
        for j, n in enumerate(ctx.seq(h["travel"], f"{p}.travel")):
            tp = f"{p}.travel[{j}]"
            t = ctx.mapping(n, tp, {"timezone", "from", "to"}, {"timezone", "from", "to"})
            _via_service(ctx, n, tp, scheduling.travel_add, host=m, timezone=ctx.zone(t["timezone"], f"{tp}.timezone"),
                         first=ctx.day(t["from"], f"{tp}.from"), last=ctx.day(t["to"], f"{tp}.to"))


def load_file(path: str | Path, *, now: datetime) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LoadError(f"{path}: cannot read the file: {exc.strerror}") from None
    return load_text(text, source=str(path), now=now)


def load_text(text: str, *, source: str = "<input>", now: datetime) -> dict:
    root = parse_text(text, source=source)
    ctx = Ctx(source)
    top = ctx.mapping(root, "(top)", {"organization", "hosts", "teams", "event_types"}, {"organization"})
    with transaction.atomic():
        return _apply(ctx, top, now)


def _apply(ctx: Ctx, top: dict[str, Node], now: datetime) -> dict:
    org = _organization(ctx, top["organization"])
    counts = {"hosts": 0, "teams": 0, "event_types": 0, "busy": 0}

    hosts: dict[str, Membership] = {}
    pending_rules = []
    for i, h_node in enumerate(ctx.seq(top.get("hosts"), "hosts")):
        m, email, busy, h, schedule = _host(ctx, f"hosts[{i}]", h_node, org, hosts)
        hosts[email] = m
        pending_rules.append((f"hosts[{i}]", h, m, schedule))
        counts["hosts"] += 1
        counts["busy"] += busy
    # After every host is known: an absence may hand invitees to a host listed further down.
    for p, h, m, schedule in pending_rules:
        _host_rules(ctx, p, h, m, schedule, hosts, now)

    def member(node: Node, path: str) -> Membership:
        email = str(node.value).lower()
        if email in hosts:
            return hosts[email]
        found = Membership.objects.filter(organization=org, user__email=email).first()
        if not found:
            ctx.fail(node, path, f"{node.value!r} is not a host of {org.slug}; list it under hosts")
        return found

    teams: dict[str, Team] = {}
    for i, t_node in enumerate(ctx.seq(top.get("teams"), "teams")):
        team = _team(ctx, f"teams[{i}]", t_node, org, member)
        teams[team.slug] = team
        counts["teams"] += 1

    for i, e_node in enumerate(ctx.seq(top.get("event_types"), "event_types")):
        _event_type(ctx, f"event_types[{i}]", e_node, org, member, teams)
        counts["event_types"] += 1
    return {"organization": org.slug, **counts}


def _organization(ctx: Ctx, node: Node) -> Organization:
    o = ctx.mapping(node, "organization", ORG_KEYS, {"slug"})
    org_slug = ctx.slug(o["slug"], "organization.slug")
    org, _ = Organization.objects.get_or_create(slug=org_slug, defaults={"name": org_slug})
    if "name" in o:
        org.name = ctx.string(o["name"], "organization.name")
    if "timezone" in o:
        org.timezone = ctx.zone(o["timezone"], "organization.timezone")
    if "embed_origins" in o:
        values = []
        for i, n in enumerate(ctx.seq(o["embed_origins"], "organization.embed_origins")):
            p = f"organization.embed_origins[{i}]"
            value = ctx.string(n, p)
            try:
                clean_embed_origins([value], field=p)
            except InvalidInput as exc:
                ctx.fail(n, p, exc.message.split(": ", 1)[-1])
            values.append(value)
        org.embed_origins = clean_embed_origins(values, field="organization.embed_origins")
    if "week_start" in o:
        org.week_start = WEEKDAY_NAMES.index(ctx.choice(o["week_start"], "organization.week_start", WEEKDAY_NAMES))
    org.save()
    return org


def _host(ctx: Ctx, p: str, h_node: Node, org: Organization, hosts: dict) -> tuple:
    """One hosts[] entry: the user, membership, default schedule, overrides and busy blocks. Returns the
    membership, the email, how many busy blocks were loaded, the entry's keys and the default schedule
    (for the rules that need every host first: _host_rules)."""
    h = ctx.mapping(h_node, p, HOST_KEYS, {"email", "timezone"})
    email = ctx.string(h["email"], f"{p}.email", max_len=254).lower()
    if "@" not in email:
        ctx.fail(h["email"], f"{p}.email", f"{email!r} is not an email address")
    if email in hosts:
        ctx.fail(h["email"], f"{p}.email", "this host is listed twice")
    zone = ctx.zone(h["timezone"], f"{p}.timezone")
    name = ctx.string(h["name"], f"{p}.name") if "name" in h else email.split("@")[0]
    slug = ctx.slug(h["slug"], f"{p}.slug") if "slug" in h else slugify(email.split("@")[0])
    role = ctx.choice(h["role"], f"{p}.role", Membership.Role.values) if "role" in h else "member"
    user, created = User.objects.get_or_create(email=email, defaults={"name": name, "timezone": zone})
    if created:
        user.set_unusable_password()
    user.name, user.timezone = name, zone
    if "password" in h:
        password = ctx.string(h["password"], f"{p}.password")
        # Re-hashing an unchanged password would sign the user out everywhere (Django ties sessions to
        # the hash), so a reload only sets one that differs.
        if not user.check_password(password):
            user.set_password(password)
    user.save()
    clash = Membership.objects.filter(organization=org, slug=slug).exclude(user=user).first()
    if clash:
        ctx.fail(h.get("slug", h["email"]), f"{p}.slug", f"{slug!r} is already the page of {clash.user.email}")
    m, _ = Membership.objects.update_or_create(organization=org, user=user, defaults={"slug": slug, "role": role})
    weekly_node = h.get("weekly")
    weekly = {}
    if weekly_node is not None:
        days = ctx.mapping(weekly_node, f"{p}.weekly", set(WEEKDAYS))
        weekly = {d: ctx.ranges(v, f"{p}.weekly.{d}") for d, v in days.items()}
    schedule, _ = AvailabilitySchedule.objects.update_or_create(
        owner=m, is_default=True, defaults={"organization": org, "timezone": zone, "weekly": weekly}
    )
    overrides = {}
    if "overrides" in h:
        for key, v in ctx.mapping(h["overrides"], f"{p}.overrides", set(h["overrides"].value or {})).items():
            d = ctx.day(key, f"{p}.overrides.{key}", line_node=v)
            overrides[d] = ctx.ranges(v, f"{p}.overrides.{key}")
    schedule.overrides.all().delete()
    DateOverride.objects.bulk_create([DateOverride(schedule=schedule, date=d, intervals=r) for d, r in overrides.items()])
    busy = _busy(ctx, p, h["busy"], org, m) if "busy" in h else 0
    return m, email, busy, h, schedule


def _busy(ctx: Ctx, p: str, node: Node, org: Organization, m: Membership) -> int:
    """A host's busy: list, replacing what an earlier load put there. Returns how many blocks."""
    BusyBlock.objects.filter(membership=m, source="load").delete()
    blocks = []
    for j, b in enumerate(ctx.seq(node, f"{p}.busy")):
        bp = f"{p}.busy[{j}]"
        if isinstance(b.value, dict):
            bm = ctx.mapping(b, bp, {"start", "end", "label"}, {"start", "end"})
            start, end = ctx.instant(bm["start"], f"{bp}.start"), ctx.instant(bm["end"], f"{bp}.end")
            label = ctx.string(bm["label"], f"{bp}.label") if "label" in bm else ""
        elif isinstance(b.value, list) and len(b.value) == 2:
            start, end = ctx.instant(b.value[0], f"{bp}[0]"), ctx.instant(b.value[1], f"{bp}[1]")
            label = ""
        else:
            ctx.fail(b, bp, "expected [start, end] or {start, end, label} with UTC instants")
        if end <= start:
            ctx.fail(b, bp, "ends before it starts")
        blocks.append(BusyBlock(organization=org, membership=m, start=start, end=end, source="load", label=label))
    BusyBlock.objects.bulk_create(blocks)
    return len(blocks)


def _team(ctx: Ctx, p: str, t_node: Node, org: Organization, member) -> Team:
    t = ctx.mapping(t_node, p, TEAM_KEYS, {"slug"})
    slug = ctx.slug(t["slug"], f"{p}.slug")
    team, _ = Team.objects.get_or_create(organization=org, slug=slug, defaults={"name": slug})
    if "name" in t:
        team.name = ctx.string(t["name"], f"{p}.name")
    team.timezone = ctx.zone(t["timezone"], f"{p}.timezone") if "timezone" in t else org.timezone
    team.save()
    if "members" in t:
        team.members.set([member(n, f"{p}.members[{j}]") for j, n in enumerate(ctx.seq(t["members"], f"{p}.members"))])
    return team


def _event_type(ctx: Ctx, p: str, node: Node, org, member, teams) -> EventType:
    e = ctx.mapping(node, p, EVENT_KEYS, {"slug", "name"})
    if ("host" in e) == ("team" in e):
        ctx.fail(node, p, "give exactly one of host (an email) or team (a team slug)")
    slug = ctx.slug(e["slug"], f"{p}.slug")
    owner = team = None
    if "host" in e:
        owner = member(e["host"], f"{p}.host")
    else:
        team_slug = str(e["team"].value)
        team = teams.get(team_slug) or Team.objects.filter(organization=org, slug=team_slug).first()
        if team is None:
            ctx.fail(e["team"], f"{p}.team", f"{team_slug!r} is not a team of {org.slug}; list it under teams")
    kind = ctx.choice(e["kind"], f"{p}.kind", EventType.Kind.values) if "kind" in e else EventType.Kind.ONE_ON_ONE
    if team is None and kind in (EventType.Kind.COLLECTIVE, EventType.Kind.ROUND_ROBIN):
        ctx.fail(e["kind"], f"{p}.kind", f"{kind} events belong to a team: use team: <slug> instead of host")
    f = _event_type_fields(ctx, p, e, kind)
    et = EventType.objects.filter(organization=org, owner=owner, team=team, slug=slug).first()
    if et is None:
        et = EventType(organization=org, owner=owner, team=team, slug=slug)
    for k, v in f.items():
        setattr(et, k, v)
    et.save()
    if "pool" in e:
        if team is None:
            ctx.fail(e["pool"], f"{p}.pool", "only team events have a pool")
        _pool(ctx, f"{p}.pool", e["pool"], et, team, member)
    return et


def _event_type_fields(ctx: Ctx, p: str, e: dict[str, Node], kind: str) -> dict:
    """The EventType fields an event_types[] entry sets, checked; keys it leaves out keep their value."""
    f = {"name": ctx.string(e["name"], f"{p}.name"), "kind": kind}
    if "description" in e:
        f["description"] = ctx.string(e["description"], f"{p}.description", max_len=5000, allow_empty=True,
                                        multiline=True)
    if "duration" in e:
        f["duration_minutes"] = ctx.integer(e["duration"], f"{p}.duration", 1, 1440)
    if "durations" in e:
        f["duration_options"] = [
            ctx.integer(n, f"{p}.durations[{j}]", 1, 1440) for j, n in enumerate(ctx.seq(e["durations"], f"{p}.durations"))
        ]
    if "increment" in e:
        f["increment_minutes"] = ctx.integer(e["increment"], f"{p}.increment", 5, 720)
    for key in ("buffer_before", "buffer_after"):
        if key in e:
            f[f"{key}_minutes"] = ctx.integer(e[key], f"{p}.{key}", 0, 720)
    if "min_notice" in e:
        f["min_notice_minutes"] = ctx.integer(e["min_notice"], f"{p}.min_notice", 0, 525600)
    if "window" in e:
        f.update(_window(ctx, e["window"], f"{p}.window"))
    if "daily_limit" in e:
        f["daily_limit"] = None if e["daily_limit"].value is None else ctx.integer(e["daily_limit"], f"{p}.daily_limit", 1, 1000)
    if "limits" in e:
        limits = _limits(ctx, e["limits"], f"{p}.limits")
        f.update({k: v for k, v in limits.items() if k != "daily_limit" or "daily_limit" not in e})
    if "cutoff_hours" in e:
        f["cutoff_hours"] = None if e["cutoff_hours"].value is None else ctx.integer(
            e["cutoff_hours"], f"{p}.cutoff_hours", 1, 8760)
    if "seats" in e:
        f["seats"] = ctx.integer(e["seats"], f"{p}.seats", 1, 10000)
        if f["seats"] > 1 and kind != EventType.Kind.GROUP:
            ctx.fail(e["seats"], f"{p}.seats", "only group events have more than one seat (kind: group)")
    if "location" in e:
        loc = ctx.mapping(e["location"], f"{p}.location", {"kind", "value"}, {"kind"})
        f["location_kind"] = ctx.choice(loc["kind"], f"{p}.location.kind", EventType.LocationKind.values)
        f["location_value"] = ctx.string(loc["value"], f"{p}.location.value", max_len=500) if "value" in loc else ""
        if f["location_kind"] in ("link", "phone", "in_person", "custom") and not f["location_value"]:
            ctx.fail(e["location"], f"{p}.location.value", f"a {f['location_kind']} location needs a value")
    if "questions" in e:
        f["questions"] = _questions(ctx, e["questions"], f"{p}.questions")
    for key in ("active", "secret", "invitee_picks_host"):
        if key in e:
            f[key] = ctx.boolean(e[key], f"{p}.{key}")
    f.update(_approval_and_guests(ctx, p, e, seats=f.get("seats", 1)))
    if "distribution" in e:
        f["distribution"] = ctx.choice(e["distribution"], f"{p}.distribution", EventType.Distribution.values)
    if "color" in e:
        f["color"] = ctx.string(e["color"], f"{p}.color", max_len=7)
    return f


def _approval_and_guests(ctx: Ctx, p: str, e: dict[str, Node], *, seats: int) -> dict:
    """requires_confirmation, confirmation_hold_hours, max_guests; the service's rule for group events."""
    f: dict = {}
    if "requires_confirmation" in e:
        f["requires_confirmation"] = ctx.boolean(e["requires_confirmation"], f"{p}.requires_confirmation")
    if "confirmation_hold_hours" in e:
        f["confirmation_hold_hours"] = ctx.integer(e["confirmation_hold_hours"], f"{p}.confirmation_hold_hours", 1, 720)
    if "max_guests" in e:
        f["max_guests"] = ctx.integer(e["max_guests"], f"{p}.max_guests", 0, 50)
    if seats > 1 and f.get("requires_confirmation"):
        ctx.fail(e["requires_confirmation"], f"{p}.requires_confirmation",
                 "group events cannot wait for approval; book them directly")
    if seats > 1 and f.get("max_guests"):
        ctx.fail(e["max_guests"], f"{p}.max_guests", "group events cannot take guests; each attendee books a seat")
    return f


def _pool(ctx: Ctx, path: str, node: Node, et: EventType, team: Team, member) -> None:
    """A team event's pool, replacing the one it had: emails, or {host, priority, weight}."""
    PoolHost.objects.filter(event_type=et).delete()
    for j, pn in enumerate(ctx.seq(node, path)):
        pp = f"{path}[{j}]"
        if isinstance(pn.value, str):
            m, prio, weight = member(pn, pp), 2, 100
        else:
            pm = ctx.mapping(pn, pp, {"host", "priority", "weight"}, {"host"})
            m = member(pm["host"], f"{pp}.host")
            prio = ctx.integer(pm["priority"], f"{pp}.priority", 0, 4) if "priority" in pm else 2
            weight = ctx.integer(pm["weight"], f"{pp}.weight", 1, 10000) if "weight" in pm else 100
        if not team.members.filter(pk=m.pk).exists():
            ctx.fail(pn, pp, f"{m.user.email} is not a member of team {team.slug}")
        PoolHost.objects.create(event_type=et, membership=m, priority=prio, weight=weight)


def _window(ctx: Ctx, node: Node, path: str) -> dict:
    if node.value == "unlimited":
        return {"window_kind": "unlimited", "window_days": None, "window_start": None, "window_end": None}
    w = ctx.mapping(node, path, {"rolling_days", "from", "to"})
    if "rolling_days" in w:
        if len(w) > 1:
            ctx.fail(node, path, "give either rolling_days or from/to, not both")
        return {"window_kind": "rolling", "window_days": ctx.integer(w["rolling_days"], f"{path}.rolling_days", 1, 3650)}
    if "from" not in w or "to" not in w:
        ctx.fail(node, path, "give rolling_days: N, or from: DATE and to: DATE, or the word unlimited")
    first, last = ctx.day(w["from"], f"{path}.from"), ctx.day(w["to"], f"{path}.to")
    if last < first:
        ctx.fail(w["to"], f"{path}.to", "ends before from")
    return {"window_kind": "range", "window_days": None, "window_start": first, "window_end": last}


def _questions(ctx: Ctx, node: Node, path: str) -> list[dict]:
    out, keys = [], set()
    for j, qn in enumerate(ctx.seq(node, path)):
        qp = f"{path}[{j}]"
        q = ctx.mapping(qn, qp, {"key", "label", "type", "required", "options"}, {"key", "label"})
        key = ctx.slug(q["key"], f"{qp}.key").replace("-", "_")
        if key in keys or key in ("name", "email"):
            ctx.fail(q["key"], f"{qp}.key", f"{key!r} is used already (name and email are always asked)")
        keys.add(key)
        kind = ctx.choice(q["type"], f"{qp}.type", QUESTION_TYPES) if "type" in q else "text"
        options = [ctx.string(o, f"{qp}.options[{k}]") for k, o in enumerate(ctx.seq(q.get("options"), f"{qp}.options"))]
        if kind.endswith("_choice") and not options:
            ctx.fail(qn, f"{qp}.options", f"a {kind} question needs options")
        out.append({
            "key": key,
            "label": ctx.string(q["label"], f"{qp}.label", max_len=500),
            "type": kind,
            "required": ctx.boolean(q["required"], f"{qp}.required") if "required" in q else False,
            "options": options,
        })
    return out
