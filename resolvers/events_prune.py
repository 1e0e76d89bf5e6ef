"""The events-prune job: events older than RAPPORT_EVENT_RETENTION_DAYS leave the log,
except those still needed: not fanned out to webhooks yet, with a delivery still pending
(a redelivery makes an old one pending again), or younger than a window that may still
read them (a subscriber's resume window, a delivery's retry window).

Safe to run twice: each delete is conditional on what made the event prunable, so a
second run finds nothing left and changes nothing. In pages on the `(at,_id)` index.
"""

from __future__ import annotations

from datetime import timedelta

from domain.events import prune_before
from domain.jobs import JobResult
from repositories.events import EventRepository
from repositories.webhooks import WebhookRepository
from resolvers.jobs import JobContext

#: Events read per page (then one query for their pending deliveries, one delete).
BATCH = 1000


async def events_prune(job: JobContext) -> JobResult:
    settings = job.settings
    before = prune_before(
        job.clock(),
        timedelta(days=settings.event_retention_days),
        timedelta(minutes=settings.subscription_resume_window_minutes),
        settings.webhook_rules.retry.window,
    )
    events, webhooks = EventRepository(job.db), WebhookRepository(job.db)
    examined = removed = kept = 0
    after = None
    while page := await events.prunable(before, after, BATCH):
        ids = [key.id for key in page]
        pending = await webhooks.pending_for(ids)
        removed += await events.prune([i for i in ids if i not in pending], before)
        examined += len(page)
        kept += len(pending)
        after = page[-1]
    return JobResult(
        examined=examined,
        changed=removed,
        summary=f"{removed} events older than {before.date().isoformat()} pruned; "
        f"{kept} kept for pending webhook deliveries",
    )
