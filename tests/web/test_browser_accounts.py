"""The account switcher in a real browser: an agency admin switches into a sub-account, on a laptop and on
a phone; a form of a page shown for one account acts there even after another tab switched. Screenshots
of the switcher go to test-artifacts/."""

import pytest

from slotwise.accounts.models import Membership
from slotwise.scheduling.models import EventTypeStar
from tests import factories

from .conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def w(now, frozen):
    return factories.agency_world(now)


def login(page, base, email):
    page.goto(f"{base}/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "correct horse battery")
    page.click("#login")
    page.wait_for_url(f"{base}/dashboard/")


def test_the_account_switcher_on_a_laptop_and_a_phone(live_server, open_page, w):
    for name, (width, height) in {"1280x800": (1280, 800), "390x844": (390, 844)}.items():
        page = open_page("Europe/London", width=width, height=height)
        login(page, live_server.url, "adam@northwind.test")
        switcher = page.locator("#account-choice")
        assert switcher.is_visible()
        groups = page.eval_on_selector_all(
            "#account-choice optgroup",
            "gs => gs.map(g => [g.label, Array.from(g.querySelectorAll('option')).map(o => o.textContent)])",
        )
        assert groups == [
            ["Northwind Agency (agency)", ["Northwind Agency · agency", "Bright Smile Dental", "Rosa's Bakery"]]
        ]
        assert page.is_visible("text=Agency intro") and not page.is_visible("text=Cake tasting")
        shot(page, f"account-switcher-agency-{name}")
        switcher.select_option("bakery")  # data-autosubmit: choosing is switching
        page.wait_for_selector("text=You are now working in Rosa's Bakery.")
        assert page.locator("#account-choice").input_value() == "bakery"
        assert page.is_visible("text=Cake tasting") and not page.is_visible("text=Agency intro")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"account-switcher-sub-account-{name}")
        switcher = page.locator("#account-choice")
        switcher.select_option("northwind")
        page.wait_for_selector("text=You are now working in Northwind Agency.")
        page.click(".accountbar >> text=Sub-accounts")
        page.wait_for_selector("#sub-accounts")
        assert page.locator("#sub-accounts tbody tr").count() == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"agency-overview-{name}")
    assert Membership.objects.get(user=w.adam.user, organization=w.bakery).via_agency


def test_a_page_shown_for_one_account_acts_there_after_another_tab_switched(live_server, open_page, w):
    first = open_page("Europe/London")
    login(first, live_server.url, "alice@northwind.test")
    first.locator("#account-choice").select_option("bakery")
    first.wait_for_selector("text=Cake tasting")
    # Another tab of the same session switches back to the agency.
    second = first.context.new_page()
    second.goto(f"{live_server.url}/dashboard/")
    second.locator("#account-choice").select_option("northwind")
    second.wait_for_selector("text=You are now working in Northwind Agency.")
    # The first tab still shows the bakery; starring there stars the bakery's event type, as the bakery.
    first.click("[data-event-type='cake'] button.star")
    first.wait_for_selector("[data-event-type='cake'] button.star.on")
    star = EventTypeStar.objects.get()
    assert (star.event_type, star.membership.organization) == (w.bakery_et, w.bakery)
    assert first.locator("#account-choice").input_value() == "bakery"
