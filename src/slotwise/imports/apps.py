from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "slotwise.imports"
    label = "imports"
    verbose_name = "Imports from other schedulers"

    def ready(self):
        from slotwise.core.events import CALENDAR, subscribe

        from . import sync  # registers the poll job's handler

        subscribe("worker.started", lambda *, event, now, **_: sync.poll_all(now=now), order=CALENDAR)
