"""Login lockout with backoff, per account and per client address.

Every failed sign-in counts under two keys: the account (the email typed, whether or not it exists) and the
client address (slotwise.core.clientaddr, which honours SLOTWISE_TRUST_FORWARDED_FOR). A key that reaches
its limit (SLOTWISE_LOGIN_ACCOUNT_LIMIT, default 5; SLOTWISE_LOGIN_ADDRESS_LIMIT, default 20, so one
address cannot try a few passwords on many accounts) is locked for SLOTWISE_LOGIN_LOCKOUT_SECONDS (60), and
each further failure after a lock lifts doubles the lock, up to a day. Attempts while locked are refused
without looking at the password and are not counted, so the real person who tries again during a lock does
not make it longer. Failures are forgotten a day after the last one; a successful sign-in clears the
account's count (not the address's: signing in to one's own account must not buy more guesses on others).

Why not django-axes: its one AXES_COOLOFF_TIME is both how long a lock lasts and how long failures are
remembered, and it deletes attempts older than that at the next failure, so the count starts again after
every lock and there is no backoff unless failures during a lock are counted (which locks out the person).

Doors: the Django login (/login/ and /admin/ both go through django.contrib.auth.authenticate) via
LockoutBackend (the one AUTHENTICATION_BACKENDS entry) and the auth signals below; the OAuth token endpoint calls `locked`/`record_*` itself.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied
from django.db import transaction

from slotwise.core.clientaddr import client_address
from slotwise.core.clock import utc_now

from .models import LoginThrottle, User

MAX_LOCK = timedelta(days=1)
FORGET_AFTER = timedelta(days=1)


def _limits() -> dict[str, int]:
    return {
        "account": int(getattr(settings, "SLOTWISE_LOGIN_ACCOUNT_LIMIT", 5)),
        "address": int(getattr(settings, "SLOTWISE_LOGIN_ADDRESS_LIMIT", 20)),
    }


def lock_length(failures_over_limit: int) -> timedelta:
    """The lock after the limit is reached (0 failures over it), doubling with each failure after that."""
    first = int(getattr(settings, "SLOTWISE_LOGIN_LOCKOUT_SECONDS", 60))
    return min(timedelta(seconds=first * 2 ** min(failures_over_limit, 32)), MAX_LOCK)


def in_words(delta: timedelta) -> str:
    seconds = max(1, math.ceil(delta.total_seconds()))
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} hour{'s' if hours != 1 else ''}"
    return text + (f" {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "")


@dataclass(frozen=True)
class Lock:
    kind: str  # "account" or "address"
    until: datetime

    def retry_after(self, now: datetime) -> int:
        return max(1, math.ceil((self.until - now).total_seconds()))

    def message(self, now: datetime) -> str:
        whom = "this account" if self.kind == "account" else "your network address"
        return (
            f"Too many failed sign-ins for {whom}. Try again in {in_words(self.until - now)} "
            f"(after {self.until:%H:%M} UTC on {self.until:%-d %B %Y})."
        )


def _keys(account: str, address: str) -> dict[str, str]:
    keys = {"address": f"address:{address}"[:300]}
    account = (account or "").strip().lower()
    if account:
        keys["account"] = f"account:{account}"[:300]
    return keys


def locked(*, account: str, address: str, now: datetime) -> Lock | None:
    """The lock in force for this account or address at `now` (the one that lasts longer), or None."""
    keys = _keys(account, address)
    kinds = {v: k for k, v in keys.items()}
    rows = LoginThrottle.objects.filter(key__in=keys.values(), locked_until__gt=now).order_by("-locked_until")
    row = rows.first()
    return Lock(kind=kinds[row.key], until=row.locked_until) if row else None


def record_failure(*, account: str, address: str, now: datetime) -> Lock | None:
    """Count one failed sign-in; returns the lock it started, if any."""
    keys = _keys(account, address)
    limits = _limits()
    with transaction.atomic():
        LoginThrottle.objects.bulk_create(
            [LoginThrottle(key=k, failures=0, last_failure_at=now) for k in keys.values()], ignore_conflicts=True
        )
        for kind, key in keys.items():
            row = LoginThrottle.objects.select_for_update().get(key=key)
            if row.locked_until and row.locked_until > now:
                continue  # counted only when the attempt was let through (a race with another request)
            if row.last_failure_at < now - FORGET_AFTER:
                row.failures = 0
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= limits[kind]:
                row.locked_until = now + lock_length(row.failures - limits[kind])
            row.save(update_fields=["failures", "last_failure_at", "locked_until"])
    return locked(account=account, address=address, now=now)


def record_success(*, account: str, now: datetime) -> None:
    keys = _keys(account, "")
    LoginThrottle.objects.filter(key=keys.get("account", "")).delete()
    if now.minute == 0:  # sweep keys nobody has failed on for a day, now and then, instead of a cron
        LoginThrottle.objects.filter(last_failure_at__lt=now - FORGET_AFTER - MAX_LOCK).delete()


class LockoutBackend(ModelBackend):
    """Django's ModelBackend that, while the account or the address is locked, refuses before the password
    is checked. (One backend rather than a check in front of ModelBackend: force_login and sessions keep
    the first backend's path, and it must be one that can load users.)"""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None:
            now = utc_now()
            lock = locked(
                account=username or kwargs.get(User.USERNAME_FIELD, ""), address=client_address(request), now=now
            )
            if lock is not None:
                request.slotwise_login_lock = lock
                request.slotwise_login_now = now
                raise PermissionDenied(lock.message(now))
        return super().authenticate(request, username=username, password=password, **kwargs)


def _on_failure(sender, credentials, request=None, **kwargs):
    if request is None or getattr(request, "slotwise_login_lock", None) is not None:
        return  # no request (a CLI check), or refused by the lock: not a guess at the password
    now = utc_now()
    lock = record_failure(account=credentials.get("username", ""), address=client_address(request), now=now)
    if lock is not None:
        request.slotwise_login_lock = lock
        request.slotwise_login_now = now


def _on_success(sender, request, user, **kwargs):
    record_success(account=user.get_username(), now=utc_now())


def connect_signals() -> None:
    user_login_failed.connect(_on_failure, dispatch_uid="slotwise-lockout-failed")
    user_logged_in.connect(_on_success, dispatch_uid="slotwise-lockout-success")
