from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "slotwise.calendars"
    label = "calendars"
    default_auto_field = "django.db.models.BigAutoField"
