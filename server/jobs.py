"""The registered jobs and their schedule in `serve`.

Every job is listed in JOBS, by the name the CLI (`jobs run NAME`) and the schedule
setting (RAPPORT_JOBS_SCHEDULE) use. The list is a plain dict rather than a decorator
that modules fill when imported: one place shows every job, and no job goes missing
because its module happened not to be imported.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from domain.clock import Clock
from resolvers.care_schedule import care_schedule
from resolvers.churn_scan import churn_scan
from resolvers.events_prune import events_prune
from resolvers.jobs import Job, JobRunner, RunOutcome, Sleep
from resolvers.points_expiry import points_expiry
from resolvers.rollups import rollups_rebuild
from resolvers.sla_scan import sla_scan
from server import metrics
from server.settings import Settings
from server.webhooks import deliver as deliver_webhooks

log = structlog.get_logger("rapport.jobs")

#: name -> job. Later work adds its jobs here.
JOBS: dict[str, Job] = {
    "sla-scan": sla_scan,  # one SLA_BREACHED event per breached clock
    "churn-scan": churn_scan,  # score churn risk; lapse after 180 days, flag at risk above the threshold
    "rollups-rebuild": rollups_rebuild,  # every running total again from the raw collections
    "care-schedule": care_schedule,  # the care tasks due on a day (--date), activation plans, letters
    "points-expiry": points_expiry,  # what is left of each points lot past its expiry leaves the balance
    "webhook-deliveries": deliver_webhooks,  # fan new events out to webhooks, send what is due, retry
    "events-prune": events_prune,  # events past their retention, fanned out and no longer needed, leave the log
}


def runner_id() -> str:
    """This process, as leases and runs name it: host, pid and a random tag (pids repeat
    across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class MeteredJobRunner(JobRunner):
    """The runner, counting its runs and timing them in the metrics (server/metrics.py)."""

    async def run(self, name: str, *, on: date | None = None) -> RunOutcome:
        started = time.perf_counter()
        try:
            outcome = await super().run(name, on=on)
        except Exception:
            metrics.observe_job(name, "ERROR", None)
            raise
        took = None if outcome.run is None else time.perf_counter() - started
        metrics.observe_job(name, outcome.status.value, took)
        return outcome


def job_runner(
    db: AsyncDatabase[dict[str, Any]], clock: Clock, settings: Settings, jobs: Mapping[str, Job] | None = None
) -> JobRunner:
    return MeteredJobRunner(db, clock, settings, JOBS if jobs is None else jobs, runner_id())


async def scheduled_run(runner: JobRunner, name: str) -> RunOutcome | None:
    """One iteration of a job's schedule. Whatever goes wrong (the job's own failure is
    already recorded; here the database being unreachable) is logged, and the schedule
    goes on at the next interval."""
    try:
        return await runner.run(name)
    except Exception as error:
        log.error("scheduled job could not run", job=name, error=type(error).__name__)
        return None


async def _every(
    runner: JobRunner, name: str, seconds: int, sleep: Sleep, runs: set[asyncio.Task[RunOutcome | None]]
) -> None:
    while True:
        # The run is a task of its own, shielded: stopping the schedule stops this loop at
        # once but lets the run finish within stop_schedule's grace.
        run = asyncio.create_task(scheduled_run(runner, name), name=f"run {name}")
        runs.add(run)
        run.add_done_callback(runs.discard)
        await asyncio.shield(run)
        await sleep(seconds)


@dataclass
class Schedule:
    """The loops of the scheduled jobs, and the runs going on now."""

    loops: list[asyncio.Task[None]]
    runs: set[asyncio.Task[RunOutcome | None]] = field(default_factory=set)

    def __iter__(self) -> Iterator[asyncio.Task[None]]:
        return iter(self.loops)


def start_schedule(
    runner: JobRunner, schedule: Mapping[str, int], *, sleep: Sleep = asyncio.sleep
) -> Schedule:
    """One task per scheduled job: run it (under its lease), wait its interval, again.
    The first run is at start. A name that is not a registered job stops the start."""
    unknown = sorted(set(schedule) - set(runner.jobs))
    if unknown:
        raise ValueError(
            f"RAPPORT_JOBS_SCHEDULE names unknown jobs {unknown}; jobs: {sorted(runner.jobs) or 'none'}"
        )
    for name, seconds in schedule.items():
        log.info("job scheduled", job=name, every_s=seconds)
    made = Schedule([])
    made.loops = [
        asyncio.create_task(_every(runner, name, seconds, sleep, made.runs), name=f"job {name}")
        for name, seconds in schedule.items()
    ]
    return made


async def stop_schedule(schedule: Schedule, grace_s: float = 0) -> None:
    """Stop the schedule: no job starts again; one that is running gets up to `grace_s` to
    finish (a webhook attempt in flight ends and is recorded), then is cancelled, records
    its run and frees its lease, all before the database closes."""
    for loop in schedule.loops:
        loop.cancel()
    await asyncio.gather(*schedule.loops, return_exceptions=True)
    if schedule.runs and grace_s > 0:
        await asyncio.wait(set(schedule.runs), timeout=grace_s)
    for run in set(schedule.runs):
        run.cancel()
    await asyncio.gather(*schedule.runs, return_exceptions=True)
