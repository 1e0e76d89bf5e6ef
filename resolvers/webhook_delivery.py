"""The webhook-deliveries job: fan new events out to the endpoints that want them, then
send what is due, each delivery claimed first so no two senders send it at once.

Fan-out makes one delivery per (webhook, event) for each active endpoint that wants the
event's type, was registered before it, and (a partner's) may read what it is about;
then the events are marked fanned out. Re-running it makes nothing twice (unique pairs).
Sending renders the body as the webhook's viewer reads it now (the access policy and
masking of the graph), signs it and POSTs it; a 2xx delivers it, anything else waits
with exponential backoff and jitter until the retry window closes, then it is FAILED.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from domain.events import Event
from domain.jobs import JobResult
from domain.webhooks import Attempt, Delivery, DeliveryStatus, Webhook, delivered, next_attempt, signature
from repositories.events import EventRepository
from repositories.webhooks import WebhookRepository
from resolvers.jobs import JobContext

#: The event as the webhook's viewer may read it (its `data`), or None if it may not.
Render = Callable[[Event, Webhook], Awaitable[Mapping[str, Any] | None]]
#: POST the body with the headers; the receiver's status code (raises when there is none).
Post = Callable[[str, bytes, Mapping[str, str]], Awaitable[int]]
#: Whether the URL's host may be reached now (production re-checks its addresses).
Reachable = Callable[[str], Awaitable[bool]]

FAN_OUT_BATCH = 200
SEND_MAX_PER_RUN = 1000
USER_AGENT = "Rapport-Webhooks/1"


@dataclass(frozen=True)
class Sender:
    render: Render
    post: Post
    reachable: Reachable
    draw: Callable[[], float]  # uniform in [0, 1): the backoff's jitter
    #: Told each attempt's outcome (delivered, retried, gave_up, skipped) and, for those
    #: sent, its seconds: the service's metrics (server/metrics.py).
    observe: Callable[[str, float | None], None] = lambda outcome, seconds: None


def headers(webhook: Webhook, event: Event, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Rapport-Event-Id": event.id,
        "Rapport-Event-Type": event.type.value,
        "Rapport-Delivery-Id": delivery_id,
        "Rapport-Timestamp": str(timestamp),
        "Rapport-Signature": signature(webhook.secret, timestamp, body),
    }


def body_of(event: Event, data: Mapping[str, Any]) -> bytes:
    return orjson.dumps(
        {"id": event.id, "type": event.type.value, "occurredAt": event.at.isoformat(), "data": data}
    )


async def fan_out(job: JobContext, sender: Sender) -> tuple[int, int]:
    """(events examined, deliveries made)."""
    events, webhooks = EventRepository(job.db), WebhookRepository(job.db)
    examined = made = 0
    while batch := await events.to_fan_out(FAN_OUT_BATCH):
        hooks = await webhooks.active()
        pairs = []
        for event in batch:
            for hook in hooks:
                if not hook.wants(event.type) or event.at < hook.created_at:
                    continue
                if hook.partner_id is not None and await sender.render(event, hook) is None:
                    continue  # not about a customer shared with this partner
                pairs.append((hook, event.id, event.type))
        made += await webhooks.add_deliveries(pairs, job.clock())
        await events.fanned_out([e.id for e in batch])
        examined += len(batch)
    return examined, made


@dataclass
class _Tally:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0

    @property
    def sent(self) -> int:
        return self.delivered + self.retrying + self.failed


async def send_due(job: JobContext, sender: Sender) -> _Tally:
    webhooks, events = WebhookRepository(job.db), EventRepository(job.db)
    settings = job.settings
    claimer = secrets.token_hex(8)
    claim_for = timedelta(seconds=settings.webhook_timeout_s * 2 + 30)
    tally = _Tally()
    budget = [SEND_MAX_PER_RUN]

    async def worker() -> None:
        while budget[0] > 0:
            budget[0] -= 1
            now = job.clock()
            delivery = await webhooks.claim_due(now, claimer, now + claim_for)
            if delivery is None:
                return
            await _send_one(job, sender, webhooks, events, delivery, claimer, tally)

    await asyncio.gather(*(worker() for _ in range(settings.webhook_concurrency)))
    return tally


async def _send_one(
    job: JobContext,
    sender: Sender,
    webhooks: WebhookRepository,
    events: EventRepository,
    delivery: Delivery,
    claimer: str,
    tally: _Tally,
) -> None:
    [hook] = await webhooks.by_ids([delivery.webhook_id])
    [event] = await events.by_ids([delivery.event_id])
    data = await sender.render(event, hook) if hook is not None and event is not None else None
    if hook is None or event is None or data is None:
        await webhooks.skip(delivery.id, claimer)
        tally.skipped += 1
        sender.observe("skipped", None)
        return
    now = job.clock()
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    if not await sender.reachable(hook.url):
        error = "RefusedAddress"  # its host resolves to an internal address now
    else:
        body = body_of(event, data)
        try:
            status_code = await sender.post(
                hook.url, body, headers(hook, event, delivery.id, int(now.timestamp()), body)
            )
        except Exception as failure:  # no answer: the class name says why (never its text)
            error = type(failure).__name__
    took = time.monotonic() - started
    attempt = Attempt(at=now, duration_ms=int(took * 1000), status_code=status_code, error=error)
    if status_code is not None and delivered(status_code):
        await webhooks.record_attempt(delivery.id, claimer, attempt, DeliveryStatus.DELIVERED, None)
        tally.delivered += 1
        sender.observe("delivered", took)
        return
    failures = delivery.attempts_in_window + 1
    retry_at = next_attempt(
        job.settings.webhook_rules.retry, failures, delivery.window_start, now, sender.draw()
    )
    if retry_at is None:
        await webhooks.record_attempt(delivery.id, claimer, attempt, DeliveryStatus.FAILED, None)
        tally.failed += 1
        sender.observe("gave_up", took)
        job.log.warning("webhook delivery failed", delivery=delivery.id, webhook=hook.id, attempts=failures)
    else:
        await webhooks.record_attempt(delivery.id, claimer, attempt, DeliveryStatus.PENDING, retry_at)
        tally.retrying += 1
        sender.observe("retried", took)


async def deliver_webhooks(job: JobContext, sender: Sender) -> JobResult:
    examined, made = await fan_out(job, sender)
    tally = await send_due(job, sender)
    return JobResult(
        examined=examined + tally.sent + tally.skipped,
        changed=made + tally.sent + tally.skipped,
        summary=(
            f"{made} deliveries made from {examined} events; {tally.delivered} delivered, "
            f"{tally.retrying} to retry, {tally.failed} failed, {tally.skipped} skipped"
        ),
    )
