"""The client's address, for rate limits and login lockout.

X-Forwarded-For is read only when SLOTWISE_TRUST_FORWARDED_FOR names how many proxies of ours stand in
front of the server (1 for one nginx or load balancer). Each proxy appends the address it saw, so the
client's address is that many entries from the right; entries further left were written by the client
and are ignored. Unset or 0: REMOTE_ADDR, so nobody can pick their own bucket by sending the header."""

from django.conf import settings


def trusted_proxy_count() -> int:
    value = getattr(settings, "SLOTWISE_TRUST_FORWARDED_FOR", 0)
    if value is True:
        return 1
    try:
        return max(0, int(value or 0))
    except (TypeError, ValueError):
        return 0


def client_address(request) -> str:
    proxies = trusted_proxy_count()
    if proxies:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies][:64]
    return request.META.get("REMOTE_ADDR", "") or "unknown"
