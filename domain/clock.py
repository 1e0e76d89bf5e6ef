"""The clock's type. Domain code never reads the time: it is passed `now`; use cases ask
the request's clock, which the server injects (tests inject a fixed one)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], datetime]
