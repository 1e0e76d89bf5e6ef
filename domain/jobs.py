"""Background jobs: what a run reports, how it ended, and the lease rules that keep two
service instances from running one job at the same time.

A job is safe to run twice (its writes are conditional or upserts keyed by what they
record), so the runner never prevents a re-run; the lease only prevents overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

#: A run's summary is a line for an operator, not a report.
SUMMARY_MAX = 200


class RunStatus(Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    #: Another runner held the job's lease: nothing ran (not recorded as a run).
    SKIPPED_LEASE_HELD = "SKIPPED_LEASE_HELD"


@dataclass(frozen=True)
class JobResult:
    """What a job reports: how many records it looked at, how many it changed, and a
    short line for the operator. Counts and words only, never personal data."""

    examined: int = 0
    changed: int = 0
    summary: str = ""

    def __post_init__(self) -> None:
        if self.examined < 0 or self.changed < 0:
            raise ValueError("job counts are never negative")
        if len(self.summary) > SUMMARY_MAX or "\n" in self.summary:
            raise ValueError(f"a job summary is one line of at most {SUMMARY_MAX} characters")


@dataclass(frozen=True)
class JobRun:
    """One recorded run of a job (a finished one: runs are written when they end)."""

    id: str
    job: str
    runner: str
    started_at: datetime
    finished_at: datetime
    status: RunStatus
    result: JobResult | None  # None when the job failed
    error_type: str | None  # the exception's class name when it failed; never its message


@dataclass(frozen=True)
class Lease:
    """Who runs a job now: the run holding it and until when."""

    job: str
    run_id: str
    runner: str
    acquired_at: datetime
    lease_until: datetime


def lease_is_free(lease_until: datetime | None, now: datetime) -> bool:
    """A lease is free when nobody took it or its holder let it run out (finished, or
    crashed without releasing): the end is exclusive, so `until == now` is free."""
    return lease_until is None or lease_until <= now


def lease_end(now: datetime, length: timedelta) -> datetime:
    return now + length


def renewal_interval(length: timedelta) -> timedelta:
    """How often a running job's lease is extended: three times per lease, so a renewal
    that is late or fails once still leaves the lease held."""
    return length / 3


def last_kept_start(now: datetime, keep: timedelta) -> datetime:
    """Runs that started before this are pruned from the run history."""
    return now - keep
