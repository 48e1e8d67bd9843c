from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "slotwise.calendars"
    label = "calendars"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core import metrics
        from slotwise.core.events import CALENDAR, subscribe

        from . import health, tasks  # noqa: F401 - tasks registers the job handlers

        metrics.at_scrape(health.sync_readings)
        from .writeback import (
            check_copy_params,
            copy_targets,
            copy_to_calendar,
            on_booking_changed,
            on_booking_created,
            on_booking_rescheduled,
            uncopy_from_calendar,
        )

        subscribe("booking.created", on_booking_created, order=CALENDAR)
        subscribe("booking.canceled", on_booking_changed, order=CALENDAR)
        subscribe("invitee.canceled", on_booking_changed, order=CALENDAR)
        subscribe("booking.rescheduled", on_booking_rescheduled, order=CALENDAR)
        from slotwise.automation.registry import register_action

        register_action(
            "copy_to_calendar",
            do=copy_to_calendar,
            undo=uncopy_from_calendar,
            label="Copy it to a calendar (a cancel removes the copy, a reschedule moves it)",
            targets=copy_targets,
            check=check_copy_params,
        )
