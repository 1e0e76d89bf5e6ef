"""Recording what changed: every write path that subscribers and webhooks are told about
calls `record` inside the change's transaction (the outbox), so an event exists exactly
when its change committed, whichever instance made it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.events import Event, EventType
from repositories.events import EventRepository


async def record(
    db: AsyncDatabase[dict[str, Any]],
    session: AsyncClientSession,
    type: EventType,
    at: datetime,
    customer_id: str,
    *,
    key_account_id: str | None = None,
    complaint_id: str | None = None,
    record_id: str | None = None,
    owner_id: str | None = None,
    department_id: str | None = None,
    detail: Mapping[str, str] | None = None,
) -> Event:
    event = Event(
        id=str(ObjectId()),
        type=type,
        at=at,
        customer_id=customer_id,
        key_account_id=key_account_id,
        complaint_id=complaint_id,
        record_id=record_id,
        owner_id=owner_id,
        department_id=department_id,
        detail=dict(detail or {}),
    )
    await EventRepository(db).record(event, session)
    return event
