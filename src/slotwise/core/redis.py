"""One Redis client per (process, URL, options), created under a lock.

redis-py clients are thread-safe, but creating them lazily without a lock lets two threads each build one;
the loser is garbage-collected and disconnects the connection pool the winner is still using (the 500s of
issue 14). Every Redis user (rate limiter, jobs backend) gets its client here."""

import threading

_lock = threading.Lock()
_clients: dict = {}


def client(url: str, **options):
    key = (url, tuple(sorted(options.items())))
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            import redis

            found = _clients[key] = redis.Redis.from_url(url, **options)
        return found
