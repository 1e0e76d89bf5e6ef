"""The sla-scan job: record an SLA_BREACHED event once per breached clock, for later
notification. Breaches are visible by query at any time without it (complaints filter
`breached`, computed from the due times and now); the job only keeps the events."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession

from domain.events import EventType
from domain.jobs import JobResult
from repositories.complaints import Breach, ComplaintRepository
from resolvers import events
from resolvers.jobs import JobContext


async def sla_scan(job: JobContext) -> JobResult:
    now = job.clock()

    async def announce(breach: Breach, session: AsyncClientSession) -> None:
        await events.record(
            job.db,
            session,
            EventType.COMPLAINT_SLA_BREACHED,
            now,
            breach.customer_id,
            key_account_id=breach.key_account_id,
            complaint_id=breach.complaint_id,
            owner_id=breach.owner_id,
            department_id=breach.department_id,
            detail={"clock": breach.clock.value},
        )

    examined, recorded = await ComplaintRepository(job.db).record_breaches(now, announce)
    return JobResult(examined=examined, changed=recorded, summary=f"{recorded} SLA breaches recorded")
