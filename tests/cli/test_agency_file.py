"""`slotwise load` describes an agency and its sub-accounts; `slotwise export` writes the same file back."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import yaml
from django.core.management import call_command

from slotwise.accounts.models import Membership, Organization, Team
from slotwise.cli.orgfile import LoadError, export_organization, export_text, load_text
from slotwise.scheduling.models import EventType

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)

AGENCY = """\
organization: {slug: northwind, name: Northwind Agency, timezone: Europe/London, agency: true}
hosts:
  - {email: alice@northwind.test, name: Alice, role: owner, timezone: Europe/London}
  - {email: molly@northwind.test, timezone: Europe/London}
event_types:
  - {slug: intro, host: alice@northwind.test, name: Agency intro}
sub_accounts:
  - organization: {slug: bakery, name: "Rosa's Bakery", timezone: Europe/Berlin}
    hosts:
      - email: rosa@bakery.test
        name: Rosa
        role: owner
        timezone: Europe/Berlin
        weekly: {tue: ["08:00-12:00"], sat: ["09:00-13:00"]}
        overrides: {2026-12-24: []}
        busy: [["2026-03-03T10:00:00Z", "2026-03-03T11:00:00Z"]]
      - {email: alice@northwind.test, name: Alice, slug: alice, role: owner, timezone: Europe/London, from_agency: true}
      - {email: ben@bakery.test, name: Ben, timezone: Europe/Berlin}
    teams:
      - {slug: counter, name: Counter, members: [rosa@bakery.test, ben@bakery.test]}
    event_types:
      - {slug: tasting, host: rosa@bakery.test, name: Cake tasting, duration: 45, increment: 15,
         location: {kind: in_person, value: "Bergstrasse 12"}, window: {rolling_days: 90}}
      - {slug: pickup, team: counter, name: Order pickup, kind: round_robin, window: unlimited,
         pool: [{host: rosa@bakery.test, priority: 3}, ben@bakery.test]}
  - organization: {slug: dental, name: Bright Smile Dental, timezone: America/New_York}
    hosts:
      - {email: dora@dental.test, name: Dora, role: owner, timezone: America/New_York}
      - {email: ben@bakery.test, name: Ben, role: admin, timezone: Europe/Berlin}
    event_types:
      - {slug: check-up, host: dora@dental.test, name: Check-up, window: {from: 2026-03-01, to: 2026-06-30}}
