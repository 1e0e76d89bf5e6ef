"""Running a background job once: under its lease, recorded in the run history.

A job is an async function of a `JobContext` returning a `JobResult` (domain.jobs). The
runner takes the job's lease (one conditional write, repositories.jobs), runs it while
renewing the lease, records the run and releases the lease whatever happened. When
another runner holds the lease the job does not run: `SKIPPED_LEASE_HELD`.

Job authors: a job may run twice (a retry after a crash, two intervals, an operator's
`jobs run`), so each of its writes is conditional or an upsert keyed by what it records,
and a second run changes nothing the first already did. It reads the time from
`ctx.clock()` and writes no personal data into its summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import structlog
from pymongo.asynchronous.database import AsyncDatabase

from domain.clock import Clock
from domain.jobs import JobResult, JobRun, Lease, RunStatus, last_kept_start, lease_end, renewal_interval
from repositories.jobs import JobLeaseRepository, JobRunRepository

if TYPE_CHECKING:
    from server.settings import Settings

log = structlog.get_logger("rapport.jobs")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class JobContext:
    """What a job gets: the database, the clock, the settings, the day it was asked to
    work on (`jobs run NAME --date`; None when not given) and a logger bound to the run."""

    db: AsyncDatabase[dict[str, Any]]
    clock: Clock
    settings: Settings
    log: Any  # structlog's bound logger, with job and run_id
    date: date | None = None


Job = Callable[[JobContext], Awaitable[JobResult]]


class UnknownJob(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no job named {name!r}; jobs: {', '.join(known) or 'none registered'}")
        self.name = name


class LeaseLost(RuntimeError):
    """The run's lease could not be renewed and may be another runner's now: the job was
    stopped so two runs do not overlap (the other one does the work again)."""


@dataclass(frozen=True)
class RunOutcome:
    job: str
    status: RunStatus
    run: JobRun | None = None  # the recorded run; None when skipped
    holder: Lease | None = None  # who held the lease, when skipped

    @property
    def result(self) -> JobResult | None:
        return self.run.result if self.run else None


class JobRunner:
    """Runs registered jobs under their leases. `runner_id` names this process in the
    lease and the run history (for people reading them); the lease itself is held by each
    run's id, so even two runs in one process never overlap."""

    def __init__(
        self,
        db: AsyncDatabase[dict[str, Any]],
        clock: Clock,
        settings: Settings,
        jobs: Mapping[str, Job],
        runner_id: str,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
        self.jobs = jobs
        self.runner_id = runner_id
        self._sleep = sleep  # only the lease renewal waits; tests pass a sleep they control
        self._leases = JobLeaseRepository(db)
        self._runs = JobRunRepository(db)

    @property
    def lease_length(self) -> timedelta:
        return timedelta(seconds=self.settings.job_lease_seconds)

    def job(self, name: str) -> Job:
        try:
            return self.jobs[name]
        except KeyError:
            raise UnknownJob(name, sorted(self.jobs)) from None

    async def run(self, name: str, *, on: date | None = None) -> RunOutcome:
        """Run the job once if nobody else is running it. A job's exception is recorded
        (FAILED with its class name) and logged, not raised; database errors of the
        runner itself are raised."""
        job = self.job(name)
        run_id = self._runs.new_id()
        started = self.clock()
        lease = await self._leases.acquire(
            name, run_id, self.runner_id, started, lease_end(started, self.lease_length)
        )
        if lease is None:
            holder = (await self._leases.held(started)).get(name)
            log.info(
                "job skipped: another runner holds its lease",
                job=name,
                holder=holder.runner if holder else None,
                until=holder.lease_until.isoformat() if holder else None,
            )
            return RunOutcome(name, RunStatus.SKIPPED_LEASE_HELD, holder=holder)

        run_log = log.bind(job=name, run_id=run_id)
        context = JobContext(db=self.db, clock=self.clock, settings=self.settings, log=run_log, date=on)
        run_log.info("job started", runner=self.runner_id)
        status, result = RunStatus.FAILED, None
        error_type: str | None = "CancelledError"
        try:
            result = await self._renewing(name, run_id, job(context))
            status, error_type = RunStatus.SUCCEEDED, None
        except Exception as error:
            error_type = type(error).__name__
            # The traceback goes to the log (plain, without locals); the run keeps only
            # the class name, since an exception's message may quote personal data.
            run_log.error("job failed", error=error_type, exc_info=error)
        finally:
            # Also on cancellation (shutdown): the run is recorded as FAILED and the lease
            # freed, so the next instance need not wait for it to run out.
            finished = self.clock()
            run = JobRun(
                id=run_id,
                job=name,
                runner=self.runner_id,
                started_at=started,
                finished_at=finished,
                status=status,
                result=result,
                error_type=error_type,
            )
            try:
                await self._runs.record(run)
                await self._runs.prune(
                    name, last_kept_start(finished, timedelta(days=self.settings.job_runs_keep_days))
                )
            finally:
                await self._leases.release(name, run_id, finished)
        if result is not None:
            run_log.info(
                "job finished", examined=result.examined, changed=result.changed, summary=result.summary
            )
        return RunOutcome(name, status, run=run)

    async def _renewing(self, name: str, run_id: str, work: Awaitable[JobResult]) -> JobResult:
        """Await the job while its lease is renewed every third of its length; if a
        renewal finds the lease gone, the job is cancelled and this raises LeaseLost."""
        job_task = asyncio.ensure_future(work)
        lost = asyncio.Event()
        renewer = asyncio.create_task(self._keep_lease(name, run_id, job_task, lost))
        try:
            return await job_task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if lost.is_set() and not (current and current.cancelling()):
                raise LeaseLost(f"the lease of {name} was lost while it ran") from None
            raise
        finally:
            renewer.cancel()
            job_task.cancel()  # a no-op when it is done; stops it when we are cancelled

    async def _keep_lease(
        self, name: str, run_id: str, job_task: asyncio.Future[JobResult], lost: asyncio.Event
    ) -> None:
        every = renewal_interval(self.lease_length)
        held_until = lease_end(self.clock(), self.lease_length)
        while not job_task.done():
            await self._sleep(every.total_seconds())
            now = self.clock()
            try:
                renewed = await self._leases.renew(name, run_id, lease_end(now, self.lease_length))
            except Exception as error:  # a database hiccup: retry while the lease still holds
                log.warning("job lease not renewed", job=name, error=type(error).__name__)
                renewed = now < held_until
            else:
                if renewed:
                    held_until = lease_end(now, self.lease_length)
            if not renewed:
                log.error("job lease lost; stopping the job", job=name, run_id=run_id)
                lost.set()
                job_task.cancel()
                return

    async def latest_runs(self) -> dict[str, JobRun]:
        return await self._runs.latest(sorted(self.jobs))

    async def held_leases(self) -> dict[str, Lease]:
        return await self._leases.held(self.clock())
