"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts, for tests and the bench."""

import email
import socket
import threading
import time
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    def __init__(self, *, delay: float = 0.0):
        self.received: list[tuple[float, list[str], bytes]] = []  # (accepted at, recipients, raw message)
        self.delay = delay
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self._lock:
            self.received.append((time.time(), list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        with self._lock:
            return [email.message_from_bytes(raw, policy=policy.default) for _, _, raw in self.received]

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def wait_for(self, n: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < n and time.monotonic() < deadline:
            time.sleep(0.01)


class SmtpServer:
    def __init__(self, *, delay: float = 0.0):
        self.inbox = Inbox(delay=delay)
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def calendar_part(msg):
    """The text/calendar alternative of an invitation email, or None."""
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None
