"""The job runner on the real database: leases keep runs from overlapping, every run is
recorded, and the lease is free again after success, failure and a crash.

The jobs here are defined by the tests; real jobs register in server/jobs.py."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from domain.jobs import JobResult, RunStatus
from migrations import migrate
from resolvers.jobs import JobContext, JobRunner, UnknownJob
from server.jobs import JOBS, scheduled_run, start_schedule, stop_schedule
from tests.conftest import T0
from tests.integration.test_cli import ROOT


class Counting:
    """A job that counts its runs and can be held open until the test lets it finish."""

    def __init__(self, *, hold: bool = False) -> None:
        self.runs: list[JobContext] = []
        self.started = asyncio.Event()
        self.go_on = asyncio.Event()
        if not hold:
            self.go_on.set()

    async def __call__(self, ctx: JobContext) -> JobResult:
        self.runs.append(ctx)
        self.started.set()
        await self.go_on.wait()
        return JobResult(examined=3, changed=1, summary="one of three changed")


async def broken(ctx: JobContext) -> JobResult:
    raise ValueError("Jane Doe's complaint is malformed")  # a message with personal data


def runner(db, clock, settings, runner_id: str = "host-a:1:aa", **jobs) -> JobRunner:
    return JobRunner(db, clock, settings, {k.replace("_", "-"): v for k, v in jobs.items()}, runner_id)


async def lease_doc(db, name: str) -> dict:
    return await db["job_leases"].find_one({"_id": name})


async def test_a_job_runs_once_and_its_run_is_recorded(db, clock, settings) -> None:
    job = Counting()
    outcome = await runner(db, clock, settings, sla_scan=job).run("sla-scan", on=date(2026, 11, 20))

    assert outcome.status is RunStatus.SUCCEEDED
    assert outcome.result == JobResult(examined=3, changed=1, summary="one of three changed")
    assert len(job.runs) == 1 and job.runs[0].date == date(2026, 11, 20) and job.runs[0].clock() == T0
    runs = await db["job_runs"].find({}, {"_id": 0}).to_list()
    assert runs == [
        {
            "job": "sla-scan",
            "runner": "host-a:1:aa",
            "startedAt": T0,
            "finishedAt": T0,
            "status": "SUCCEEDED",
            "examined": 3,
            "changed": 1,
            "summary": "one of three changed",
        }
    ]
    assert (await lease_doc(db, "sla-scan"))["leaseUntil"] == T0  # released


async def _race(runners: list[JobRunner], job: Counting) -> list[RunStatus]:
    """All runners start the job at once; the winner's job is held until every other run
    has come back, so they all really overlap with it."""
    job.go_on.clear()
    pending = {asyncio.create_task(r.run("sla-scan")) for r in runners}
    runs = list(pending)
    while len(pending) > 1:
        _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    job.go_on.set()
    return [o.status for o in await asyncio.gather(*runs)]


async def test_two_runners_racing_run_the_job_once(db, clock, settings) -> None:
    job = Counting()
    a = runner(db, clock, settings, "host-a:1:aa", sla_scan=job)
    b = runner(db, clock, settings, "host-b:1:bb", sla_scan=job)

    statuses = await _race([a, b], job)

    assert sorted(s.value for s in statuses) == ["SKIPPED_LEASE_HELD", "SUCCEEDED"]
    assert len(job.runs) == 1
    assert await db["job_runs"].count_documents({}) == 1  # skips are not recorded


async def test_many_runners_racing_again_and_again_run_it_once_each_time(db, clock, settings) -> None:
    job = Counting()
    runners = [runner(db, clock, settings, f"host-{i}:1:{i}", sla_scan=job) for i in range(5)]
    for round_ in range(10):  # the first race inserts the lease, the others take a free one
        statuses = await _race(runners, job)
        assert statuses.count(RunStatus.SUCCEEDED) == 1, (round_, statuses)
        assert statuses.count(RunStatus.SKIPPED_LEASE_HELD) == 4
        clock.advance(timedelta(seconds=1))
    assert len(job.runs) == 10


async def test_a_running_job_is_skipped_by_every_other_run_even_in_the_same_process(
    db, clock, settings
) -> None:
    job = Counting(hold=True)
    a = runner(db, clock, settings, "host-a:1:aa", sla_scan=job)
    b = runner(db, clock, settings, "host-b:1:bb", sla_scan=job)
    first = asyncio.create_task(a.run("sla-scan"))
    await job.started.wait()

    other = await b.run("sla-scan")
    same_process = await a.run("sla-scan")

    assert other.status is same_process.status is RunStatus.SKIPPED_LEASE_HELD
    assert other.holder is not None and other.holder.runner == "host-a:1:aa"
    assert other.holder.lease_until == T0 + timedelta(seconds=settings.job_lease_seconds)
    job.go_on.set()
    assert (await first).status is RunStatus.SUCCEEDED
    assert len(job.runs) == 1


async def test_a_lease_left_by_a_crashed_runner_is_taken_over_when_it_runs_out(db, clock, settings) -> None:
    await db["job_leases"].insert_one(
        {
            "_id": "sla-scan",
            "runId": "crashed-run",
            "owner": "host-dead:9:99",
            "acquiredAt": T0 - timedelta(minutes=5),
            "leaseUntil": T0 + timedelta(seconds=30),
        }
    )
    job = Counting()
    survivor = runner(db, clock, settings, "host-b:1:bb", sla_scan=job)

    assert (await survivor.run("sla-scan")).status is RunStatus.SKIPPED_LEASE_HELD
    clock.advance(timedelta(seconds=30))  # the dead runner's lease ends
    assert (await survivor.run("sla-scan")).status is RunStatus.SUCCEEDED
    assert len(job.runs) == 1
    lease = await lease_doc(db, "sla-scan")
    assert lease["owner"] == "host-b:1:bb" and lease["leaseUntil"] == clock()


async def test_a_failing_job_is_recorded_with_its_error_type_and_frees_the_lease(db, clock, settings) -> None:
    jobs = runner(db, clock, settings, sla_scan=broken)

    outcome = await jobs.run("sla-scan")

    assert outcome.status is RunStatus.FAILED and outcome.run and outcome.run.error_type == "ValueError"
    stored = await db["job_runs"].find_one({}, {"_id": 0})
    assert stored == {
        "job": "sla-scan",
        "runner": "host-a:1:aa",
        "startedAt": T0,
        "finishedAt": T0,
        "status": "FAILED",
        "errorType": "ValueError",
    }
    assert "Jane" not in str(stored)  # the message is not kept
    assert (await lease_doc(db, "sla-scan"))["leaseUntil"] == T0
    # The lease is free: another runner runs at once.
    job = Counting()
    assert (await runner(db, clock, settings, "host-b:1:bb", sla_scan=job).run("sla-scan")).status is (
        RunStatus.SUCCEEDED
    )


async def test_running_twice_in_a_row_runs_twice(db, clock, settings) -> None:
    job = Counting()
    jobs = runner(db, clock, settings, sla_scan=job)
    await jobs.run("sla-scan")
    clock.advance(timedelta(minutes=1))
    await jobs.run("sla-scan")

    assert len(job.runs) == 2
    starts = [r.started_at for r in await jobs._runs.history("sla-scan", 10)]
    assert starts == [T0 + timedelta(minutes=1), T0]  # newest first


async def test_an_unknown_job_is_a_clear_error(db, clock, settings) -> None:
    with pytest.raises(UnknownJob, match="no job named 'nosuch'; jobs: sla-scan"):
        await runner(db, clock, settings, sla_scan=Counting()).run("nosuch")


async def test_the_run_history_keeps_the_configured_days(db, clock, settings) -> None:
    job = Counting()
    jobs = runner(db, clock, settings.model_copy(update={"job_runs_keep_days": 7}), sla_scan=job)
    await jobs.run("sla-scan")
    clock.advance(timedelta(days=7, seconds=1))
    await jobs.run("sla-scan")

    assert [r.started_at for r in await jobs._runs.history("sla-scan", 10)] == [clock()]


class ManualTimer:
    """A sleep the test drives: each call waits until `fire`, which moves the clock by
    the time asked for. Nothing really waits."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self._asleep: asyncio.Queue = asyncio.Queue()
        self._next: tuple[float, asyncio.Future] | None = None

    async def sleep(self, seconds: float) -> None:
        wake = asyncio.get_running_loop().create_future()
        await self._asleep.put((seconds, wake))
        await wake

    async def asleep(self) -> None:
        """Wait until the sleeper is asleep again (it did what it does between sleeps)."""
        if self._next is None:
            self._next = await self._asleep.get()

    async def fire(self) -> float:
        await self.asleep()
        assert self._next is not None
        (seconds, wake), self._next = self._next, None
        self.clock.advance(timedelta(seconds=seconds))
        wake.set_result(None)
        return seconds


