"""Reads of what was imported, shared by the pages, the API and the CLI."""

from slotwise.bookings.models import Booking

from .models import Calendar, ImportedEvent


def deletion_votes(calendar_uri: str, organization_id: int) -> tuple[int, int]:
    """(members who chose to delete, members who connected it) for a shared calendar."""
    voters = Calendar.objects.filter(connection__organization_id=organization_id, uri=calendar_uri,
                                     consented_at__isnull=False)
    rows = list(voters.values_list("connection__membership_id", "delete_chosen_at", "selected"))
    members = {m for m, _, _ in rows}
    chose = {m for m, at, selected in rows if at is not None and not selected}
    return len(chose), len(members)


def deletion_notice(booking: Booking) -> str:
    """For a shared calendar's imported appointment some members chose to delete: "2 of 3 connected members
    chose to delete"; "" otherwise."""
    ie = ImportedEvent.objects.filter(booking=booking, shared=True).first()
    if ie is None:
        return ""
    chose, of = deletion_votes(ie.calendar_uri, ie.organization_id)
    return f"{chose} of {of} connected members chose to delete" if chose else ""
