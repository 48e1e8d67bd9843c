"""One error hierarchy for every door (pages, API, CLI). Each error maps to one HTTP status, in one place.

Messages say what to fix. `field` names the input at fault, so forms can show the error beside it and the
API can fill `details[].parameter`.
"""


class SlotwiseError(Exception):
    status = 400
    title = "Invalid Argument"

    def __init__(self, message: str, *, field: str | None = None, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details or ([{"parameter": field, "message": message}] if field else [])


class InvalidInput(SlotwiseError):
    status = 400
    title = "Invalid Argument"


class Unauthenticated(SlotwiseError):
    status = 401
    title = "Unauthenticated"


class PermissionDenied(SlotwiseError):
    status = 403
    title = "Permission Denied"


class ChangeClosed(PermissionDenied):
    """An invitee may no longer cancel or reschedule: inside the event's cut-off, or the meeting has begun."""

    title = "Change Closed"


class NotFound(SlotwiseError):
    status = 404
    title = "Resource Not Found"


class Conflict(SlotwiseError):
    status = 409
    title = "Conflict"


class SlotUnavailable(Conflict):
    """The start is not (or no longer) offered: taken by a concurrent booking, or never on offer. `reason` is a
    short code for counting refusals: the engine's first reason (busy, notice ...) or taken (a lost race)."""

    title = "Slot Unavailable"

    def __init__(self, message: str, *, field: str | None = None, details: list[dict] | None = None, reason: str = ""):
        super().__init__(message, field=field, details=details)
        self.reason = reason


class LinkUsed(Conflict):
    title = "Link Used"


class IdempotencyMismatch(SlotwiseError):
    status = 422
    title = "Idempotency Key Reused"


class PayloadTooLarge(SlotwiseError):
    status = 413
    title = "Payload Too Large"


class RateLimited(SlotwiseError):
    status = 429
    title = "Too Many Requests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
