"""Webhooks in the graph (ADMIN only): register endpoints, see their deliveries, send one
again. The signing secret is answered once, by createWebhook."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain.events import EventType as DomainEventType
from domain.webhooks import Attempt as DomainAttempt
from domain.webhooks import Delivery as DomainDelivery
from domain.webhooks import DeliveryStatus as DomainDeliveryStatus
from domain.webhooks import Webhook as DomainWebhook
from repositories.pagination import Paging
from resolvers import webhooks as use_cases
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond, sent_fields
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, connection
from schema.permissions import CanManageWebhooks

EventType = DomainEventType
strawberry.enum(
    EventType,
    name="EventType",
    description="What changed: the events subscriptions and webhooks are told about.",
)
WebhookDeliveryStatus = DomainDeliveryStatus
strawberry.enum(
    WebhookDeliveryStatus,
    name="WebhookDeliveryStatus",
    description="PENDING (waiting for its next attempt), DELIVERED (a 2xx answer), FAILED (every "
    "attempt of the retry window failed), SKIPPED (the webhook may no longer read the event's subject).",
)


@node_type
@strawberry.type(description="An endpoint told about events, signed with its secret. ADMIN only.")
class Webhook(Node):
    url: str
    events: list[EventType]
    partner_id: str | None = strawberry.field(
        description="A partner's endpoint receives only events about customers shared with the "
        "partner, masked as the partner reads them; without one, what an ADMIN reads."
    )
    active: bool
    created_at: datetime
    updated_at: datetime | None
    version: int

    @classmethod
    def from_domain(cls, hook: DomainWebhook) -> Webhook:
        return cls(
            id=global_id("Webhook", hook.id),
            url=hook.url,
            events=sorted(hook.events, key=lambda e: e.value),
            partner_id=hook.partner_id,
            active=hook.active,
            created_at=hook.created_at,
            updated_at=hook.updated_at,
            version=hook.version,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Webhook | None]:
        found = await use_cases.webhooks_by_ids(info.context, ids)
        return [cls.from_domain(h) if h else None for h in found]


@strawberry.type(description="One attempt to deliver: the receiver's status code, or why there was none.")
class WebhookAttempt:
    at: datetime
    duration_ms: int
    status_code: int | None
    error: str | None = strawberry.field(
        description="The failure's kind (e.g. ConnectError), never its text."
    )

    @classmethod
    def from_domain(cls, attempt: DomainAttempt) -> WebhookAttempt:
        return cls(
            at=attempt.at,
            duration_ms=attempt.duration_ms,
            status_code=attempt.status_code,
            error=attempt.error,
        )


@node_type
@strawberry.type(description="One event sent to one webhook, with its attempts. ADMIN only.")
class WebhookDelivery(Node):
    event_id: str = strawberry.field(description="The Rapport-Event-Id header: the same on every attempt.")
    event_type: EventType
    status: WebhookDeliveryStatus
    created_at: datetime
    next_attempt_at: datetime | None = strawberry.field(description="While PENDING.")
    attempt_count: int
    attempts: list[WebhookAttempt]
    delivered_at: datetime | None
    failed_at: datetime | None
    _delivery: strawberry.Private[DomainDelivery]

    @strawberry.field
    async def webhook(self, info: strawberry.Info) -> Webhook | None:
        [found] = await use_cases.webhooks_by_ids(info.context, [self._delivery.webhook_id])
        return Webhook.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, delivery: DomainDelivery) -> WebhookDelivery:
        pending = delivery.status is DomainDeliveryStatus.PENDING
        return cls(
            id=global_id("WebhookDelivery", delivery.id),
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=delivery.status,
            created_at=delivery.created_at,
            next_attempt_at=delivery.next_attempt_at if pending else None,
            attempt_count=len(delivery.attempts),
            attempts=[WebhookAttempt.from_domain(a) for a in delivery.attempts],
            delivered_at=delivery.delivered_at,
            failed_at=delivery.failed_at,
            _delivery=delivery,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[WebhookDelivery | None]:
        found = await use_cases.deliveries_by_ids(info.context, ids)
        return [cls.from_domain(d) if d else None for d in found]


@strawberry.input
class WebhookDeliveryFilter:
    status: WebhookDeliveryStatus | None = None


@strawberry.type
class WebhookQueries:
    @connection(permission_classes=[CanManageWebhooks], description="Webhooks, newest first (ADMIN).")
    async def webhooks(self, info: strawberry.Info, paging: Paging) -> Connection[Webhook]:
        page = await use_cases.list_webhooks(info.context, paging)
        return Connection.of(page, Webhook.from_domain, info.context.cursors)

    @connection(
        permission_classes=[CanManageWebhooks],
        description="A webhook's deliveries, newest first; `filter.status: FAILED` lists those that "
        "gave up (ADMIN).",
    )
    async def webhook_deliveries(
        self,
        info: strawberry.Info,
        webhook_id: strawberry.ID,
        paging: Paging,
        filter: WebhookDeliveryFilter | None = None,
    ) -> Connection[WebhookDelivery]:
        local = argument_id(webhook_id, "Webhook", "webhookId")
        status = filter.status if filter else None
        page = await use_cases.list_deliveries(info.context, local, status, paging)
        return Connection.of(page, WebhookDelivery.from_domain, info.context.cursors)


@strawberry.input
class CreateWebhookInput:
    url: str = strawberry.field(
        description="http(s); in production not a loopback, link-local or private address "
        "(RAPPORT_WEBHOOK_ALLOWED_NETWORKS lists exceptions)."
    )
    events: list[EventType]
    partner_id: str | None = None


@strawberry.type
class CreateWebhookPayload:
    webhook: Webhook | None
    secret: str | None = strawberry.field(
        description="The signing secret (whsec_…), answered this once: keep it where the receiver checks signatures."
    )
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[tuple[DomainWebhook, str]]) -> CreateWebhookPayload:
        made = payload(WebhookPayload, "webhook", outcome, lambda pair: Webhook.from_domain(pair[0]))
        secret = outcome.value[1] if outcome.value is not None else None
        return cls(webhook=made.webhook, secret=secret, errors=made.errors)


@strawberry.input
class UpdateWebhookInput:
    id: strawberry.ID
    expected_version: int
    url: str | None = strawberry.UNSET
    events: list[EventType] | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET


@strawberry.type
class WebhookPayload:
    webhook: Webhook | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[DomainWebhook]) -> WebhookPayload:
        return payload(cls, "webhook", outcome, Webhook.from_domain)


@strawberry.input
class DeleteWebhookInput:
    id: strawberry.ID


@strawberry.input
class RedeliverWebhookInput:
    delivery_id: strawberry.ID


@strawberry.type
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[DomainDelivery]) -> RedeliverWebhookPayload:
        return payload(cls, "delivery", outcome, WebhookDelivery.from_domain)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        permission_classes=[CanManageWebhooks],
        description="Register an endpoint for some event types; answers its signing secret once (ADMIN).",
    )
    async def create_webhook(self, info: strawberry.Info, input: CreateWebhookInput) -> CreateWebhookPayload:
        async def use_case() -> Outcome[tuple[DomainWebhook, str]]:
            return await use_cases.create_webhook(info.context, input.url, input.events, input.partner_id)

        return await respond(CreateWebhookPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=[CanManageWebhooks],
        description="Change a webhook's URL, event types or whether it is active (ADMIN).",
    )
    async def update_webhook(self, info: strawberry.Info, input: UpdateWebhookInput) -> WebhookPayload:
        async def use_case() -> Outcome[DomainWebhook]:
            ids = InputIds()
            webhook_id = ids.one(input.id, "Webhook", "id")
            ids.check()
            changes = {
                k: v for k, v in sent_fields(input, ("url", "events", "active")).items() if v is not None
            }
            return await use_cases.update_webhook(info.context, webhook_id, input.expected_version, changes)

        return await respond(WebhookPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=[CanManageWebhooks],
        description="Remove a webhook and its deliveries; answers what was removed (ADMIN).",
    )
    async def delete_webhook(self, info: strawberry.Info, input: DeleteWebhookInput) -> WebhookPayload:
        async def use_case() -> Outcome[DomainWebhook]:
            ids = InputIds()
            webhook_id = ids.one(input.id, "Webhook", "id")
            ids.check()
            return await use_cases.delete_webhook(info.context, webhook_id)

        return await respond(WebhookPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=[CanManageWebhooks],
        description="Send a delivered or failed delivery again: same event id, a fresh retry window (ADMIN).",
    )
    async def redeliver_webhook(
        self, info: strawberry.Info, input: RedeliverWebhookInput
    ) -> RedeliverWebhookPayload:
        async def use_case() -> Outcome[DomainDelivery]:
            ids = InputIds()
            delivery_id = ids.one(input.delivery_id, "WebhookDelivery", "deliveryId")
            ids.check()
            return await use_cases.redeliver(info.context, delivery_id)

        return await respond(RedeliverWebhookPayload.of, use_case)
