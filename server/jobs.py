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
from collections.abc import Mapping
from typing import Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from domain.clock import Clock
from resolvers.care_schedule import care_schedule
from resolvers.churn_scan import churn_scan
from resolvers.jobs import Job, JobRunner, RunOutcome, Sleep
from resolvers.points_expiry import points_expiry
from resolvers.rollups import rollups_rebuild
from resolvers.sla_scan import sla_scan
from server.settings import Settings

log = structlog.get_logger("rapport.jobs")

#: name -> job. Later work adds its jobs here.
JOBS: dict[str, Job] = {
    "sla-scan": sla_scan,  # one SLA_BREACHED event per breached clock
    "churn-scan": churn_scan,  # score churn risk; lapse after 180 days, flag at risk above the threshold
    "rollups-rebuild": rollups_rebuild,  # every running total again from the raw collections
    "care-schedule": care_schedule,  # the care tasks due on a day (--date), activation plans, letters
    "points-expiry": points_expiry,  # what is left of each points lot past its expiry leaves the balance
}


def runner_id() -> str:
    """This process, as leases and runs name it: host, pid and a random tag (pids repeat
    across containers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def job_runner(
    db: AsyncDatabase[dict[str, Any]], clock: Clock, settings: Settings, jobs: Mapping[str, Job] | None = None
) -> JobRunner:
    return JobRunner(db, clock, settings, JOBS if jobs is None else jobs, runner_id())


async def scheduled_run(runner: JobRunner, name: str) -> RunOutcome | None:
    """One iteration of a job's schedule. Whatever goes wrong (the job's own failure is
    already recorded; here the database being unreachable) is logged, and the schedule
    goes on at the next interval."""
    try:
        return await runner.run(name)
    except Exception as error:
        log.error("scheduled job could not run", job=name, error=type(error).__name__)
        return None


async def _every(runner: JobRunner, name: str, seconds: int, sleep: Sleep) -> None:
    while True:
        await scheduled_run(runner, name)
        await sleep(seconds)


def start_schedule(
    runner: JobRunner, schedule: Mapping[str, int], *, sleep: Sleep = asyncio.sleep
) -> list[asyncio.Task[None]]:
    """One task per scheduled job: run it (under its lease), wait its interval, again.
    The first run is at start. A name that is not a registered job stops the start."""
    unknown = sorted(set(schedule) - set(runner.jobs))
    if unknown:
        raise ValueError(
            f"RAPPORT_JOBS_SCHEDULE names unknown jobs {unknown}; jobs: {sorted(runner.jobs) or 'none'}"
        )
    for name, seconds in schedule.items():
        log.info("job scheduled", job=name, every_s=seconds)
    return [
        asyncio.create_task(_every(runner, name, seconds, sleep), name=f"job {name}")
        for name, seconds in schedule.items()
    ]


async def stop_schedule(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the schedule and wait for it: a job that was running records its run and
    frees its lease before the database closes."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
