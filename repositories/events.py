"""The event log (`events`): the outbox every change writes in its own transaction, and
the change stream over it that subscriptions read.

An event is inserted in the transaction of the change it describes, so it exists if and
only if the change committed. Webhook deliveries are fanned out from it by a job
(`fanOut: true` marks those not fanned out yet, on a partial index); subscriptions watch
its inserts through a MongoDB change stream (the embedded server has them too), resuming
from the stream's resume token after a dropped connection or a database restart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from domain.events import Event, EventType, Topic
from repositories.documents import object_ids
from repositories.personal_data import Holding, Owner

EVENTS = "events"
#: Ids, codes and times only: exported with the customer, nothing to erase.
PERSONAL_DATA = Holding(EVENTS, Owner.CUSTOMER, ("customerId",))

_IDS = {
    "customerId": "customer_id",
    "keyAccountId": "key_account_id",
    "complaintId": "complaint_id",
    "recordId": "record_id",
    "ownerId": "owner_id",
    "departmentId": "department_id",
}


def event_document(event: Event) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": ObjectId(event.id),
        "type": event.type.value,
        "topic": event.topic.value,
        "at": event.at,
        "fanOut": True,
    }
    for name, attribute in _IDS.items():
        if (value := getattr(event, attribute)) is not None:
            doc[name] = ObjectId(value)
    if event.detail:
        doc["detail"] = dict(event.detail)
    return doc


def to_event(doc: Mapping[str, Any]) -> Event:
    ids = {attribute: str(doc[name]) for name, attribute in _IDS.items() if doc.get(name) is not None}
    return Event(
        id=str(doc["_id"]),
        type=EventType(doc["type"]),
        at=doc["at"],
        detail=dict(doc.get("detail") or {}),
        **ids,
    )


@dataclass(frozen=True)
class EventKey:
    """An event's place in the log's (at, id) order."""

    at: datetime
    id: str


@dataclass(frozen=True)
class Change:
    """An event as the change stream delivered it, with the stream's position after it."""

    event: Event
    resume_token: Mapping[str, Any]


@dataclass(frozen=True)
class EventFilter:
    """Which events a stream carries: one topic, optionally narrowed to one record."""

    topic: Topic
    customer_id: str | None = None
    key_account_id: str | None = None
    owner_id: str | None = None
    department_id: str | None = None

    def match(self) -> dict[str, Any]:
        query: dict[str, Any] = {"operationType": "insert", "fullDocument.topic": self.topic.value}
        for name, value in (
            ("customerId", self.customer_id),
            ("keyAccountId", self.key_account_id),
            ("ownerId", self.owner_id),
            ("departmentId", self.department_id),
        ):
            if value is not None:
                query[f"fullDocument.{name}"] = ObjectId(value)
        return query


class EventRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._events = db[EVENTS]

    async def record(self, event: Event, session: AsyncClientSession) -> None:
        """Always inside the change's transaction: the event commits with it or not at all."""
        await self._events.insert_one(event_document(event), session=session)

    async def by_ids(self, ids: Sequence[str]) -> list[Event | None]:
        found = {
            str(d["_id"]): to_event(d) async for d in self._events.find({"_id": {"$in": object_ids(ids)}})
        }
        return [found.get(i) for i in ids]

    async def to_fan_out(self, limit: int) -> list[Event]:
        """The oldest events whose webhook deliveries are not made yet."""
        cursor = self._events.find({"fanOut": True}).sort([("at", 1), ("_id", 1)]).limit(limit)
        return [to_event(d) async for d in cursor]

    async def fanned_out(self, event_ids: Sequence[str]) -> None:
        await self._events.update_many({"_id": {"$in": object_ids(event_ids)}}, {"$unset": {"fanOut": ""}})

    async def prunable(self, before: datetime, after: EventKey | None, limit: int) -> list[EventKey]:
        """The oldest events committed before `before` and fanned out already, after
        `after` in (at, id) order: a page of what the prune may delete (on `(at,_id)`)."""
        query: dict[str, Any] = {"at": {"$lt": before}, "fanOut": {"$exists": False}}
        if after is not None:
            at, last = after.at, ObjectId(after.id)
            query["$or"] = [{"at": {"$gt": at}}, {"at": at, "_id": {"$gt": last}}]
        cursor = self._events.find(query, {"at": 1}).sort([("at", 1), ("_id", 1)]).limit(limit)
        return [EventKey(d["at"], str(d["_id"])) async for d in cursor]

    async def prune(self, event_ids: Sequence[str], before: datetime) -> int:
        """Delete these events, each only while it is still before `before` and fanned
        out (so a repeat, or a page read before a change, deletes nothing else)."""
        if not event_ids:
            return 0
        removed = await self._events.delete_many(
            {"_id": {"$in": object_ids(event_ids)}, "at": {"$lt": before}, "fanOut": {"$exists": False}}
        )
        return removed.deleted_count

    async def position(self) -> Mapping[str, Any]:
        """Where the log stands now, as a resume token: a stream started after it carries
        every event committed from now on (and none committed before). The stream that
        reads it is opened and closed at once (it matches nothing)."""
        nothing = [{"$match": {"operationType": "none"}}]
        async with await self._events.watch(nothing, max_await_time_ms=1) as stream:
            while stream.resume_token is None and stream.alive:
                await stream.try_next()  # a server that names no position at open does at its first answer
            if stream.resume_token is None:
                raise RuntimeError("the change stream named no position")
            return stream.resume_token

    async def watch(
        self, where: EventFilter, resume_after: Mapping[str, Any] | None, max_await_ms: int
    ) -> AsyncIterator[Change | Mapping[str, Any]]:
        """The events inserted from now (or after `resume_after`, a resume token), as they
        commit. Between events it yields the stream's current resume token (a mapping)
        each time the server answers with nothing new, so a reader always holds a position
        to resume from, even before its first event. Errors (the database going away)
        propagate: the reader reopens the stream from its last position."""
        stream = await self._events.watch(
            [{"$match": where.match()}], start_after=resume_after, max_await_time_ms=max_await_ms
        )
        async with stream:
            if stream.resume_token is not None:
                yield stream.resume_token  # where the stream starts: nothing before it is missed
            while stream.alive:
                change = await stream.try_next()
                if change is None:
                    if stream.resume_token is not None:
                        yield stream.resume_token
                    continue
                yield Change(to_event(change["fullDocument"]), change["_id"])
