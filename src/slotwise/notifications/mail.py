"""One SMTP session per worker thread, kept open across jobs: connecting and EHLO/STARTTLS/AUTH cost more
than sending a small message. A session the server has dropped is reopened once, then the error stands
(and the job is retried)."""

import contextlib
import smtplib
import threading

from django.core.mail import get_connection
from django.core.signals import setting_changed

from slotwise.core import metrics

_local = threading.local()


def _on_setting_changed(*, setting, **_):
    # Tests point EMAIL_* at a fresh server; a session to the old one must not be reused.
    if setting.startswith("EMAIL_"):
        close()


def _connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = get_connection(fail_silently=False)
        conn.open()
        _local.conn = conn
    return conn


def close() -> None:
    conn = getattr(_local, "conn", None)
    _local.conn = None
    if conn is not None:
        with contextlib.suppress(Exception):  # closing a dead session must not fail anything
            conn.close()


def send_message(msg) -> None:
    try:
        _send(msg)
    except Exception:
        metrics.EMAIL_FAILURES.inc()
        raise


def _send(msg) -> None:
    for attempt in (1, 2):
        try:
            msg.connection = _connection()
            sent = msg.send(fail_silently=False)
            if sent != 1:
                raise smtplib.SMTPException("the SMTP server did not accept the message")
            return
        except (smtplib.SMTPServerDisconnected, OSError):
            close()
            if attempt == 2:
                raise


setting_changed.connect(_on_setting_changed)
