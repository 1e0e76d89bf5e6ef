"""The event log also records links between contacts, a key account's manager and team
being assigned and its profile being edited: the event types the validators of `events`,
`webhooks` and `webhook_deliveries` admit."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from migrations import m0016_realtime as base
from migrations.helpers import ensure_collection, enum_of

VERSION = 17
DESCRIPTION = "event types for contact links, manager and team assignments, key-account edits"

EVENT_TYPES = (
    *base.EVENT_TYPES,
    "CONTACTS_LINKED",
    "CONTACTS_UNLINKED",
    "MANAGER_ASSIGNED",
    "TEAM_ASSIGNED",
    "KEY_ACCOUNT_UPDATED",
)


def _with(schema: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], **properties}}


EVENTS = _with(base.EVENTS, type=enum_of(*EVENT_TYPES))
WEBHOOKS = _with(
    base.WEBHOOKS,
    events={"bsonType": "array", "items": enum_of(*EVENT_TYPES), "maxItems": len(EVENT_TYPES)},
)
DELIVERIES = _with(base.DELIVERIES, eventType=enum_of(*EVENT_TYPES))


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "events", EVENTS)
    await ensure_collection(db, "webhooks", WEBHOOKS)
    await ensure_collection(db, "webhook_deliveries", DELIVERIES)
