from slotwise.bookings.models import Booking

from .models import Meeting


def location_pending(booking: Booking) -> bool:
    """True while a provider is still creating this booking's meeting link."""
    return Meeting.objects.filter(booking=booking, status=Meeting.Status.PENDING).exists()


def meeting_for(booking: Booking) -> Meeting | None:
    return Meeting.objects.filter(booking=booking).first()
