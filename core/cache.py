"""Small per-process caches of read-mostly rows the hot paths look up on every request.

Each worker process keeps its own; an entry lives `ttl` seconds (monotonic time),
so a change made in another process (an admin revoking an API key, moving a window)
is seen within that TTL everywhere, and at once in the process that made it:
the writers call `clear_all()`. `create_app()` starts every app with empty caches.
"""

import threading
import time

_REGISTRY: list["TtlCache"] = []


class TtlCache:
    """key → value for `ttl` seconds, at most `size` entries (the oldest go first)."""

    def __init__(self, ttl: float, size: int = 256):
        self.ttl = ttl
        self.size = size
        self._data: dict = {}
        self._lock = threading.Lock()
        _REGISTRY.append(self)

    def get(self, key):
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires < time.monotonic():
            self._data.pop(key, None)
            return None
        return value

    def put(self, key, value) -> None:
        with self._lock:
            if len(self._data) >= self.size:
                self._data.pop(next(iter(self._data)), None)
            self._data[key] = (time.monotonic() + self.ttl, value)

    def pop(self, key) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


def clear_all() -> None:
    for cache in _REGISTRY:
        cache.clear()
