"""`calendly` and `agency` (the connection layer's stub and sub-account), and `fake` and `world`: a sub-account with three members and the Calendly account they connect (the fake), for the
seed-001 and bad-input tests.

Calendly side: Ana's personal "Intro" (solo), the round-robin "Support" pooled over Ana, Bo and Cy, the collective
"Pairing" of Ana and Bo, and Cy's personal "Cy's hour" (Ana is not part of it). Slotwise side: the sub-account
"Sub A" with Ana, Bo and Cy as members under the same emails. The fake's clock and the test's `now` move
together (`world.tick(minutes=...)`)."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest

from slotwise.imports import services
from slotwise.imports.models import Calendar, Connection
from tests import factories
from tests.imports.calendly_fake import FakeCalendly

from .calendly_stub import CalendlyStub, serve


@pytest.fixture
def calendly(settings):
    """A Calendly stand-in on 127.0.0.1, with one paid organization; its OAuth app is ours."""
    stub = CalendlyStub()
    server = serve(stub)
    stub.organization_uri = stub.org(plan="teams", stage="paid")
    settings.SLOTWISE_CALENDLY_CLIENT_ID = stub.client_id
    settings.SLOTWISE_CALENDLY_CLIENT_SECRET = stub.client_secret
    yield stub
    server.shutdown()
    server.server_close()


@pytest.fixture
def agency(db):
    """A sub-account with two members, Ana (admin) and Ben."""
    org = factories.org("northwind", name="Northwind")
    ana = factories.host(org, "ana", tz="Europe/Berlin", email="ana@northwind.test", role="admin")
    ben = factories.host(org, "ben", tz="Europe/Berlin", email="ben@northwind.test")
    return {"org": org, "ana": ana, "ben": ben}


def fake_sync(monkeypatch, **functions) -> None:
    """Put `functions` in place of those of imports.sync (delete_synced, handle_webhook), for tests of the
    connection layer that check what it hands over; sync's own tests cover what those do."""
    from slotwise.imports import sync

    for name, fn in functions.items():
        monkeypatch.setattr(sync, name, fn)


@pytest.fixture
def polls(monkeypatch) -> list[int]:
    """Connections the connection layer asked imports.sync.schedule_poll to poll now (recorded, and queued)."""
    from slotwise.imports import sync

    calls: list[int] = []
    real = sync.schedule_poll

    def record(connection, *, due_at):
        calls.append(connection.pk)
        real(connection, due_at=due_at)

    monkeypatch.setattr(sync, "schedule_poll", record)
    return calls


@pytest.fixture
def ana_calendly(calendly):
    """Ana's Calendly account (an admin of its organization) with a personal "Intro call" and a shared
    round-robin "Support"."""
    ana = calendly.user("Ana Lopez", "ana@calendly.test", org=calendly.organization_uri, role="admin")
    calendly.event_type("Intro call", owner=ana)
    calendly.event_type("Support", owner=ana, pooling_type="round_robin", team="Support team")
    return {"ana": ana}


ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def fake(now):
    with FakeCalendly(now=now) as f:
        yield f


class World(SimpleNamespace):
    def tick(self, **delta):
        self.fake.advance(**delta)
        return self.fake.now

    @property
    def now(self):
        return self.fake.now

    def connect(self, who: str, *, select: tuple[str, ...] = (), membership=None):
        """`who` ("ana", "bo", "cy") connects their Calendly account with a personal access token and, if
        `select` names calendars, chooses them with consent."""
        conn = services.connection_add_token(
            membership=membership or self.members[who],
            token=self.fake.personal_access_token(self.users[who]["uri"]),
            api_base=self.fake.api_base,
            now=self.now,
        )
        services.calendars_refresh(connection=conn, now=self.now)
        if select:
            self.select(conn, *select)
        return conn

    def select(self, conn, *names: str):
        """Choose `names` (added to what is chosen already), with consent."""
        chosen = list(Calendar.objects.filter(connection=conn, selected=True).values_list("uri", flat=True))
        services.calendars_select(
            connection=conn, uris=chosen + [self.types[n]["uri"] for n in names], consent=True, now=self.now
        )

    def book(self, name: str, *, start=None, guests=None, host: str | None = None, **kw):
        """A booking made on Calendly now; by default tomorrow 10:00 plus an hour per booking so far."""
        start = start or self.now.replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(
            days=1, hours=len(self.fake.store.events)
        )
        guests = guests or [
            {"name": "Gil Ortega", "email": "gil@example.com", "first_name": "Gil", "last_name": "Ortega"}
        ]
        event, invitees = self.fake.book(
            event_type=self.types[name]["uri"],
            start=start,
            invitees=guests,
            host=self.users[host]["uri"] if host else None,
            **kw,
        )
        return event, invitees

    def poll(self, conn, **kw):
        from slotwise.imports import sync

        conn.refresh_from_db()
        return sync.sync_connection(connection=conn, now=self.now, **kw)

    def deliver(self):
        """Hand every queued webhook to the connection its URL names, as the receiving view does after it
        checked the signature (that view has tests of its own: test_bad_input.py and the two-server test)."""
        from slotwise.imports import sync

        sent, self.fake.outbox = self.fake.outbox, []
        for d in sent:
            token = d.url.rstrip("/").rsplit("/", 1)[-1]
            conn = Connection.objects.get(hook_token=token)
            sync.handle_webhook(connection=conn, payload=json.loads(d.body), now=self.now)
        return sent


@pytest.fixture
def world(db, fake, settings):
    settings.BASE_URL = "http://127.0.0.1:8000"
    org = factories.org("sub-a", name="Sub A")
    members = {n: factories.host(org, n, email=f"{n}@agency.test", weekly=ALL_DAY) for n in ("ana", "bo", "cy")}
    corg = fake.add_organization(plan="teams", stage="paid")
    names = {"ana": "Ana Ruiz", "bo": "Bo Lind", "cy": "Cy Moss"}
    users = {
        n: fake.add_user(
            name=names[n], email=f"{n}@agency.test", organization=corg, role="owner" if n == "ana" else "user"
        )
        for n in names
    }
    uris = {n: u["uri"] for n, u in users.items()}
    event_types = {
        "Intro": fake.add_event_type(
            name="Intro",
            owner=uris["ana"],
            custom_questions=[
                {
                    "name": "Phone",
                    "type": "phone_number",
                    "position": 0,
                    "enabled": True,
                    "required": False,
                    "answer_choices": [],
                    "include_other": False,
                }
            ],
        ),
        "Support": fake.add_event_type(
            name="Support", owner=uris["ana"], pooling_type="round_robin", hosts=[uris["ana"], uris["bo"], uris["cy"]]
        ),
        "Pairing": fake.add_event_type(
            name="Pairing", owner=uris["ana"], pooling_type="collective", hosts=[uris["ana"], uris["bo"]]
        ),
        "Cy's hour": fake.add_event_type(name="Cy's hour", owner=uris["cy"]),
    }
    return World(fake=fake, org=org, members=members, corg=corg, users=users, types=event_types)