"""


def load(text):
    return load_text(text, source="agency.yaml", now=NOW)


def test_an_agency_file_makes_the_agency_and_each_sub_account_a_tenant_of_its_own():
    result = load(AGENCY)
    assert [r["organization"] for r in [result, *result["sub_accounts"]]] == ["northwind", "bakery", "dental"]
    agency = Organization.objects.get(slug="northwind")
    assert agency.is_agency and agency.parent is None
    assert sorted(agency.sub_accounts.values_list("slug", flat=True)) == ["bakery", "dental"]
    assert set(EventType.objects.filter(organization__slug="bakery").values_list("name", flat=True)) == {
        "Cake tasting",
        "Order pickup",
    }
    assert Team.objects.get(slug="counter").organization.slug == "bakery"
    # Ben is a member of two sub-accounts, with a role in each; Alice entered the bakery from the agency.
    assert dict(Membership.objects.filter(user__email="ben@bakery.test").values_list("organization__slug", "role")) == {
        "bakery": "member",
        "dental": "admin",
    }
    alice = Membership.objects.get(user__email="alice@northwind.test", organization__slug="bakery")
    assert (alice.role, alice.via_agency) == ("owner", True)


def test_loading_the_same_agency_file_twice_changes_nothing():
    load(AGENCY)
    first = export_organization(Organization.objects.get(slug="northwind"))
    load(AGENCY)
    assert export_organization(Organization.objects.get(slug="northwind")) == first
    assert Organization.objects.count() == 3


def test_export_then_load_gives_the_same_agency_back():
    load(AGENCY)
    written = export_text(Organization.objects.get(slug="northwind"))
    exported = yaml.safe_load(written)
    assert exported["organization"] == {
        "slug": "northwind",
        "name": "Northwind Agency",
        "timezone": "Europe/London",
        "agency": True,
    }
    assert [s["organization"]["slug"] for s in exported["sub_accounts"]] == ["bakery", "dental"]
    rosa = exported["sub_accounts"][0]["hosts"][0]
    assert (rosa["weekly"], rosa["overrides"], rosa["busy"]) == (
        {"tue": ["08:00-12:00"], "sat": ["09:00-13:00"]},
        {"2026-12-24": []},
        [{"start": "2026-03-03T10:00:00Z", "end": "2026-03-03T11:00:00Z"}],
    )
    # Wipe it all, load what export wrote, export again: the same file.
    EventType.objects.all().delete()
    Organization.objects.filter(parent__isnull=False).delete()
    Organization.objects.all().delete()
    load(written)
    assert export_text(Organization.objects.get(slug="northwind")) == written


def test_export_of_a_sub_account_names_its_agency():
    load(AGENCY)
    out = StringIO()
    call_command("export", "dental", stdout=out)
    assert yaml.safe_load(out.getvalue())["organization"]["sub_account_of"] == "northwind"


def test_a_sub_account_file_of_its_own_joins_an_existing_agency():
    load(AGENCY)
    load("organization: {slug: florist, name: Corner Florist, sub_account_of: northwind}\n")
    assert Organization.objects.get(slug="florist").parent.slug == "northwind"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "organization: {slug: solo}\nsub_accounts:\n  - organization: {slug: client}\n",
            "agency.yaml: line 3: sub_accounts: solo is not an agency; add agency: true under organization",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: client, agency: true}\n",
            "agency.yaml: line 3: sub_accounts[0].organization.agency: a sub-account cannot be an agency itself: agencies "
            "have one level of sub-accounts",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: client}\n"
            "    sub_accounts:\n      - organization: {slug: deeper}\n",
            "agency.yaml: line 5: sub_accounts[0].sub_accounts: a sub-account has no sub-accounts of its own",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: ag}\n",
            "agency.yaml: line 3: sub_accounts[0].organization.slug: 'ag' is the agency itself",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: c}\n  - organization: {slug: c}\n",
            "agency.yaml: line 4: sub_accounts[1].organization.slug: 'c' is listed twice (also sub_accounts[0])",
        ),
        (
            "organization: {slug: loop, sub_account_of: loop}\n",
            "agency.yaml: line 1: organization.sub_account_of: loop cannot be a sub-account of itself",
        ),
        (
            "organization: {slug: orphan, sub_account_of: nowhere}\n",
            "agency.yaml: line 1: organization.sub_account_of: there is no agency 'nowhere'; load the agency's file first",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: c}\n    hosts:\n"
            "      - {email: stranger@x.test, timezone: UTC, from_agency: true}\n",
            "agency.yaml: line 5: sub_accounts[0].hosts[0].from_agency: stranger@x.test is not an owner or admin of ag",
        ),
        (
            "organization: {slug: ag, agency: true}\nsub_accounts:\n  - organization: {slug: c}\n    hosts:\n"
            "      - {email: rosa@c.test, timezone: Mars/Base}\n",
            "agency.yaml: line 5: sub_accounts[0].hosts[0].timezone: unknown time zone 'Mars/Base'",
        ),
    ],
)
def test_bad_agency_files_say_where_and_write_nothing(text, message):
    with pytest.raises(LoadError) as err:
        load(text)
    assert err.value.message.startswith(message), err.value.message
    assert not Organization.objects.exists()


def test_an_organization_cannot_name_itself_or_a_sub_account_as_its_agency():
    load(AGENCY)
    with pytest.raises(LoadError, match="organization.sub_account_of: bakery is not an agency"):
        load("organization: {slug: florist, sub_account_of: bakery}\n")
    with pytest.raises(LoadError, match="northwind cannot be a sub-account of itself"):
        load("organization: {slug: northwind, sub_account_of: northwind}\n")
    with pytest.raises(
        LoadError, match=r"northwind has sub-accounts \(bakery, dental\); it cannot stop being an agency"
    ):
        load("organization: {slug: northwind, agency: false}\n")
    assert not Organization.objects.filter(slug="florist").exists()


def test_a_file_cannot_move_a_sub_account_to_another_agency():
    load(AGENCY)
    load("organization: {slug: rival, agency: true}\n")
    with pytest.raises(
        LoadError, match="bakery is a sub-account of northwind already; one file cannot move it to rival"
    ):
        load("organization: {slug: rival, agency: true}\nsub_accounts:\n  - organization: {slug: bakery}\n")
    assert Organization.objects.get(slug="bakery").parent.slug == "northwind"
