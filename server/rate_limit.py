"""Requests per token per minute, counted in this process's memory.

A fixed window per clock minute, keyed by the token's hash (never the token). Every
instance counts on its own, so N instances behind a load balancer allow up to N times the
limit. Only authenticated requests are counted, so the table holds at most one entry per
valid token that called in the current minute, and it is emptied when the minute turns.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=1)


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._window: datetime | None = None
        self._counts: dict[str, int] = {}

    def retry_after(self, key: str, now: datetime) -> int | None:
        """Count one request; None if it is allowed, else the seconds until the window turns."""
        window = now.replace(second=0, microsecond=0)
        if window != self._window:
            self._window = window
            self._counts = {}
        count = self._counts.get(key, 0) + 1
        self._counts[key] = count
        if count <= self.per_minute:
            return None
        return max(1, math.ceil((window + WINDOW - now).total_seconds()))
