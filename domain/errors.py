"""Domain errors. The outermost layer turns them into typed payload errors."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ErrorCode(Enum):
    VALIDATION = "VALIDATION"
    NOT_FOUND = "NOT_FOUND"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    VERSION_CONFLICT = "VERSION_CONFLICT"
    DUPLICATE = "DUPLICATE"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    COUPON_USED = "COUPON_USED"
    COUPON_EXPIRED = "COUPON_EXPIRED"
    COUPON_NOT_YET_VALID = "COUPON_NOT_YET_VALID"
    SIGN_IN_REFUSED = "SIGN_IN_REFUSED"  # the name or the password is wrong (never which)
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"  # failed sign-ins for a name: wait, then retry


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, in the client's terms: field is the input path."""

    code: ErrorCode
    message: str
    field: str | None = None


class DomainError(Exception):
    code: ErrorCode = ErrorCode.VALIDATION

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def problems(self) -> list[Problem]:
        return [Problem(self.code, self.message, self.field)]


class ValidationFailed(DomainError):
    """Every problem found in one input, so the client can fix them all at once."""

    code = ErrorCode.VALIDATION

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems), problems[0].field)
        self._problems = problems

    @property
    def problems(self) -> list[Problem]:
        return list(self._problems)


class NotFound(DomainError):
    code = ErrorCode.NOT_FOUND


class InvalidTransition(DomainError):
    code = ErrorCode.INVALID_TRANSITION


class VersionConflict(DomainError):
    code = ErrorCode.VERSION_CONFLICT

    @classmethod
    def stale(cls, noun: str, current: int, expected: int) -> VersionConflict:
        return cls(
            f"the {noun} is at version {current}, not {expected}; reload it and try again", "expectedVersion"
        )


class Duplicate(DomainError):
    code = ErrorCode.DUPLICATE


class IdempotencyKeyReused(DomainError):
    """The key was used before with a different request: replaying the first answer would
    hide that this one was never carried out (as payment APIs answer)."""

    code = ErrorCode.IDEMPOTENCY_KEY_REUSED


class BadArgument(ValueError):
    """A malformed query argument (a cursor we never issued, a page size out of range, a
    search too long, an id of the wrong type): the request itself is wrong, so it is a
    GraphQL error (BAD_USER_INPUT, naming the argument in `extensions.field`), not a
    payload one."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BadCursor(BadArgument):
    """A cursor the service did not issue, or one whose content has the wrong shape."""

    code = "VALIDATION"

    def __init__(self, field: str = "after") -> None:
        super().__init__("the cursor is not one this API returned", field)


class Forbidden(Exception):
    """The caller may not do this to this object (need-to-know): a GraphQL error with
    code FORBIDDEN, like a refused field permission."""
