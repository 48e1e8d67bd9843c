from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "slotwise.automation"
    label = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import RULES, subscribe

        from . import actions, services

        actions.register_builtin()
        subscribe("booking.created", services.on_booking_created, order=RULES)
        subscribe("booking.canceled", services.on_booking_canceled, order=RULES)
        subscribe("booking.rescheduled", services.on_booking_rescheduled, order=RULES)
