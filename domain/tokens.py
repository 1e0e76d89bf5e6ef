"""API tokens: the record behind a bearer token, its lifetime, and when it opens nothing.

The secret itself never lives here: a token record names its owner and its life
(created, expires, last used, revoked); the repository keeps only a hash of the secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import NamedTuple

from domain.errors import InvalidTransition
from domain.users import Role, User
from domain.validation import control_character_problem

#: Defaults of the settings that bound a token's life (server/settings.py).
DEFAULT_LIFETIME_DAYS = 90
MAX_LIFETIME_DAYS = 365
#: A token's lastUsedAt is written at most this often (a setting; see last_use_is_stale).
DEFAULT_LAST_USED_INTERVAL = timedelta(seconds=60)

#: Shorter than an hour is a typo more often than a wish, and a test clock does the rest.
MIN_LIFETIME = timedelta(hours=1)
TOKEN_NAME_MAX = 100
CLI_TOKEN_NAME = "cli"
DEMO_TOKEN_NAME = "demo"

#: `--expires-in` values: a whole number of hours, days or weeks. No months or years
#: ("1m" reads as a minute or a month; a year is 365 or 366 days): write 30d or 365d.
_LIFETIME = re.compile(r"^([1-9][0-9]{0,4})([hdw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


class TokenStatus(Enum):
    ACTIVE = "ACTIVE"
    EXPIRED = "EXPIRED"
    REVOKED = "REVOKED"


@dataclass(frozen=True)
class ApiToken:
    """A token's record. `id` is its public identifier (not the secret, not its hash)."""

    id: str
    user_id: str
    name: str
    created_at: datetime
    expires_at: datetime | None  # None: a token issued before tokens expired
    last_used_at: datetime | None
    revoked_at: datetime | None
    demo: bool = False

    def status(self, now: datetime) -> TokenStatus:
        if self.revoked_at is not None:
            return TokenStatus.REVOKED
        if self.expires_at is not None and self.expires_at <= now:
            return TokenStatus.EXPIRED
        return TokenStatus.ACTIVE

    def opens(self, now: datetime, *, demo_allowed: bool) -> bool:
        """Whether a request bearing this token is let in. Demo tokens open nothing where
        they are not allowed (production)."""
        return self.status(now) is TokenStatus.ACTIVE and (demo_allowed or not self.demo)

    def last_use_is_stale(self, now: datetime, interval: timedelta) -> bool:
        """Whether this use should be written down: at most once per `interval`, so a busy
        token does not write on every request."""
        return self.last_used_at is None or self.last_used_at <= now - interval


class Authenticated(NamedTuple):
    """Who a request is: the user and the token they came with (unpacks as a pair)."""

    user: User
    token: ApiToken


@dataclass(frozen=True)
class TokenListing:
    """A token with its owner's name and role, for an operator's list."""

    token: ApiToken
    user_name: str
    role: Role


def may_manage_tokens(viewer: User) -> bool:
    return viewer.role is Role.ADMIN


class AlreadyRevoked(InvalidTransition):
    """A revoked token stays revoked; revoking it again changes nothing."""

    def __init__(self, token: ApiToken, field: str | None = None) -> None:
        super().__init__("the token is already revoked", field)
        self.token = token


class LifetimeRefused(ValueError):
    pass


def parse_lifetime(text: str, maximum: timedelta) -> timedelta:
    """A token lifetime written as `12h`, `90d` or `2w`, between an hour and `maximum`."""
    value = text.strip().lower()
    if value == "never":
        # Every token ends: a leaked token that never expires is open for good.
        raise LifetimeRefused(f"tokens always expire; the longest lifetime is {_days(maximum)}")
    match = _LIFETIME.match(value)
    if match is None:
        raise LifetimeRefused(f"{text!r} is not a lifetime: write hours, days or weeks, e.g. 12h, 90d, 2w")
    lifetime = int(match[1]) * _UNITS[match[2]]
    if lifetime < MIN_LIFETIME:
        raise LifetimeRefused("the shortest lifetime is 1h")
    if lifetime > maximum:
        raise LifetimeRefused(f"the longest lifetime is {_days(maximum)}")
    return lifetime


def _days(span: timedelta) -> str:
    return f"{span.days}d" if span.days else f"{span.total_seconds() / 3600:g}h"


def token_name_problem(name: str) -> str | None:
    """Why a token's name (its label) is refused, or None. Expects it stripped."""
    if not name:
        return "must not be empty"
    if len(name) > TOKEN_NAME_MAX:
        return f"is longer than {TOKEN_NAME_MAX} characters"
    return control_character_problem(name)
