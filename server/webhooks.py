"""What the webhook-deliveries job needs from outside the use cases: the body of an event
as the webhook's viewer reads it (a GraphQL query through the schema, so the access
policy and masking are the graph's own), the HTTP POST (httpx), and the production
address check at send time."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import httpx

from domain.events import Event, EventType, Topic
from domain.users import Role, User
from domain.webhooks import Webhook, refused_addresses
from resolvers.jobs import JobContext
from resolvers.webhook_delivery import Sender, deliver_webhooks
from resolvers.webhooks import resolved_addresses
from schema import build_schema
from schema.node import global_id
from server import metrics
from server.runtime import query_limits, request_context

CUSTOMER = """query($id: ID!) { customer(id: $id) {
  id kind name email phone lifecycleStage version updatedAt } }"""
KEY_ACCOUNT = """query($id: ID!, $record: ID!, $withRecord: Boolean!) {
  keyAccount(id: $id) {
    id grade category industry version nextVisitDueAt customer { id name } manager { id } team { id } }
  record: node(id: $record) @include(if: $withRecord) {
    __typename id
    ... on VisitLog { visitedAt purpose nextVisitAt }
    ... on FollowUp { action dueAt done }
    ... on Contact { name title decisionRole }
    ... on ServiceContract { startsOn endsOn }
    ... on ContactRelationship { relationship from { id } to { id } }
  } }"""
COMPLAINT = """query($id: ID!) { complaint(id: $id) {
  id kind category severity status summary receivedAt version
  customer { id name } owner { id name } department { id name } } }"""

#: The Node type of an event's record, by event type.
RECORD_TYPES = {
    EventType.VISIT_LOGGED: "VisitLog",
    EventType.FOLLOW_UP_COMPLETED: "FollowUp",
    EventType.CONTACT_ADDED: "Contact",
    EventType.CONTACT_UPDATED: "Contact",
    EventType.CONTACT_REMOVED: "Contact",
    EventType.CONTRACT_ADDED: "ServiceContract",
    EventType.CONTACTS_LINKED: "ContactRelationship",
    EventType.CONTACTS_UNLINKED: "ContactRelationship",  # null: it is gone
}


def webhook_viewer(webhook: Webhook) -> User:
    """Whom a webhook reads as: its partner's portal, or (no partner) an administrator."""
    if webhook.partner_id is not None:
        return User(id=webhook.id, name="webhook", role=Role.PARTNER, partner_id=webhook.partner_id)
    return User(id=webhook.id, name="webhook", role=Role.ADMIN)


def _query(event: Event) -> tuple[str, str, dict[str, Any]]:
    """(document, root field, variables) reading what the event is about."""
    if event.topic is Topic.CUSTOMER:
        return CUSTOMER, "customer", {"id": global_id("Customer", event.customer_id)}
    if event.topic is Topic.KEY_ACCOUNT:
        record_type = RECORD_TYPES.get(event.type)
        record = global_id(record_type, event.record_id) if record_type and event.record_id else ""
        variables = {"id": global_id("KeyAccount", event.key_account_id or ""), "record": record}
        return KEY_ACCOUNT, "keyAccount", {**variables, "withRecord": bool(record)}
    return COMPLAINT, "complaint", {"id": global_id("Complaint", event.complaint_id or "")}


def renderer(job: JobContext) -> Any:
    schema = build_schema(query_limits(job.settings))

    async def render(event: Event, webhook: Webhook) -> Mapping[str, Any] | None:
        context = request_context(
            job.db, job.clock, job.settings, webhook_viewer(webhook), f"webhook:{webhook.id}:{event.id}"
        )
        document, root, variables = _query(event)
        result = await schema.execute(document, variable_values=variables, context_value=context)
        if result.errors:
            raise RuntimeError(f"the {root} body of a webhook failed: {result.errors[0].message}")
        data = result.data or {}
        return data if data.get(root) is not None else None

    return render


async def deliver(job: JobContext) -> Any:
    """The registered job: fan out, then send what is due, over one HTTP client."""
    rules = job.settings.webhook_rules

    async def reachable(url: str) -> bool:
        if not rules.check_addresses:
            return True
        try:
            addresses = await resolved_addresses(httpx.URL(url).host)
        except OSError:
            return False
        return not refused_addresses(addresses, rules.allowed_networks)

    async with httpx.AsyncClient(timeout=job.settings.webhook_timeout_s, follow_redirects=False) as client:

        async def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
            response = await client.post(url, content=body, headers=dict(headers))
            return response.status_code

        sender = Sender(
            render=renderer(job),
            post=post,
            reachable=reachable,
            draw=random.random,
            observe=metrics.observe_webhook_attempt,
        )
        return await deliver_webhooks(job, sender)
