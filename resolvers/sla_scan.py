"""The sla-scan job: record an SLA_BREACHED event once per breached clock, for later
notification. Breaches are visible by query at any time without it (complaints filter
`breached`, computed from the due times and now); the job only keeps the events."""

from __future__ import annotations

from domain.jobs import JobResult
from repositories.complaints import ComplaintRepository
from resolvers.jobs import JobContext


async def sla_scan(job: JobContext) -> JobResult:
    examined, recorded = await ComplaintRepository(job.db).record_breaches(job.clock())
    return JobResult(examined=examined, changed=recorded, summary=f"{recorded} SLA breaches recorded")
