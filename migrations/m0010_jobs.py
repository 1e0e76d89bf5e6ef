"""Job leases (one per job name) and the run history."""

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 10
DESCRIPTION = "job_leases and job_runs collections, runs indexed by job and start"

JOB_NAME = {"bsonType": "string", "minLength": 1, "maxLength": 64}
RUNNER = {"bsonType": "string", "minLength": 1, "maxLength": 200}

JOB_LEASES = {
    "bsonType": "object",
    "required": ["_id", "runId", "owner", "acquiredAt", "leaseUntil"],
    "additionalProperties": False,
    "properties": {
        "_id": JOB_NAME,
        "runId": STRING,
        "owner": RUNNER,
        "acquiredAt": DATE,
        "leaseUntil": DATE,
    },
}

JOB_RUNS = {
    "bsonType": "object",
    "required": ["_id", "job", "runner", "startedAt", "finishedAt", "status"],
    "additionalProperties": False,
    "properties": {
        "_id": {"bsonType": "objectId"},
        "job": JOB_NAME,
        "runner": RUNNER,
        "startedAt": DATE,
        "finishedAt": DATE,
        # Skipped runs are not recorded: every instance but one skips every interval.
        "status": enum_of("SUCCEEDED", "FAILED"),
        "examined": {**INT, "minimum": 0},
        "changed": {**INT, "minimum": 0},
        "summary": {"bsonType": "string", "maxLength": 200},
        "errorType": {"bsonType": "string", "maxLength": 200},
    },
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "job_leases", JOB_LEASES)
    await ensure_collection(db, "job_runs", JOB_RUNS)
    await db["job_runs"].create_indexes(
        [IndexModel([("job", ASC), ("startedAt", DESC), ("_id", DESC)], name="job_runs_latest_first")]
    )
