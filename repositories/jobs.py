"""Job leases and the run history.

`job_leases` holds one document per job name (`_id` = the name): the run holding it
(`runId`), the runner process it belongs to (`owner`, for people reading it), and
`leaseUntil`. Taking a lease is one conditional upsert; renewing and releasing are
conditional on the run that holds it, so a run whose lease ran out and was taken over
can neither extend nor free its successor's.

`job_runs` holds one document per finished run: times, status, counts and summary, the
error's class name on failure. Never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.jobs import JobResult, JobRun, Lease, RunStatus

LEASES = "job_leases"
RUNS = "job_runs"


def _lease(doc: Mapping[str, Any]) -> Lease:
    return Lease(
        job=doc["_id"],
        run_id=doc["runId"],
        runner=doc["owner"],
        acquired_at=doc["acquiredAt"],
        lease_until=doc["leaseUntil"],
    )


def _run_document(run: JobRun) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": ObjectId(run.id),
        "job": run.job,
        "runner": run.runner,
        "startedAt": run.started_at,
        "finishedAt": run.finished_at,
        "status": run.status.value,
    }
    if run.result is not None:
        doc["examined"] = run.result.examined
        doc["changed"] = run.result.changed
        doc["summary"] = run.result.summary
    if run.error_type is not None:
        doc["errorType"] = run.error_type
    return doc


def _run(doc: Mapping[str, Any]) -> JobRun:
    result = (
        JobResult(examined=doc["examined"], changed=doc["changed"], summary=doc["summary"])
        if "examined" in doc
        else None
    )
    return JobRun(
        id=str(doc["_id"]),
        job=doc["job"],
        runner=doc["runner"],
        started_at=doc["startedAt"],
        finished_at=doc["finishedAt"],
        status=RunStatus(doc["status"]),
        result=result,
        error_type=doc.get("errorType"),
    )


class JobLeaseRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._leases = db[LEASES]

    async def acquire(
        self, job: str, run_id: str, owner: str, now: datetime, until: datetime
    ) -> Lease | None:
        """The lease for `run_id`, or None when another run holds it. One conditional
        upsert: it matches only a lease that ran out; when the lease is held, the filter
        matches nothing and the upsert's insert collides on `_id`, which means just that.
        The same runner does not re-enter its own lease, so one process never overlaps
        with itself either."""
        try:
            doc = await self._leases.find_one_and_update(
                {"_id": job, "leaseUntil": {"$lte": now}},
                {"$set": {"runId": run_id, "owner": owner, "acquiredAt": now, "leaseUntil": until}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return None
        return None if doc is None else _lease(doc)

    async def renew(self, job: str, run_id: str, until: datetime) -> bool:
        """Extend the lease while `run_id` still holds it; False when it was lost."""
        result = await self._leases.update_one({"_id": job, "runId": run_id}, {"$set": {"leaseUntil": until}})
        return result.matched_count == 1

    async def release(self, job: str, run_id: str, now: datetime) -> bool:
        """End the lease now, if `run_id` still holds it. The document stays (its `_id`
        is what makes the next acquire conditional); only its end moves."""
        result = await self._leases.update_one({"_id": job, "runId": run_id}, {"$set": {"leaseUntil": now}})
        return result.matched_count == 1

    async def held(self, now: datetime) -> dict[str, Lease]:
        """The leases held at `now`, by job name."""
        return {doc["_id"]: _lease(doc) async for doc in self._leases.find({"leaseUntil": {"$gt": now}})}


class JobRunRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._runs = db[RUNS]

    @staticmethod
    def new_id() -> str:
        return str(ObjectId())

    async def record(self, run: JobRun) -> None:
        await self._runs.insert_one(_run_document(run))

    async def history(self, job: str, limit: int) -> list[JobRun]:
        """The job's latest runs, newest first (the `(job, startedAt desc)` index)."""
        cursor = self._runs.find({"job": job}).sort([("startedAt", DESCENDING), ("_id", DESCENDING)])
        return [_run(doc) async for doc in cursor.limit(limit)]

    async def latest(self, jobs: list[str]) -> dict[str, JobRun]:
        """Each job's latest run, for those that ran (one aggregate for all of them)."""
        pipeline: list[dict[str, Any]] = [
            {"$match": {"job": {"$in": jobs}}},
            {"$sort": {"job": 1, "startedAt": -1, "_id": -1}},
            {"$group": {"_id": "$job", "run": {"$first": "$$ROOT"}}},
        ]
        cursor = await self._runs.aggregate(pipeline)
        return {doc["_id"]: _run(doc["run"]) async for doc in cursor}

    async def prune(self, job: str, started_before: datetime) -> int:
        """Forget the job's runs that started before `started_before`; how many went."""
        result = await self._runs.delete_many({"job": job, "startedAt": {"$lt": started_before}})
        return result.deleted_count
