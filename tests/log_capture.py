"""Every log line the suite's apps write, rendered as production renders it (JSON), kept
for a check at the end of the session: no line may hold a token, a password, an email
address, a phone number or an argon2 hash.

The suite runs under pytest-xdist: each worker is a session of its own, so each checks the
lines of the tests it ran. Lines written by service subprocesses are their tests' to
check (tests/integration/test_logs.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from server.logging import configure_logging

#: What must never be in a log line, whatever produced it.
PATTERNS = {
    "a token": re.compile(r"rap_[A-Za-z0-9_-]{20,}"),
    "an email address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "a phone number": re.compile(r"\+\d[\d ()-]{7,}\d"),
    "a password hash": re.compile(r"\$argon2id?\$"),
}
#: Shorter strings would match by chance.
SHORTEST_SECRET = 10


class LogCapture(logging.Handler):
    """A handler on the root logger, formatting with the service's own JSON formatter."""

    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []
        self.secrets: set[str] = set()  # the passwords and tokens the tests sent

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a line that cannot be rendered is a bug the suite sees elsewhere
            self.handleError(record)

    def remember(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v and len(v) >= SHORTEST_SECRET)

    def remember_passwords(self, variables: Mapping[str, Any] | Iterable[Any] | Any) -> None:
        """Every string under a key naming a password, anywhere in a request's variables."""
        if isinstance(variables, Mapping):
            for key, value in variables.items():
                if "password" in str(key).lower() and isinstance(value, str):
                    self.remember(value)
                else:
                    self.remember_passwords(value)
        elif isinstance(variables, list | tuple):
            for value in variables:
                self.remember_passwords(value)

    def leaks(self) -> list[str]:
        """'what: line' for every line holding something it must not."""
        found = []
        for line in self.lines:
            for what, pattern in PATTERNS.items():
                if pattern.search(line):
                    found.append(f"{what}: {line}")
            for secret in self.secrets:
                if secret in line:
                    found.append(f"a password or token the tests sent: {line}")
        return found


def install(level: str = "INFO") -> LogCapture:
    """Configure logging as `serve` does in production (JSON lines) and capture it."""
    configure_logging(level, json=True, cache_loggers=False)
    root = logging.getLogger()
    capture = LogCapture(root.handlers[0].formatter or logging.Formatter())
    root.addHandler(capture)
    return capture
