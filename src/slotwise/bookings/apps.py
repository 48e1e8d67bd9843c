from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "slotwise.bookings"
    label = "bookings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import tzdata  # noqa: F401 - registers the tzdata review job
