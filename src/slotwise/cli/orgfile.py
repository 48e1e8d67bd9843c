"""An organization as code: `slotwise load FILE` creates or updates an organization from YAML or JSON.

The format is documented in docs/load-format.md. Every error names the file, the line and the key, and
nothing is written unless the whole file is valid (one transaction).
"""

import re
from contextlib import contextmanager
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
from slotwise.core.errors import InvalidInput, SlotwiseError
from slotwise.core.instants import parse_date, parse_instant
from slotwise.core.timezones import validate_zone
from slotwise.scheduling import services as scheduling
from slotwise.scheduling.models import WEEKDAYS, BusyBlock, EventType
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
    prefix: str = ""  # "sub_accounts[1]." inside an agency's sub-account, so errors name the whole path

    def fail(self, node: Node | None, path: str, message: str):
        line = f"line {node.line}: " if node is not None else ""
        path = self.prefix + path
        raise LoadError(f"{self.source}: {line}{path}: {message}", field=path)

    @contextmanager
    def service(self, node: Node, where: str, keys: dict[str, Node], field_keys: dict[str, str]):
        """Run a service call; its refusal becomes this file's error: the location in the file, then the
        service's own words (the same the dashboard shows). The line is the key the service's field names."""
        try:
            yield
        except LoadError:
            raise
        except SlotwiseError as exc:
            self.fail(_node_at(node, keys, exc.field or "", field_keys), where, exc.message)

    def mapping(self, node: Node, path: str, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Node]:
        if not isinstance(node.value, dict):
            self.fail(node, path, "expected a mapping (key: value lines)")
        for key, child in node.value.items():
            if key not in allowed:
                self.fail(
                    child, f"{path}.{key}".lstrip("."), f"unknown key; allowed here: {', '.join(sorted(allowed))}"
                )
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

    def string(
        self, node: Node, path: str, *, max_len: int = 200, allow_empty: bool = False, multiline: bool = False
    ) -> str:
        if not isinstance(node.value, str) or (not allow_empty and not node.value.strip()):
            self.fail(node, path, "expected text")
        try:
            return text.clean_text(node.value, field=path, label="this", max_length=max_len, multiline=multiline)
        except InvalidInput as exc:
            self.fail(node, path, exc.message.removeprefix("this ").split("; remove it")[0])

    def slug(self, node: Node, path: str) -> str:
        value = self.string(node, path, max_len=64)
        if slugify(value) != value:
            self.fail(
                node, path, f"{value!r} is not a slug (lowercase letters, digits, hyphens); try {slugify(value)!r}"
            )
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


def _node_at(node: Node, keys: dict[str, Node], field: str, field_keys: dict[str, str]) -> Node:
    """The deepest node of the file a service's `field` (such as weekly.sat[0] or params.url) points at."""
    parts = [p for p in re.split(r"[.\[\]]+", field) if p]
    if not parts:
        return node
    first = keys.get(field_keys.get(parts[0], parts[0]))
    if first is None:
        return node
    at = first
    for part in parts[1:]:
        v = at.value
        if isinstance(v, dict) and part in v:
            at = v[part]
        elif isinstance(v, list) and part.isdigit() and int(part) < len(v):
            at = v[int(part)]
        else:
            break
    return at


