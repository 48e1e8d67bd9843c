"""The base of the everyday `slotwise` verbs (book, link, contacts, token, ...)."""

from django.core.management.base import BaseCommand


class Verb(BaseCommand):
    """A verb that answers without Django's system checks. The checks import every URL module and with them
    the whole API (0.7 s of a 1.3 s `slotwise contacts list`); they find configuration mistakes, which
    `slotwise migrate` and `slotwise serve` (that migrates first) still report before anything is served."""

    requires_system_checks: list[str] = []
