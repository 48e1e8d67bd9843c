from slotwise.bookings.models import Booking

from .models import Meeting


def location_pending(booking: Booking) -> bool:
    """True while a provider is still creating this booking's meeting link."""
    return Meeting.objects.filter(booking=booking, status=Meeting.Status.PENDING).exists()


PENDING_TEXT = "Zoom meeting being created; the link follows by email"


def display_location(booking: Booking) -> str:
    """What the confirmation page and the API show: the link, or a word that it is on its way (a Zoom
    meeting is created just after the booking commits)."""
    if booking.location:
        return booking.location
    return PENDING_TEXT if location_pending(booking) else ""