ORG_KEYS = {"slug", "name", "timezone", "embed_origins", "week_start", "agency", "sub_account_of"}
HOST_KEYS = {
    "email",
    "name",
    "slug",
    "role",
    "timezone",
    "weekly",
    "overrides",
    "busy",
    "password",
    "limits",
    "daylight_weekly",
    "out_of_office",
    "travel",
    "from_agency",
}
# limits: {day, week, month, day_minutes, week_minutes} -> the model fields (event types and hosts alike).
LIMIT_KEYS = {
    "day": "daily_limit",
    "week": "weekly_limit",
    "month": "monthly_limit",
    "day_minutes": "daily_minutes_limit",
    "week_minutes": "weekly_minutes_limit",
}
TOP_KEYS = {
    "organization",
    "hosts",
    "teams",
    "event_types",
    "rules",
    "reminders",
    "webhooks",
    "calendars",
    "email_templates",
}
TEAM_KEYS = {"slug", "name", "timezone", "members"}
EVENT_KEYS = {
    "slug",
    "name",
    "host",
    "team",
    "kind",
    "description",
    "duration",
    "durations",
    "increment",
    "buffer_before",
    "buffer_after",
    "min_notice",
    "window",
    "daily_limit",
    "seats",
    "location",
    "questions",
    "active",
    "secret",
    "pool",
    "distribution",
    "invitee_picks_host",
    "color",
    "limits",
    "cutoff_hours",
    "language",
    "translations",
    "requires_confirmation",
    "confirmation_hold_hours",
    "max_guests",
    "recurrence",
    "recurrence_count",
    "recurrence_partial",
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
        _via_service(
            ctx,
            h["daylight_weekly"],
            f"{p}.daylight_weekly",
            scheduling.schedule_seasons_set,
            schedule=schedule,
            daylight=daylight,
            now=now,
        )
    if "out_of_office" in h:
        m.absences.all().delete()
        for j, n in enumerate(ctx.seq(h["out_of_office"], f"{p}.out_of_office")):
            ap = f"{p}.out_of_office[{j}]"
            a = ctx.mapping(n, ap, {"from", "to", "reason", "redirect_to"}, {"from", "to"})
            mate = None
            if "redirect_to" in a:
                mate = (
                    hosts_by_email.get(str(a["redirect_to"].value).lower())
                    or Membership.objects.filter(
                        organization=m.organization, user__email=str(a["redirect_to"].value).lower()
                    ).first()
                )
                if mate is None:
                    ctx.fail(a["redirect_to"], f"{ap}.redirect_to", f"{a['redirect_to'].value!r} is not a host here")
            _via_service(
                ctx,
                n,
                ap,
                scheduling.out_of_office_add,
                host=m,
                first=ctx.day(a["from"], f"{ap}.from"),
                last=ctx.day(a["to"], f"{ap}.to"),
                reason=ctx.string(a["reason"], f"{ap}.reason") if "reason" in a else "",
                redirect_to=mate,
            )
    if "travel" in h:
        m.stays.all().delete()
        for j, n in enumerate(ctx.seq(h["travel"], f"{p}.travel")):
            tp = f"{p}.travel[{j}]"
            t = ctx.mapping(n, tp, {"timezone", "from", "to"}, {"timezone", "from", "to"})
            _via_service(
                ctx,
                n,
                tp,
                scheduling.travel_add,
                host=m,
                timezone=ctx.zone(t["timezone"], f"{tp}.timezone"),
                first=ctx.day(t["from"], f"{tp}.from"),
                last=ctx.day(t["to"], f"{tp}.to"),
            )


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
        ctx.fail(
            top["sub_accounts"],
            "sub_accounts",
            f"{agency.slug} is not an agency; add agency: true under organization to give it sub-accounts",
        )
    out, seen = [], {}
    for i, item in enumerate(ctx.seq(top["sub_accounts"], "sub_accounts")):
        sub = Ctx(ctx.source, prefix=f"sub_accounts[{i}].")
        if isinstance(item.value, dict) and "sub_accounts" in item.value:
            sub.fail(
                item.value["sub_accounts"],
                "sub_accounts",
                "a sub-account has no sub-accounts of its own: agencies have one level of sub-accounts",
            )
        fields = sub.mapping(item, "", TOP_KEYS, {"organization"}) if isinstance(item.value, dict) else None
        if fields is None:
            ctx.fail(item, f"sub_accounts[{i}]", "expected a mapping with organization, hosts, teams, event_types")
        o = sub.mapping(fields["organization"], "organization", ORG_KEYS, {"slug"})
        slug = sub.slug(o["slug"], "organization.slug")
        if slug == agency.slug:
            sub.fail(
                o["slug"], "organization.slug", f"{slug!r} is the agency itself; an agency is not its own sub-account"
            )
        if slug in seen:
            sub.fail(o["slug"], "organization.slug", f"{slug!r} is listed twice (also sub_accounts[{seen[slug]}])")
        seen[slug] = i
        if "agency" in o and o["agency"].value is not False:
            sub.fail(
                o["agency"],
                "organization.agency",
                "a sub-account cannot be an agency itself: agencies have one level of sub-accounts",
            )
        if "sub_account_of" in o and o["sub_account_of"].value != agency.slug:
            sub.fail(
                o["sub_account_of"],
                "organization.sub_account_of",
                f"this sub-account is listed under {agency.slug}; leave sub_account_of out here",
            )
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
            ctx.fail(
                o["sub_account_of"],
                "organization.sub_account_of",
                f"there is no agency {parent_slug!r}; load the agency's file first",
            )
    elif parent is None:
        parent = org.parent
    if org.parent_id is not None and parent is not None and parent.pk != org.parent_id:
        node = o.get("sub_account_of") or o["slug"]
        ctx.fail(
            node,
            "organization.slug",
            f"{org.slug} is a sub-account of {org.parent.slug} already; one file cannot move it to {parent.slug}",
        )
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

    def actor(node: Node, path: str) -> Membership:
        """Who the load acts as where a service asks (teams, organization webhooks): an owner or admin."""
        admin = (
            next((m for m in hosts.values() if m.is_admin), None)
            or Membership.objects.filter(organization=org, role__in=("owner", "admin")).first()
        )
        if admin is None:
            ctx.fail(node, path, f"this needs an owner or admin of {org.slug}; give one host role: owner")
        return admin

    teams: dict[str, Team] = {}
    for i, t_node in enumerate(ctx.seq(top.get("teams"), "teams")):
        team = _team(ctx, f"teams[{i}]", t_node, org, member, actor)
        teams[team.slug] = team
        counts["teams"] += 1

    for i, e_node in enumerate(ctx.seq(top.get("event_types"), "event_types")):
        _event_type(ctx, f"event_types[{i}]", e_node, org, member, teams, now)
        counts["event_types"] += 1

    def event_type(node: Node, path: str) -> EventType:
        return _event_type_ref(ctx, node, path, org)

    for section, load in EXTRA_SECTIONS.items():
        items = ctx.seq(top.get(section), section)
        for i, node in enumerate(items):
            load(ctx, f"{section}[{i}]", node, org=org, member=member, actor=actor, event_type=event_type, now=now)
        if items:
            counts[section] = len(items)
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
    if via_agency and (
        org.parent_id is None
        or not Membership.objects.filter(
            organization_id=org.parent_id, user=user, via_agency=False, role__in=ADMIN_ROLES
        ).exists()
    ):
        ctx.fail(
            h["from_agency"],
            f"{p}.from_agency",
            f"{email} is not an owner or admin of "
            f"{org.parent.slug if org.parent else 'an agency above ' + org.slug}; only they enter a "
            "sub-account from the agency",
        )
    m, _ = Membership.objects.update_or_create(
        organization=org, user=user, defaults={"slug": slug, "role": role, "via_agency": via_agency}
    )
    weekly = plain(h["weekly"]) if "weekly" in h else {}
    if not isinstance(weekly, dict):
        ctx.fail(h["weekly"], f"{p}.weekly", "expected a mapping of days (mon: [09:00-17:00])")
    overrides = plain(h["overrides"]) if "overrides" in h else None
    if overrides is not None and not isinstance(overrides, dict):
        ctx.fail(h["overrides"], f"{p}.overrides", "expected a mapping of dates (2026-12-24: [])")
    schedule = scheduling.default_schedule_for(membership=m, timezone=zone)
    with ctx.service(
        h_node, f"{p} ({email})", h, {"weekly": "weekly", "overrides": "overrides", "timezone": "timezone"}
    ):
        scheduling.schedule_update(
            schedule=schedule, timezone=zone, weekly=weekly, overrides=overrides if overrides is not None else {}
        )
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


def _team(ctx: Ctx, p: str, t_node: Node, org: Organization, member, actor) -> Team:
    t = ctx.mapping(t_node, p, TEAM_KEYS, {"slug"})
    slug = ctx.slug(t["slug"], f"{p}.slug")
    name = ctx.string(t["name"], f"{p}.name") if "name" in t else None
    zone = ctx.zone(t["timezone"], f"{p}.timezone") if "timezone" in t else None
    team = Team.objects.filter(organization=org, slug=slug).first()
    where = f"{p} (slug {slug})"
    with ctx.service(t_node, where, t, {"name": "name", "timezone": "timezone", "slug": "slug"}):
        if team is None:
            team = scheduling.team_create(
                actor=actor(t_node, p), name=name or slug, timezone=zone or org.timezone, slug=slug
            )
        else:
            team = scheduling.team_update(
                actor=actor(t_node, p), team=team, name=name or team.name, timezone=zone or team.timezone, slug=slug
            )
    if "members" in t:
        chosen = [member(n, f"{p}.members[{j}]") for j, n in enumerate(ctx.seq(t["members"], f"{p}.members"))]
        with ctx.service(t_node, where, t, {"members": "members"}):
            scheduling.team_members_set(actor=actor(t_node, p), team=team, members=chosen)
    return team


# The service's setting -> the file's key, to point an error at its line.
EVENT_FIELD_KEYS = {
    "name": "name",
    "slug": "slug",
    "description": "description",
    "kind": "kind",
    "duration_minutes": "duration",
    "duration_options": "durations",
    "increment_minutes": "increment",
    "buffer_before_minutes": "buffer_before",
    "buffer_after_minutes": "buffer_after",
    "min_notice_minutes": "min_notice",
    "window_kind": "window",
    "window_days": "window",
    "window_start": "window",
    "window_end": "window",
    "daily_limit": "daily_limit",
    "seats": "seats",
    "location_kind": "location",
    "location_value": "location",
    "questions": "questions",
    "distribution": "distribution",
    "invitee_picks_host": "invitee_picks_host",
    "color": "color",
    "active": "active",
    "secret": "secret",
    "owner": "host",
    "pool": "pool",
    "cutoff_hours": "cutoff_hours",
    "recurrence": "recurrence",
    "recurrence_count": "recurrence_count",
    "recurrence_partial": "recurrence_partial",
    "default_language": "language",
    "translations": "translations",
    **{field: "limits" for field in LIMIT_KEYS.values() if field != "daily_limit"},
}


def _event_type(ctx: Ctx, p: str, node: Node, org, member, teams, now: datetime) -> EventType:
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
    values = _event_type_fields(ctx, p, e)
    values["slug"] = slug
    et = EventType.objects.filter(organization=org, owner=owner, team=team, slug=slug).first()
    where = f"{p} (slug {slug})"
    with ctx.service(node, where, e, EVENT_FIELD_KEYS):
        if et is None:
            et = scheduling.event_type_create(organization=org, owner=owner, team=team, values=values, now=now)
        elif any(
            getattr(et, k) != v
            for k, v in scheduling.clean_event_type(
                {**{k: getattr(et, k) for k in scheduling.EVENT_TYPE_FIELDS}, **values}
            ).items()
        ):
            et = scheduling.event_type_update(event_type=et, values=values, now=now)
    if "pool" in e:
        if team is None:
            ctx.fail(e["pool"], f"{p}.pool", "only team events have a pool")
        hosts = _pool(ctx, f"{p}.pool", e["pool"], member)
        with ctx.service(node, where, e, EVENT_FIELD_KEYS):
            scheduling.pool_set(event_type=et, hosts=hosts)
    return et


def _event_type_fields(ctx: Ctx, p: str, e: dict[str, Node]) -> dict:
    """The settings an event_types[] entry gives, in the service's names; the service checks them, so the
    file and the dashboard refuse the same values in the same words. Keys left out keep their value."""
    f = {}
    for key, field in (
        ("name", "name"),
        ("description", "description"),
        ("kind", "kind"),
        ("duration", "duration_minutes"),
        ("increment", "increment_minutes"),
        ("buffer_before", "buffer_before_minutes"),
        ("buffer_after", "buffer_after_minutes"),
        ("min_notice", "min_notice_minutes"),
        ("daily_limit", "daily_limit"),
        ("seats", "seats"),
        ("distribution", "distribution"),
        ("color", "color"),
    ):
        if key in e:
            f[field] = e[key].value
    if "durations" in e:
        f["duration_options"] = [n.value for n in ctx.seq(e["durations"], f"{p}.durations")]
    if "window" in e:
        f.update(_window(ctx, e["window"], f"{p}.window"))
    if "limits" in e:
        given = ctx.mapping(e["limits"], f"{p}.limits", set(LIMIT_KEYS))
        f.update({LIMIT_KEYS[k]: plain(v) for k, v in given.items() if k != "day" or "daily_limit" not in e})
    if "cutoff_hours" in e:
        f["cutoff_hours"] = e["cutoff_hours"].value
    if "location" in e:
        loc = ctx.mapping(e["location"], f"{p}.location", {"kind", "value"}, {"kind"})
        f["location_kind"] = loc["kind"].value
        f["location_value"] = loc["value"].value if "value" in loc else ""
    if "questions" in e:
        f["questions"] = _questions(ctx, e["questions"], f"{p}.questions")
    if "language" in e:
        f["default_language"] = plain(e["language"])
    if "translations" in e:
        f["translations"] = plain(e["translations"])
    for key in ("active", "secret", "invitee_picks_host"):
        if key in e:
            f[key] = ctx.boolean(e[key], f"{p}.{key}")
    service_checks = (
        "requires_confirmation",
        "confirmation_hold_hours",
        "max_guests",
        "recurrence",
        "recurrence_count",
        "recurrence_partial",
    )
    for key in service_checks:  # the service checks them
        if key in e:
            f[key] = plain(e[key])
    return f


def _pool(ctx: Ctx, path: str, node: Node, member) -> list[tuple[Membership, int, int]]:
    """A team event's pool (replacing the one it had): emails, or {host, priority, weight}."""
    out = []
    for j, pn in enumerate(ctx.seq(node, path)):
        pp = f"{path}[{j}]"
        if isinstance(pn.value, str):
            out.append((member(pn, pp), 2, 100))
        else:
            pm = ctx.mapping(pn, pp, {"host", "priority", "weight"}, {"host"})
            out.append(
                (
                    member(pm["host"], f"{pp}.host"),
                    pm["priority"].value if "priority" in pm else 2,
                    pm["weight"].value if "weight" in pm else 100,
                )
            )
    return out


def _window(ctx: Ctx, node: Node, path: str) -> dict:
    if node.value == "unlimited":
        return {"window_kind": "unlimited", "window_days": None, "window_start": None, "window_end": None}
    w = ctx.mapping(node, path, {"rolling_days", "from", "to"})
    if "rolling_days" in w:
        if len(w) > 1:
            ctx.fail(node, path, "give either rolling_days or from/to, not both")
        return {
            "window_kind": "rolling",
            "window_days": w["rolling_days"].value,
            "window_start": None,
            "window_end": None,
        }
    if "from" not in w or "to" not in w:
        ctx.fail(node, path, "give rolling_days: N, or from: DATE and to: DATE, or the word unlimited")
    return {
        "window_kind": "range",
        "window_days": None,
        "window_start": ctx.day(w["from"], f"{path}.from"),
        "window_end": ctx.day(w["to"], f"{path}.to"),
    }


def _questions(ctx: Ctx, node: Node, path: str) -> list[dict]:
    out = []
    for j, qn in enumerate(ctx.seq(node, path)):
        q = ctx.mapping(qn, f"{path}[{j}]", {"key", "label", "type", "required", "options"}, {"label"})
        out.append({k: plain(v) for k, v in q.items()})
    return out


# ---- rules, reminders, webhooks, calendars, email templates ---------------------------------------------


def _event_type_ref(ctx: Ctx, node: Node, path: str, org: Organization) -> EventType:
    """HOST/EVENT or team/TEAM/EVENT, as in `slotwise book ORG/HOST/EVENT` without the organization."""
    parts = str(node.value).split("/")
    qs = EventType.objects.filter(organization=org)
    if len(parts) == 3 and parts[0] == "team":
        found = qs.filter(team__slug=parts[1], slug=parts[2]).first()
    elif len(parts) == 2:
        found = qs.filter(owner__slug=parts[0], slug=parts[1]).first()
    else:
        found = None
        ctx.fail(node, path, f"{node.value!r} is not HOST/EVENT or team/TEAM/EVENT, e.g. ana/intro")
    if found is None:
        ctx.fail(node, path, f"{node.value!r} is not an event type of {org.slug}; list it under event_types")
    return found


def _no_inline_secret(ctx: Ctx, keys: dict[str, Node], p: str, secret: str) -> None:
    if secret in keys:
        ctx.fail(
            keys[secret],
            f"{p}.{secret}",
            f"secrets are not written in the file; put it in an environment "
            f"variable and give its name: {secret}_env: MY_{secret.upper()}",
        )


def _secret_from_env(ctx: Ctx, keys: dict[str, Node], p: str, secret: str) -> str | None:
    import os

    _no_inline_secret(ctx, keys, p, secret)
    key = f"{secret}_env"
    if key not in keys:
        return None
    name = ctx.string(keys[key], f"{p}.{key}", max_len=200)
    value = os.environ.get(name)
    if not value:
        ctx.fail(keys[key], f"{p}.{key}", f"the environment variable {name} is not set")
    return value


RULE_KEYS = {"name", "trigger", "action", "filters", "params", "undo_on_cancel", "active"}


def _rule(ctx: Ctx, p: str, node: Node, *, org, now, **_) -> None:
    from slotwise.automation import services as automation
    from slotwise.automation.models import Rule

    r = ctx.mapping(node, p, RULE_KEYS, {"action"})
    name = str(r["name"].value or "") if "name" in r else ""
    values = {
        "name": name,
        "trigger": r["trigger"].value if "trigger" in r else Rule.Trigger.CREATED,
        "action": r["action"].value,
        "filters": plain(r["filters"]) if "filters" in r else [],
        "params": plain(r["params"]) if "params" in r else {},
        "undo_on_cancel": ctx.boolean(r["undo_on_cancel"], f"{p}.undo_on_cancel") if "undo_on_cancel" in r else True,
        "active": ctx.boolean(r["active"], f"{p}.active") if "active" in r else True,
    }
    rule = Rule.objects.filter(organization=org, name=name.strip()).first() if name.strip() else None
    with ctx.service(node, f"{p} ({name.strip() or 'no name'})", r, {}):
        if rule is None:
            automation.rule_create(organization=org, **values)
        else:
            automation.rule_update(rule=rule, **values)


REMINDER_KEYS = {"name", "offset", "when", "recipient", "event_type", "subject", "text", "active"}


def _reminder(ctx: Ctx, p: str, node: Node, *, org, event_type, **_) -> None:
    from slotwise.notifications import services as notifications
    from slotwise.notifications.models import Reminder

    r = ctx.mapping(node, p, REMINDER_KEYS, {"offset"})
    et = event_type(r["event_type"], f"{p}.event_type") if "event_type" in r else None
    values = {
        "offset_minutes": r["offset"].value,
        "when": r["when"].value if "when" in r else Reminder.When.BEFORE_START,
        "recipient": r["recipient"].value if "recipient" in r else Reminder.Recipient.INVITEE,
        "name": ctx.string(r["name"], f"{p}.name") if "name" in r else "Reminder",
        "subject": ctx.string(r["subject"], f"{p}.subject", max_len=300, allow_empty=True) if "subject" in r else "",
        "text": ctx.string(r["text"], f"{p}.text", max_len=20000, allow_empty=True, multiline=True)
        if "text" in r
        else "",
        "active": ctx.boolean(r["active"], f"{p}.active") if "active" in r else True,
    }
    field_keys = {"offset_minutes": "offset"}
    existing = Reminder.objects.filter(organization=org, event_type=et, name=values["name"]).first()
    with ctx.service(node, f"{p} ({values['name']})", r, field_keys):
        if existing is None:
            notifications.reminder_create(organization=org, event_type=et, **values)
        else:
            notifications.reminder_update(reminder=existing, **values)


WEBHOOK_KEYS = {"url", "events", "scope", "user", "signing_key", "signing_key_env"}


def _webhook(ctx: Ctx, p: str, node: Node, *, org, member, actor, now, **_) -> None:
    from slotwise.webhooks import services as webhooks
    from slotwise.webhooks.models import WebhookSubscription

    w = ctx.mapping(node, p, WEBHOOK_KEYS, {"url", "events"})
    key = _secret_from_env(ctx, w, p, "signing_key")
    scope = w["scope"].value if "scope" in w else "organization"
    user = member(w["user"], f"{p}.user") if "user" in w else None
    events = [n.value for n in ctx.seq(w["events"], f"{p}.events")]
    creator = user if scope == "user" and user is not None else actor(node, p)
    url = str(w["url"].value or "").strip()
    same = WebhookSubscription.objects.filter(
        organization=org, callback_url=url, state="active", scope=scope, user=user if scope == "user" else None
    ).first()
    with ctx.service(node, f"{p} ({url})", w, {}):
        if same is not None:
            if list(same.events) == sorted(set(events), key=webhooks.EVENTS.index) and key in (None, same.signing_key):
                return
            webhooks.subscription_delete(subscription=same, by=creator)
        webhooks.subscription_create(
            organization=org, creator=creator, url=url, events=events, scope=scope, user=user, signing_key=key, now=now
        )


CALENDAR_KEYS = {"host", "kind", "url", "name", "username", "password", "password_env"}


def _calendar(ctx: Ctx, p: str, node: Node, *, member, now, **_) -> None:
    from slotwise.calendars import services as calendars
    from slotwise.calendars.models import CalendarConnection

    c = ctx.mapping(node, p, CALENDAR_KEYS, {"host", "kind", "url"})
    m = member(c["host"], f"{p}.host")
    kind = ctx.choice(c["kind"], f"{p}.kind", ("ics", "caldav"))
    password = _secret_from_env(ctx, c, p, "password")
    name = ctx.string(c["name"], f"{p}.name") if "name" in c else ""
    url = str(c["url"].value or "").strip()
    if CalendarConnection.objects.filter(membership=m, kind=kind, url=url).exists():
        return  # connected already; its calendars' settings are the host's
    with ctx.service(node, f"{p} ({url})", c, {}):
        if kind == "ics":
            calendars.connection_add_ics(membership=m, url=url, name=name, now=now)
        else:
            if password is None:
                ctx.fail(node, p, "a CalDAV account needs password_env: the environment variable with its password")
            username = ctx.string(c["username"], f"{p}.username") if "username" in c else ""
            calendars.connection_add_caldav(
                membership=m, url=url, username=username, password=password or "", name=name, now=now
            )


TEMPLATE_KEYS = {"kind", "event_type", "subject", "text", "html"}


def _template(ctx: Ctx, p: str, node: Node, *, org, event_type, **_) -> None:
    from slotwise.notifications import services as notifications

    t = ctx.mapping(node, p, TEMPLATE_KEYS, {"kind"})
    et = event_type(t["event_type"], f"{p}.event_type") if "event_type" in t else None
    texts = {
        k: ctx.string(t[k], f"{p}.{k}", max_len=50000, allow_empty=True, multiline=k != "subject") if k in t else ""
        for k in ("subject", "text", "html")
    }
    with ctx.service(node, f"{p} ({t['kind'].value})", t, {}):
        notifications.template_save(organization=org, kind=t["kind"].value, event_type=et, **texts)


EXTRA_SECTIONS = {
    "rules": _rule,
    "reminders": _reminder,
    "webhooks": _webhook,
    "calendars": _calendar,
    "email_templates": _template,
}


# --- export: the same format, written back (`slotwise export ORG`; cli/orgexport.py) -------------------


def export_organization(org: Organization, *, _nested: bool = False) -> dict:
    """`org` as a load file (a dict to write as YAML); for an agency with its sub-accounts."""
    from .orgexport import export_data

    return export_data(org, nested=_nested)


def export_text(org: Organization) -> str:
    from .orgexport import export_text as text_of

    return text_of(org)