async def test_a_long_job_renews_its_lease_and_stops_when_the_lease_is_lost(db, clock, settings) -> None:
    job = Counting(hold=True)
    timer = ManualTimer(clock)
    jobs = JobRunner(db, clock, settings, {"sla-scan": job}, "host-a:1:aa", sleep=timer.sleep)
    run = asyncio.create_task(jobs.run("sla-scan"))
    await job.started.wait()

    assert await timer.fire() == settings.job_lease_seconds / 3
    await timer.asleep()  # the renewal is written before the next sleep starts
    assert (await lease_doc(db, "sla-scan"))["leaseUntil"] == clock() + timedelta(
        seconds=settings.job_lease_seconds
    )

    # Another runner took the lease over (this one looked dead): the next renewal fails.
    await db["job_leases"].update_one({"_id": "sla-scan"}, {"$set": {"runId": "other", "owner": "host-b"}})
    await timer.fire()
    outcome = await run

    assert outcome.status is RunStatus.FAILED and outcome.run and outcome.run.error_type == "LeaseLost"
    assert (await lease_doc(db, "sla-scan"))["owner"] == "host-b"  # the successor's lease is untouched


async def test_one_scheduled_iteration_runs_the_job_and_survives_a_database_error(
    db, clock, settings
) -> None:
    job = Counting()
    jobs = runner(db, clock, settings, sla_scan=job)
    assert (await scheduled_run(jobs, "sla-scan")).status is RunStatus.SUCCEEDED

    await db.drop_collection("job_runs")
    await db.create_collection("job_runs", validator={"$jsonSchema": {"required": ["nothing"]}})
    assert await scheduled_run(jobs, "sla-scan") is None  # logged; the schedule goes on
    assert (await lease_doc(db, "sla-scan"))["leaseUntil"] == clock()  # freed all the same


