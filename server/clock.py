"""The one clock. Code asks the clock for `now`; tests inject a FixedClock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.clock import Clock

__all__ = ["Clock", "FixedClock", "system_clock"]


def _to_millis(moment: datetime) -> datetime:
    # MongoDB stores milliseconds: truncating here makes what we return equal what we store.
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def system_clock() -> datetime:
    return _to_millis(datetime.now(UTC))


class FixedClock:
    """A clock that stands still until told to move (tests, demo data)."""

    def __init__(self, at: datetime) -> None:
        self._now = _to_millis(at)

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now = _to_millis(self._now + delta)
