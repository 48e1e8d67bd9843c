"""Secrets at rest (CalDAV passwords, calendar and Calendly OAuth tokens, personal access tokens, webhook
signing keys) are Fernet-encrypted with a key derived from SLOTWISE_CALENDAR_KEY, or from SECRET_KEY when
that is not set. Decrypted values never enter logs, last_error or import reports: adapters raise errors
that carry the status and URL only.

Moved here from calendars/crypto.py so that imports/ can seal too; the key derivation (and its
"slotwise.calendars:" prefix) is unchanged, so secrets stored before the move still open."""

import base64
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    secret = getattr(settings, "SLOTWISE_CALENDAR_KEY", "") or settings.SECRET_KEY
    key = hashlib.sha256(("slotwise.calendars:" + secret).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: dict) -> str:
    return _fernet().encrypt(json.dumps(value).encode()).decode()


def unseal(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken:
        # The key changed: the host must enter the password again (shown as a sync error, not a 500).
        return {}
