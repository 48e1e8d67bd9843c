"""The `slotwise` command: its verbs (Django management commands of this app) and the load/export format.

A door like the API and the pages: it calls the domain services and imports no door."""

from .main import main as main  # `from slotwise.cli import main` keeps working for console scripts made before the move
