"""The domain event bus: subscribers run in the stage order they name, and can be removed."""

from slotwise.core import events
from slotwise.core.events import publish, subscribe, subscribed, subscribers, unsubscribe


def test_subscribers_run_by_stage_whatever_order_they_subscribed_in():
    ran = []

    def rules(**_):
        ran.append("rules")

    def email(**_):
        ran.append("email")

    def link(**_):
        ran.append("link")

    subscribe("test.staged", rules, order=events.RULES)
    subscribe("test.staged", email, order=events.EMAIL)
    subscribe("test.staged", link, order=events.MEETING_LINK)
    subscribe("test.staged", email, order=events.EMAIL)  # twice is once
    try:
        publish("test.staged")
        assert ran == ["link", "email", "rules"]
    finally:
        for fn in (rules, email, link):
            unsubscribe("test.staged", fn)
    assert subscribers("test.staged") == []


def test_subscribed_listens_only_inside_the_block():
    seen = []
    with subscribed("test.block", lambda event, **kw: seen.append((event, kw))):
        publish("test.block", n=1)
    publish("test.block", n=2)
    assert seen == [("test.block", {"n": 1})]


def test_the_apps_follow_a_booking_in_the_stages_they_name_not_in_installed_apps_order():
    # The meeting link first (emails, webhooks and calendar copies carry it), then emails, webhooks,
    # calendar copies, and rules last.
    assert [fn.__module__ for fn in subscribers("booking.created")] == [
        "slotwise.conferencing.services",
        "slotwise.notifications.services",
        "slotwise.webhooks.subscribers",
        "slotwise.calendars.writeback",
        "slotwise.automation.services",
        "slotwise.core.metrics",
    ]
    assert [fn.__module__ for fn in subscribers("invitee.no_show_cleared")] == ["slotwise.webhooks.subscribers"]
