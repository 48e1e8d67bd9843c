from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "slotwise.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from slotwise.core.events import EMAIL, subscribe

        from . import services, team

        subscribe("booking.created", services.on_booking_created, order=EMAIL)
        subscribe("booking.requested", services.on_booking_requested, order=EMAIL)
        subscribe("booking.rescheduled", services.on_booking_rescheduled, order=EMAIL)
        subscribe("booking.canceled", services.on_booking_canceled, order=EMAIL)
        subscribe("invitee.canceled", services.on_invitee_canceled, order=EMAIL)
        subscribe("booking.tzdata_moved", services.on_tzdata_moved, order=EMAIL)
        subscribe("invitation.sent", team.on_invitation_sent, order=EMAIL)
        subscribe("pool_request.created", team.on_pool_request_created, order=EMAIL)
        subscribe("pool_request.decided", team.on_pool_request_decided, order=EMAIL)
