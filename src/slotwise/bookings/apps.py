from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "slotwise.bookings"
    label = "bookings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import BOOKKEEPING, subscribe

        from . import tzdata  # registers the tzdata review job

        subscribe("worker.started", lambda *, event, now, **_: tzdata.startup(now=now), order=BOOKKEEPING)
