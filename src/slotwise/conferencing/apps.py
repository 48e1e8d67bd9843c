from django.apps import AppConfig


class ConferencingConfig(AppConfig):
    name = "slotwise.conferencing"
    label = "conferencing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import MEETING_LINK, subscribe

        from . import services

        subscribe("booking.created", services.on_booking_created, order=MEETING_LINK)
        subscribe("booking.canceled", services.on_booking_canceled, order=MEETING_LINK)
