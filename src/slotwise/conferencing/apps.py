from django.apps import AppConfig


class ConferencingConfig(AppConfig):
    name = "slotwise.conferencing"
    label = "conferencing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import subscribe

        from . import services

        subscribe("booking.created", services.on_booking_created)
        subscribe("booking.canceled", services.on_booking_canceled)
