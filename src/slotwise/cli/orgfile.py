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
from slotwise.accounts.selectors import ADMIN_ROLES
from slotwise.accounts.services import clean_embed_origins, organization_place
from slotwise.core import text
from slotwise.core.errors import InvalidInput
from slotwise.core.instants import parse_date, parse_instant
from slotwise.core.languages import validate_language
from slotwise.core.timezones import validate_zone
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import WEEKDAYS, AvailabilitySchedule, BusyBlock, DateOverride, EventType, PoolHost
from slotwise.scheduling.selectors import parse_ranges
from slotwise.scheduling.services import clean_translations

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
    prefix: str = ""  # "sub_accounts[1]." inside an agency's sub-account, so errors name the whole path

    def fail(self, node: Node | None, path: str, message: str):
        line = f"line {node.line}: " if node is not None else ""
        path = self.prefix + path
        raise LoadError(f"{self.source}: {line}{path}: {message}", field=path)

    def mapping(self, node: Node, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Node]:
        if not isinstance(node.value, dict):
            self.fail(node, path, "expected a mapping (key: value lines)")
        for key, child in node.value.items():
            if key not in allowed:
                self.fail(child, f"{path}.{key}".lstrip("."), f"unknown key; allowed here: {', '.join(sorted(allowed))}")
        for key in sorted(required):
            if key not in node.value:
                self.fail(node, f"{path}.{key}".lstrip("."), "is required")
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


