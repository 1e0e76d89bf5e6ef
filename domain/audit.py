"""The audit log: one entry per mutation, allowed or refused, that no API edits or deletes.

An entry says who (user, role, token), what (the mutation's name and the global ids it
touched), when and how it ended. It never holds the input's values: they carry personal
data (emails, phones, notes), and the log outlives erasure. Ids and error codes only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.errors import BadArgument
from domain.users import Role, User


class AuditResult(Enum):
    OK = "OK"
    REFUSED = "REFUSED"  # the caller may not do this (FORBIDDEN)
    REJECTED = "REJECTED"  # understood and refused: VALIDATION, NOT_FOUND, VERSION_CONFLICT, ...
    FAILED = "FAILED"  # unexpected: a bug, or the database unavailable


FORBIDDEN = "FORBIDDEN"
#: Codes of failures that are the service's, not the request's.
FAILURE_CODES = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})

#: An entry keeps at most this many ids and codes (a mutation names at most a few lists
#: of 50 ids; the bound keeps one entry small whatever a future input allows).
IDS_MAX = 200
CODES_MAX = 20
#: A mutation's name, as GraphQL spells field names.
OPERATION_MAX = 100
_OPERATION = re.compile(r"^[_A-Za-z][_0-9A-Za-z]*$")


def result_of(error_codes: Iterable[str]) -> AuditResult:
    """How a mutation ended, from the codes of its payload errors or its raised error."""
    codes = set(error_codes)
    if not codes:
        return AuditResult.OK
    if FORBIDDEN in codes:
        return AuditResult.REFUSED
    if codes & FAILURE_CODES:
        return AuditResult.FAILED
    return AuditResult.REJECTED


def _bounded_unique(values: Iterable[str], limit: int) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))[:limit]


@dataclass(frozen=True)
class AuditEntry:
    id: str
    at: datetime
    actor_id: str
    actor_name: str
    actor_role: Role
    token_id: str | None
    token_name: str | None
    operation: str
    ids: tuple[str, ...]
    result: AuditResult
    error_codes: tuple[str, ...]
    request_id: str


def new_entry(
    *,
    id: str,
    at: datetime,
    actor: User,
    token_id: str | None,
    token_name: str | None,
    operation: str,
    ids: Iterable[str],
    error_codes: Iterable[str],
    request_id: str,
) -> AuditEntry:
    """The entry for one mutation; its result follows from its error codes."""
    codes = _bounded_unique(error_codes, CODES_MAX)
    return AuditEntry(
        id=id,
        at=at,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_role=actor.role,
        token_id=token_id,
        token_name=token_name,
        operation=operation,
        ids=_bounded_unique(ids, IDS_MAX),
        result=result_of(codes),
        error_codes=codes,
        request_id=request_id,
    )


def may_read_audit_log(viewer: User) -> bool:
    return viewer.role is Role.ADMIN


@dataclass(frozen=True)
class AuditFilter:
    """What the log is searched by; every part optional, all given parts must match."""

    actor_id: str | None = None  # a local user id
    operation: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # inclusive


def check_filter(where: AuditFilter) -> AuditFilter:
    """The filter, or BadArgument naming the part at fault (a query argument)."""
    if where.operation is not None and (
        len(where.operation) > OPERATION_MAX or not _OPERATION.match(where.operation)
    ):
        raise BadArgument(
            f"filter.operation must be a mutation's name (letters, digits, _; at most {OPERATION_MAX})",
            "filter.operation",
        )
    if where.since is not None and where.until is not None and where.since > where.until:
        raise BadArgument("filter.from must not be after filter.to", "filter.from")
    return where
