"""Importing bookings from an external scheduler (Calendly first) into appointments and contacts.

Seed 001: each user of a sub-account connects their own Calendly account, picks calendars (the event types
they host or pool into), consents, and from then on every new Calendly booking on those calendars becomes an
appointment (a Booking with source "import") with a contact. One way: nothing is written back."""