ORG_KEYS = {"slug", "name", "timezone", "embed_origins", "week_start", "agency", "sub_account_of"}
HOST_KEYS = {
    "email", "name", "slug", "role", "timezone", "weekly", "overrides", "busy", "password", "limits",
    "daylight_weekly", "out_of_office", "travel", "from_agency",
}
# limits: {day, week, month, day_minutes, week_minutes} -> the model fields (event types and hosts alike).
LIMIT_KEYS = {
    "day": "daily_limit", "week": "weekly_limit", "month": "monthly_limit", "day_minutes": "daily_minutes_limit",
    "week_minutes": "weekly_minutes_limit",
}
TOP_KEYS = {"organization", "hosts", "teams", "event_types"}
TEAM_KEYS = {"slug", "name", "timezone", "members"}
EVENT_KEYS = {
    "slug", "name", "host", "team", "kind", "description", "duration", "durations", "increment", "buffer_before",
    "buffer_after", "min_notice", "window", "daily_limit", "seats", "location", "questions", "active", "secret",
    "pool", "distribution", "invitee_picks_host", "color", "limits", "cutoff_hours", "language", "translations",
    "requires_confirmation", "confirmation_hold_hours", "max_guests",
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
    top = ctx.mapping(root, "(top)", TOP_KEYS | {"sub_accounts"}, {"organization"})
    with transaction.atomic():
        result = _apply(ctx, top, now)
        if "sub_accounts" in top:
            result["sub_accounts"] = _sub_accounts(ctx, top, result, now)
        return result


def _sub_accounts(ctx: Ctx, top: dict[str, Node], agency_result: dict, now: datetime) -> list[dict]:
    """An agency's sub-accounts: each item is a whole organization file of its own (organization, hosts,
    teams, event_types), one level deep."""
    agency = Organization.objects.get(slug=agency_result["organization"])
    if not agency.is_agency:
        ctx.fail(top["sub_accounts"], "sub_accounts", f"{agency.slug} is not an agency; add agency: true under "
                 "organization to give it sub-accounts")
    out, seen = [], {}
    for i, item in enumerate(ctx.seq(top["sub_accounts"], "sub_accounts")):
        sub = Ctx(ctx.source, prefix=f"sub_accounts[{i}].")
        if isinstance(item.value, dict) and "sub_accounts" in item.value:
            sub.fail(item.value["sub_accounts"], "sub_accounts", "a sub-account has no sub-accounts of its own: "
                     "agencies have one level of sub-accounts")
        fields = sub.mapping(item, "", TOP_KEYS, {"organization"}) if isinstance(item.value, dict) else None
        if fields is None:
            ctx.fail(item, f"sub_accounts[{i}]", "expected a mapping with organization, hosts, teams, event_types")
        o = sub.mapping(fields["organization"], "organization", ORG_KEYS, {"slug"})
        slug = sub.slug(o["slug"], "organization.slug")
        if slug == agency.slug:
            sub.fail(o["slug"], "organization.slug", f"{slug!r} is the agency itself; an agency is not its own "
                     "sub-account")
        if slug in seen:
            sub.fail(o["slug"], "organization.slug", f"{slug!r} is listed twice (also sub_accounts[{seen[slug]}])")
        seen[slug] = i
        if "agency" in o and o["agency"].value is not False:
            sub.fail(o["agency"], "organization.agency", "a sub-account cannot be an agency itself: agencies have "
                     "one level of sub-accounts")
        if "sub_account_of" in o and o["sub_account_of"].value != agency.slug:
            sub.fail(o["sub_account_of"], "organization.sub_account_of", f"this sub-account is listed under "
                     f"{agency.slug}; leave sub_account_of out here")
        out.append(_apply(sub, fields, now, agency=agency))
    return out


def _place(ctx: Ctx, o: dict[str, Node], org: Organization, agency: Organization | None) -> None:
    """The organization's place: an agency, a sub-account, or neither, through accounts.services."""
    is_agency = ctx.boolean(o["agency"], "organization.agency") if "agency" in o else org.is_agency
    parent = agency
    if parent is None and "sub_account_of" in o:
        parent_slug = ctx.slug(o["sub_account_of"], "organization.sub_account_of")
        parent = Organization.objects.filter(slug=parent_slug).first()
        if parent is None:
            ctx.fail(o["sub_account_of"], "organization.sub_account_of", f"there is no agency {parent_slug!r}; "
                     "load the agency's file first")
    elif parent is None:
        parent = org.parent
    if org.parent_id is not None and parent is not None and parent.pk != org.parent_id:
        node = o.get("sub_account_of") or o["slug"]
        ctx.fail(node, "organization.slug", f"{org.slug} is a sub-account of {org.parent.slug} already; one file "
                 f"cannot move it to {parent.slug}")
    try:
        organization_place(organization=org, is_agency=is_agency, parent=parent)
    except InvalidInput as exc:
        key = "organization.agency" if exc.field == "is_agency" or "agency" in o else "organization.sub_account_of"
        ctx.fail(o.get(key.split(".")[1]) or o["slug"], key, exc.message)


def _apply(ctx: Ctx, top: dict[str, Node], now: datetime, *, agency: Organization | None = None) -> dict:
    org = _organization(ctx, top["organization"], agency)
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


def _organization(ctx: Ctx, node: Node, agency: Organization | None = None) -> Organization:
    o = ctx.mapping(node, "organization", ORG_KEYS, {"slug"})
    org_slug = ctx.slug(o["slug"], "organization.slug")
    org, _ = Organization.objects.get_or_create(slug=org_slug, defaults={"name": org_slug})
    _place(ctx, o, org, agency)
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
    via_agency = ctx.boolean(h["from_agency"], f"{p}.from_agency") if "from_agency" in h else False
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
    if via_agency and (org.parent_id is None or not Membership.objects.filter(
            organization_id=org.parent_id, user=user, via_agency=False, role__in=ADMIN_ROLES).exists()):
        ctx.fail(h["from_agency"], f"{p}.from_agency", f"{email} is not an owner or admin of "
                 f"{org.parent.slug if org.parent else 'an agency above ' + org.slug}; only they enter a "
                 "sub-account from the agency")
    m, _ = Membership.objects.update_or_create(organization=org, user=user,
                                               defaults={"slug": slug, "role": role, "via_agency": via_agency})
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
    f.update(_languages(ctx, e, p, questions=f.get("questions", et.questions or []),
                        language=et.default_language if et.pk else "en"))
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


def _languages(ctx: Ctx, e: dict, p: str, *, questions: list[dict], language: str) -> dict:
    """`language` (the language the texts are written in) and `translations` (the name, description and
    questions in others), checked by the same rules as the dashboard's (scheduling.services)."""
    out = {}
    if "language" in e:
        try:
            out["default_language"] = validate_language(plain(e["language"]), label="language")
        except InvalidInput as exc:
            ctx.fail(e["language"], f"{p}.language", exc.message.removeprefix("language: "))
    if "translations" in e:
        try:
            out["translations"] = clean_translations(plain(e["translations"]), questions=questions,
                                                     default_language=out.get("default_language", language))
        except InvalidInput as exc:
            ctx.fail(e["translations"], f"{p}.translations", exc.message)
    return out


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


# --- export: the same format, written back (`slotwise export ORG`) -----------------------------------------


def _utc(instant: datetime) -> str:
    from datetime import UTC

    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ranges(pairs) -> list[str]:
    return [f"{a}-{b}" for a, b in pairs]


def _export_host(m: Membership) -> dict:
    out = {"email": m.user.email, **({"name": m.user.name} if m.user.name else {}), "slug": m.slug, "role": m.role}
    if m.via_agency:
        out["from_agency"] = True
    schedule = AvailabilitySchedule.objects.filter(owner=m, is_default=True).first()
    out["timezone"] = schedule.timezone if schedule else (m.user.timezone or "UTC")
    if schedule is not None:
        if schedule.weekly:
            out["weekly"] = {d: _ranges(schedule.weekly[d]) for d in WEEKDAYS if d in schedule.weekly}
        overrides = {o.date.isoformat(): _ranges(o.intervals) for o in schedule.overrides.order_by("date")}
        if overrides:
            out["overrides"] = overrides
    busy = [{"start": _utc(b.start), "end": _utc(b.end), **({"label": b.label} if b.label else {})}
            for b in BusyBlock.objects.filter(membership=m, source="load").order_by("start", "pk")]
    if busy:
        out["busy"] = busy
    return out


def _export_event_type(et: EventType) -> dict:
    d = EventType()  # the defaults: only what differs from them is written
    out = {"slug": et.slug, "name": et.name}
    out.update({"host": et.owner.user.email} if et.owner_id else {"team": et.team.slug})
    simple = [("kind", "kind"), ("description", "description"), ("duration", "duration_minutes"),
              ("durations", "duration_options"), ("increment", "increment_minutes"),
              ("buffer_before", "buffer_before_minutes"), ("buffer_after", "buffer_after_minutes"),
              ("min_notice", "min_notice_minutes"), ("daily_limit", "daily_limit"), ("seats", "seats"),
              ("questions", "questions"), ("active", "active"), ("secret", "secret"),
              ("distribution", "distribution"), ("invitee_picks_host", "invitee_picks_host"), ("color", "color")]
    for key, attr in simple:
        if getattr(et, attr) != getattr(d, attr):
            out[key] = getattr(et, attr)
    if et.window_kind == EventType.WindowKind.UNLIMITED:
        out["window"] = "unlimited"
    elif et.window_kind == EventType.WindowKind.RANGE:
        out["window"] = {"from": et.window_start.isoformat(), "to": et.window_end.isoformat()}
    elif et.window_days != d.window_days:
        out["window"] = {"rolling_days": et.window_days}
    if (et.location_kind, et.location_value) != (d.location_kind, d.location_value):
        out["location"] = {"kind": et.location_kind, **({"value": et.location_value} if et.location_value else {})}
    pool = PoolHost.objects.filter(event_type=et).select_related("membership__user").order_by("-priority", "pk")
    if et.team_id and pool.exists():
        out["pool"] = [{"host": p.membership.user.email, "priority": p.priority, "weight": p.weight} for p in pool]
    return out


def export_organization(org: Organization, *, _nested: bool = False) -> dict:
    """`org` as a load file (a dict to write as YAML): its hosts, teams and event types, and for an agency
    its sub-accounts, each with theirs. Loading the result gives the same organization back (passwords are
    never exported)."""
    o = {"slug": org.slug, "name": org.name, "timezone": org.timezone}
    if org.embed_origins:
        o["embed_origins"] = list(org.embed_origins)
    if org.is_agency:
        o["agency"] = True
    if org.parent_id and not _nested:
        o["sub_account_of"] = org.parent.slug
    members = Membership.objects.filter(organization=org).select_related("user").order_by("pk")
    out = {"organization": o, "hosts": [_export_host(m) for m in members]}
    teams = Team.objects.filter(organization=org).prefetch_related("members__user").order_by("slug")
    out["teams"] = [{"slug": t.slug, "name": t.name, "timezone": t.timezone,
                     "members": [m.user.email for m in t.members.order_by("pk")]} for t in teams]
    event_types = (EventType.objects.filter(organization=org).select_related("owner__user", "team")
                   .order_by("team__slug", "owner__slug", "slug"))
    out["event_types"] = [_export_event_type(et) for et in event_types]
    for key in ("hosts", "teams", "event_types"):
        if not out[key]:
            del out[key]
    if org.is_agency:
        subs = Organization.objects.filter(parent=org).order_by("slug")
        if subs:
            out["sub_accounts"] = [export_organization(s, _nested=True) for s in subs]
    return out


def export_text(org: Organization) -> str:
    head = f"# {org.name} ({org.slug}), written by `slotwise export`; load it with `slotwise load FILE`.\n"
    return head + yaml.safe_dump(export_organization(org), sort_keys=False, allow_unicode=True, width=110)