async def test_the_schedule_refuses_unknown_jobs_and_stops_cleanly(db, clock, settings) -> None:
    job = Counting()
    jobs = runner(db, clock, settings, sla_scan=job)
    with pytest.raises(ValueError, match=r"unknown jobs \['sla-scna'\]"):
        start_schedule(jobs, {"sla-scna": 60})

    timer = ManualTimer(clock)
    tasks = start_schedule(jobs, {"sla-scan": 60}, sleep=timer.sleep)
    assert await timer.fire() == 60  # ran once at start, then waited its interval
    await stop_schedule(tasks)
    assert len(job.runs) >= 1 and all(t.done() for t in tasks)


async def test_a_job_stopped_at_shutdown_is_recorded_and_frees_its_lease(db, clock, settings) -> None:
    job = Counting(hold=True)
    tasks = start_schedule(runner(db, clock, settings, sla_scan=job), {"sla-scan": 60})
    await job.started.wait()

    await stop_schedule(tasks)

    assert (await db["job_runs"].find_one({}))["errorType"] == "CancelledError"
    assert (await lease_doc(db, "sla-scan"))["leaseUntil"] == clock()


def test_the_schedule_setting_reads_json_and_is_empty_by_default(settings, monkeypatch) -> None:
    assert settings.jobs_schedule == {}
    monkeypatch.setenv("RAPPORT_JOBS_SCHEDULE", '{"sla-scan": 60}')
    assert type(settings)(_env_file=None).jobs_schedule == {"sla-scan": 60}


# --- the CLI, as an operator runs it, with a job registered by the test ---

