"""Signing in with a name and a password: the password rules, their argon2id hashes, the
session a sign-in opens, and the slowdown after repeated failures.

A session is an API token like any other (domain/tokens.py), named "web session", with a
short life (a setting): the web client keeps it in session storage and sends it as a bearer
token; signing out revokes it.

The answer to a failed sign-in never tells whether the name exists: an unknown name, a
user without a password and a wrong password get the same error, after the same work (an
unknown name is checked against a dummy hash of the same cost). Failures are counted per
name (known or not, so the slowdown says nothing either): after `free_failures` each
further attempt must wait, the wait doubling with every failure up to `max_delay`. A
success forgets the count; so does a day without failures. Counting lives in the database,
so every instance sees the same count; the time comes from the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.errors import DomainError, ErrorCode
from domain.search import fold
from domain.validation import control_character_problem

SESSION_TOKEN_NAME = "web session"
#: Defaults of the settings (server/settings.py).
DEFAULT_SESSION_MINUTES = 8 * 60  # a working day
DEFAULT_FREE_FAILURES = 5
DEFAULT_DELAY_SECONDS = 30
DEFAULT_MAX_DELAY_SECONDS = 15 * 60
#: A count of failures is forgotten this long after the last one.
FAILURES_FORGOTTEN_AFTER = timedelta(hours=24)

PASSWORD_MIN = 12
#: Long enough for any passphrase; bounded so hashing work stays bounded.
PASSWORD_MAX = 256
NAME_MAX = 200

SIGN_IN_REFUSED = "the name or the password is wrong"

# argon2id with OWASP's first recommended parameters (19 MiB, 2 passes, 1 lane): about 0.2 s
# of one core per check on this project's 2-core machines (argon2-cffi's default, RFC 9106's
# 64 MiB profile, took 0.7 s of both). Hashes carry their parameters: a stronger setting
# later rehashes each password at its next sign-in (needs_rehash).
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
#: What an unknown name is checked against, so it costs what a known one costs.
_DUMMY_HASH = _hasher.hash("no user has this password: it only makes the work the same")


class SignInRefused(DomainError):
    """Wrong name or password, alike."""

    code = ErrorCode.SIGN_IN_REFUSED

    def __init__(self) -> None:
        super().__init__(SIGN_IN_REFUSED, None)


class TooManyAttempts(DomainError):
    code = ErrorCode.TOO_MANY_ATTEMPTS

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        super().__init__(f"too many failed sign-ins for this name; try again in {seconds} s", None)
        self.wait = wait


@dataclass(frozen=True)
class SignInRules:
    """The settings of signing in."""

    session_lifetime: timedelta = timedelta(minutes=DEFAULT_SESSION_MINUTES)
    free_failures: int = DEFAULT_FREE_FAILURES
    delay: timedelta = timedelta(seconds=DEFAULT_DELAY_SECONDS)
    max_delay: timedelta = timedelta(seconds=DEFAULT_MAX_DELAY_SECONDS)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins for one name: how many, and when the last was."""

    count: int
    last_at: datetime


def name_key(name: str) -> str:
    """What failures are counted by: the name as typed, folded (case, accents, spaces)."""
    return " ".join(fold(name).split())[:NAME_MAX]


def current_failures(failures: Failures | None, now: datetime) -> int:
    if failures is None or now - failures.last_at >= FAILURES_FORGOTTEN_AFTER:
        return 0
    return failures.count


def wait_before_next_attempt(
    failures: Failures | None, now: datetime, rules: SignInRules
) -> timedelta | None:
    """How long the next attempt for this name must wait (None: it may go now). After the
    free failures, the n-th further failure makes the next attempt wait delay * 2^(n-1),
    at most max_delay, counted from that failure."""
    count = current_failures(failures, now)
    if failures is None or count < rules.free_failures:
        return None
    extra = count - rules.free_failures  # 0 for the first failure past the free ones
    wait = min(rules.delay * (2 ** min(extra, 30)), rules.max_delay)
    remaining = failures.last_at + wait - now
    return remaining if remaining > timedelta(0) else None


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None."""
    if len(password) < PASSWORD_MIN:
        return f"must be at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"must be at most {PASSWORD_MAX} characters"
    if not password.strip():
        return "must not be only spaces"
    return control_character_problem(password)


def hash_password(password: str) -> str:
    """The argon2id hash of a password (salted: two hashes of one password differ)."""
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether the password is the one hashed. No hash (unknown name, no password set) or
    an over-long password is checked against the dummy, so every answer costs one check."""
    if stored_hash is None or len(password) > PASSWORD_MAX:
        _check(_DUMMY_HASH, password[:PASSWORD_MAX])
        return False
    return _check(stored_hash, password)


def needs_rehash(stored_hash: str) -> bool:
    """Whether a matching hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def _check(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
