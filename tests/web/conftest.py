import pytest

from slotwise.web import dashboard, public, ratelimit


@pytest.fixture(autouse=True)
def _web_settings(settings):
    settings.SLOTWISE_WEB_RATE_LIMIT = 0  # tests/web/test_ratelimit.py turns it on


@pytest.fixture
def frozen(monkeypatch, now):
    """The pages' clock, fixed at `now` (Monday 2026-03-02 08:00 UTC), live server included."""
    for module in (public, dashboard, ratelimit):
        monkeypatch.setattr(module, "utc_now", lambda: now)
    return now


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP, PHONE = (1280, 800), (390, 844)
ARTIFACTS = __import__("pathlib").Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def playwright():
    """One Playwright per test process: a second sync_playwright() while one runs fails ("Sync API inside
    the asyncio loop"), so every browser fixture starts from this one."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def open_page(browser):
    """open_page(zone, width=1200) -> a new page in a browser context whose clock zone is `zone`."""
    contexts = []

    def make(zone="UTC", *, width=1200, height=900):
        ctx = browser.new_context(timezone_id=zone, viewport={"width": width, "height": height}, locale="en-US")
        ctx.set_default_timeout(30000)  # the test machine is shared and often loaded
        contexts.append(ctx)
        return ctx.new_page()

    yield make
    for ctx in contexts:
        ctx.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def both_sizes(page, name):
    """Screenshots `name`-desktop (1280x800) and `name`-phone (390x844), then back to the desktop size."""
    for label, (w, h) in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size({"width": w, "height": h})
        shot(page, f"{name}-{label}")
    page.set_viewport_size({"width": DESKTOP[0], "height": DESKTOP[1]})


def book_first_time(page, day, name: str, email: str):
    """On a booking page: pick `day`, its first time, and book it as `name` <`email`>."""
    page.click(f"a.day[data-date='{day.isoformat()}']")
    page.wait_for_selector("#times a.slot")
    page.click("#times a.slot >> nth=0")
    page.wait_for_selector("#booking-form")
    page.fill("#name", name)
    page.fill("#email", email)
    page.click("#submit")
    page.wait_for_selector("#when")


def visit(browser, live_server, size, zone="Europe/Berlin", *, login=None):
    """(context, page) at `size` in `zone`, signed in as `login` (a membership) when given. CSP is bypassed
    so that axe can be injected; the pages' own scripts still load from 'self'."""
    from django.test import Client

    ctx = browser.new_context(
        timezone_id=zone, viewport={"width": size[0], "height": size[1]}, locale="en-US", bypass_csp=True
    )
    ctx.set_default_timeout(30000)
    if login is not None:
        client = Client()
        client.force_login(login.user)
        ctx.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return ctx, ctx.new_page()
