from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "slotwise.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import metrics
        from .events import METRICS, subscribe

        # Counted from the domain events, so the booking service knows nothing of metrics.
        subscribe("booking.created", metrics.on_booking_created, order=METRICS)
        subscribe("booking.refused", metrics.on_booking_refused, order=METRICS)