CLI_WITH_JOBS = """
import sys
import main
from domain.jobs import JobResult
from server.jobs import JOBS

async def tidy(ctx):
    return JobResult(examined=2, changed=0, summary=f"day {ctx.date}")

async def broken(ctx):
    raise KeyError("x")

JOBS["tidy"] = tidy
JOBS["broken"] = broken
sys.argv = ["main.py", *sys.argv[1:]]
main.main()
"""


def _cli(*args: str, uri: str, db_name: str, jobs: bool = True) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "RAPPORT_MONGODB_URI": uri,
        "RAPPORT_MONGODB_DB": db_name,
        "RAPPORT_LOG_LEVEL": "WARNING",
        "RAPPORT_JOBS_SCHEDULE": json.dumps({"tidy": 60}),
    }
    command = ["-c", CLI_WITH_JOBS] if jobs else ["main.py"]
    return subprocess.run(
        [sys.executable, *command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_the_jobs_cli(mongo_uri, mongo_client) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        unknown = _cli("jobs", "run", "nosuch", uri=mongo_uri, db_name=db_name)
        registered = ", ".join(sorted([*JOBS, "broken", "tidy"]))  # the service's jobs and the test's
        assert (unknown.returncode, unknown.stderr) == (
            2,
            f"error: no job named 'nosuch'; jobs: {registered}\n",
        )

        ran = _cli("jobs", "run", "tidy", "--date", "2026-11-20", uri=mongo_uri, db_name=db_name)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.startswith("tidy: succeeded in ") and ran.stdout.endswith(
            "examined 2, changed 0: day 2026-11-20\n"
        )

        failed = _cli("jobs", "run", "broken", uri=mongo_uri, db_name=db_name)
        assert (failed.returncode, failed.stderr.splitlines()[-1]) == (
            2,
            "error: job broken failed: KeyError (see the log)",
        )

        db = mongo_client[db_name]
        far = datetime.now(UTC) + timedelta(hours=1)
        await db["job_leases"].update_one(
            {"_id": "tidy"}, {"$set": {"runId": "r", "owner": "host-z:7:zz", "leaseUntil": far}}
        )
        skipped = _cli("jobs", "run", "tidy", uri=mongo_uri, db_name=db_name)
        assert skipped.returncode == 0, skipped.stderr
        assert skipped.stdout.startswith("tidy: skipped, it is running elsewhere (lease held by host-z:7:zz")

        listing = _cli("jobs", "list", uri=mongo_uri, db_name=db_name).stdout.splitlines()
        assert listing[0].split() == ["JOB", "SCHEDULE", "LAST", "RUN", "RESULT", "RUNNING", "NOW"]
        rows = {line.split()[0]: line for line in listing[1:]}
        assert list(rows) == sorted({*JOBS, "broken", "tidy"})  # the service's own jobs too
        assert "FAILED (KeyError)" in rows["broken"]
        assert "SUCCEEDED" not in rows["sla-scan"] and "FAILED" not in rows["sla-scan"]  # never run here
        assert "every 60 s" in rows["tidy"]
        assert "SUCCEEDED (examined 2, changed 0)" in rows["tidy"] and "host-z:7:zz until" in rows["tidy"]

        typo = _cli("serve", uri=mongo_uri, db_name=db_name, jobs=False)  # schedules {"tidy": 60}
        assert typo.returncode == 2 and typo.stderr.startswith(
            "error: RAPPORT_JOBS_SCHEDULE names unknown jobs: tidy; jobs: "
        )
        plain = _cli("jobs", "list", uri=mongo_uri, db_name=db_name, jobs=False)  # the real registry
        assert plain.returncode == 0 and plain.stderr == "", plain.stderr
    finally:
        await mongo_client.drop_database(db_name)


async def test_the_migration_is_idempotent(bare_db, clock) -> None:
    await migrate(bare_db, clock())
    await bare_db["_migrations"].delete_one({"_id": 10})
    assert await migrate(bare_db, clock()) == [10]
    indexes = await bare_db["job_runs"].index_information()
    assert indexes["job_runs_latest_first"]["key"] == [("job", 1), ("startedAt", -1), ("_id", -1)]
