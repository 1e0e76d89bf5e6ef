"""Scalars beyond the built-in ones, and DateTime made strict about time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NewType

import isodate
import strawberry
from strawberry.types.scalar import ScalarDefinition


def iso_duration(value: timedelta) -> str:
    """ISO 8601 in days and time (P518DT6H5M2.5S): years and months have no fixed length."""
    return str(isodate.duration_isoformat(value))


def _output_only(value: object) -> timedelta:
    raise ValueError("Duration is only returned, never accepted")


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 date and time with its UTC offset, as UTC, to the millisecond. Without an
    offset the moment is ambiguous (whose 9 o'clock?), so it is refused rather than guessed.
    MongoDB stores milliseconds: finer digits are dropped here, so what a mutation answers
    (and computes from) is what it stored and what later reads return."""
    if not isinstance(value, str):
        raise ValueError("DateTime is an ISO 8601 string, e.g. 2026-11-25T09:30:00Z")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 date and time: {value[:40]!r}") from exc
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a DateTime needs its UTC offset, e.g. 2026-11-25T09:30:00Z or +08:00")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def serialize_datetime(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


Duration = NewType("Duration", timedelta)

#: For StrawberryConfig.scalar_map: how each custom scalar crosses the wire.
SCALARS: dict[object, ScalarDefinition] = {
    Duration: strawberry.scalar(
        name="Duration",
        serialize=iso_duration,
        parse_value=_output_only,
        description="An ISO 8601 duration in days and time, e.g. P3DT4H30M.",
    ),
    datetime: strawberry.scalar(
        name="DateTime",
        serialize=serialize_datetime,
        parse_value=parse_datetime,
        description="An ISO 8601 date and time with its UTC offset, to the millisecond; returned in UTC.",
    ),
}
