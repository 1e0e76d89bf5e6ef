"""Scalars beyond the built-in ones."""

from __future__ import annotations

from datetime import timedelta
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition


def iso_duration(value: timedelta) -> str:
    """ISO 8601 in days and time (P518DT6H5M2.5S): years and months have no fixed length."""
    millis = round(value.total_seconds() * 1000)
    sign, millis = ("-" if millis < 0 else ""), abs(millis)
    days, millis = divmod(millis, 86_400_000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    seconds = f"{millis / 1000:g}"
    time = "".join(f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M")) if n)
    time += f"{seconds}S" if millis else ""
    if time and not days:
        return f"{sign}PT{time}"
    return f"{sign}P{days}D" + (f"T{time}" if time else "")


def _output_only(value: object) -> timedelta:
    raise ValueError("Duration is only returned, never accepted")


Duration = NewType("Duration", timedelta)

#: For StrawberryConfig.scalar_map: how each custom scalar crosses the wire.
SCALARS: dict[object, ScalarDefinition] = {
    Duration: strawberry.scalar(
        name="Duration",
        serialize=iso_duration,
        parse_value=_output_only,
        description="An ISO 8601 duration in days and time, e.g. P3DT4H30M.",
    )
}
