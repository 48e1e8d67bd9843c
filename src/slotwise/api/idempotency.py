"""Idempotency keys: the same key and the same request replay the first outcome; the same key with another
request is refused (422); a retry that arrives while the first is still running gets 409."""

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from slotwise.core.errors import Conflict, IdempotencyMismatch

MAX_KEY = 200


def request_hash(payload) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Claim:
    record: object
    replay: tuple[int, object] | None  # (status, body) of the first outcome, when this is a retry


def claim(*, scope: str, key: str, payload) -> Claim:
    """Reserve `key` for this request in its own committed transaction, or return the first outcome."""
    from slotwise.bookings.models import IdempotencyRecord

    if len(key) > MAX_KEY or not key.strip():
        from slotwise.core.errors import InvalidInput

        raise InvalidInput(f"Idempotency-Key must be 1 to {MAX_KEY} characters", field="Idempotency-Key")
    digest = request_hash(payload)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, request_hash=digest)
        return Claim(record=record, replay=None)
    except IntegrityError:
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
    if record.request_hash != digest:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request; use a new key for a new request",
            field="Idempotency-Key",
        )
    if record.status_code is None:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    return Claim(record=record, replay=(record.status_code, record.response))


def settle(claim_: Claim, *, status: int, body) -> None:
    """Store the outcome. Server-side failures release the key so that a retry can run again."""
    record = claim_.record
    if status >= 500:
        record.delete()
        return
    record.status_code = status
    record.response = body
    record.save(update_fields=["status_code", "response"])


def release(claim_: Claim) -> None:
    claim_.record.delete()
