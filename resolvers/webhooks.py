"""Webhook use cases: register, change, remove and list endpoints (ADMIN), read their
deliveries, send one again."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import Sequence
from typing import Any

from domain.errors import InvalidTransition, NotFound, Problem, ValidationFailed
from domain.events import EventType
from domain.validation import Problems
from domain.webhooks import (
    SECRET_PREFIX,
    Delivery,
    DeliveryStatus,
    Webhook,
    WebhookRules,
    check_events,
    check_url,
    host_of,
    may_manage_webhooks,
    refused_addresses,
)
from repositories.pagination import Page, Paging
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt

PARTNER_ID_MAX = 200


async def resolved_addresses(host: str) -> list[str]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


async def check_reachable(rules: WebhookRules, url: str, field_path: str = "url") -> None:
    """In production, refuse a host that resolves to an internal address (loopback,
    link-local, private…) unless an allowed network holds it: a webhook must not be a way
    into the service's own network. Raises ValidationFailed naming the field."""
    if not rules.check_addresses:
        return
    try:
        addresses = await resolved_addresses(host_of(url))
    except OSError as error:
        raise ValidationFailed(
            [Problem(ValidationFailed.code, "the URL's host does not resolve", field_path)]
        ) from error
    if refused := refused_addresses(addresses, rules.allowed_networks):
        message = (
            f"the URL reaches an internal address ({', '.join(refused)}); webhooks go to public endpoints"
        )
        raise ValidationFailed([Problem(ValidationFailed.code, message, field_path)])


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def create_webhook(
    ctx: Context, url: str, events: Sequence[EventType], partner_id: str | None
) -> Outcome[tuple[Webhook, str]]:
    """A new endpoint and its signing secret, answered this once."""

    async def work() -> tuple[Webhook, str]:
        clean_url, types, partner = _checked(url, events, partner_id)
        await check_reachable(ctx.webhook_rules, clean_url)
        secret = new_secret()
        created = await ctx.webhooks.create(clean_url, types, partner, secret, ctx.viewer.id, ctx.clock())
        return created, secret

    return await attempt(work())


def _checked(
    url: str, events: Sequence[EventType], partner_id: str | None
) -> tuple[str, frozenset[EventType], str | None]:
    problems = Problems()
    clean_url = types = None
    try:
        clean_url = check_url(url)
    except ValidationFailed as failed:
        problems.problems.extend(failed.problems)
    try:
        types = check_events(events)
    except ValidationFailed as failed:
        problems.problems.extend(failed.problems)
    partner = problems.text(partner_id, "partnerId", required=False, limit=PARTNER_ID_MAX)
    problems.raise_if_any()
    assert clean_url is not None and types is not None
    return clean_url, types, partner or None


async def update_webhook(
    ctx: Context, webhook_id: str, expected_version: int, changes: dict[str, Any]
) -> Outcome[Webhook]:
    """changes: any of url, events, active."""

    async def work() -> Webhook:
        problems = Problems()
        clean: dict[str, Any] = {}
        if changes.get("url") is not None:
            try:
                clean["url"] = check_url(changes["url"])
            except ValidationFailed as failed:
                problems.problems.extend(failed.problems)
        if changes.get("events") is not None:
            try:
                clean["events"] = check_events(changes["events"])
            except ValidationFailed as failed:
                problems.problems.extend(failed.problems)
        if changes.get("active") is not None:
            clean["active"] = changes["active"]
        problems.raise_if_any()
        if "url" in clean:
            await check_reachable(ctx.webhook_rules, clean["url"])
        webhook = await ctx.webhooks.get(webhook_id)
        return await ctx.webhooks.update(webhook, expected_version, clean, ctx.clock())

    return await attempt(work())


async def delete_webhook(ctx: Context, webhook_id: str) -> Outcome[Webhook]:
    async def work() -> Webhook:
        webhook = await ctx.webhooks.get(webhook_id)
        await ctx.webhooks.delete(webhook.id)
        return webhook

    return await attempt(work())


async def webhooks_by_ids(ctx: Context, ids: list[str]) -> list[Webhook | None]:
    if not may_manage_webhooks(ctx.viewer):
        return [None for _ in ids]
    return await ctx.webhooks.by_ids(ids)


async def list_webhooks(ctx: Context, paging: Paging) -> Page[Webhook]:
    return await ctx.webhooks.page(paging)


async def deliveries_by_ids(ctx: Context, ids: list[str]) -> list[Delivery | None]:
    if not may_manage_webhooks(ctx.viewer):
        return [None for _ in ids]
    return await ctx.webhooks.deliveries_by_ids(ids)


async def list_deliveries(
    ctx: Context, webhook_id: str, status: DeliveryStatus | None, paging: Paging
) -> Page[Delivery]:
    await ctx.webhooks.get(webhook_id, "webhookId")
    return await ctx.webhooks.delivery_pages(webhook_id, status, paging)


async def redeliver(ctx: Context, delivery_id: str) -> Outcome[Delivery]:
    """Send a delivered or failed delivery again, with the same event id and a fresh retry
    window. A pending one is on its way already (INVALID_TRANSITION)."""

    async def work() -> Delivery:
        [delivery] = await ctx.webhooks.deliveries_by_ids([delivery_id])
        if delivery is None:
            raise NotFound("no webhook delivery with this id", "deliveryId")
        if delivery.status is DeliveryStatus.PENDING:
            raise InvalidTransition("this delivery is pending: it is sent at its next attempt", "deliveryId")
        return await ctx.webhooks.redeliver(delivery, ctx.clock())

    return await attempt(work())
