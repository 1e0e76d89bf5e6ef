"""Webhook endpoints (`webhooks`) and their deliveries (`webhook_deliveries`).

A delivery is one event for one webhook (unique on the pair, so fanning out twice makes
nothing twice). Sending is claimed first: one conditional update on the delivery, due and
not claimed (or its claim ran out), sets who claims it until when; so two instances never
send the same delivery at once, and a sender that died mid-attempt leaves a claim that
runs out. The attempt is then recorded under that claim only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from domain.errors import NotFound, VersionConflict
from domain.events import EventType
from domain.webhooks import Attempt, Delivery, DeliveryStatus, Webhook
from repositories.documents import by_ids, object_ids, update_at_version
from repositories.ids import to_object_id
from repositories.pagination import Page, Paging, SortKey, find_page

WEBHOOKS = "webhooks"
DELIVERIES = "webhook_deliveries"
NEWEST_FIRST = SortKey("createdAt", descending=True)


def to_webhook(doc: Mapping[str, Any]) -> Webhook:
    return Webhook(
        id=str(doc["_id"]),
        url=doc["url"],
        events=frozenset(EventType(e) for e in doc["events"]),
        partner_id=doc.get("partnerId"),
        active=doc["active"],
        created_at=doc["createdAt"],
        updated_at=doc.get("updatedAt"),
        version=doc["version"],
        secret=doc["secret"],
    )


def _attempt(doc: Mapping[str, Any]) -> Attempt:
    return Attempt(
        at=doc["at"], duration_ms=doc["durationMs"], status_code=doc.get("statusCode"), error=doc.get("error")
    )


def to_delivery(doc: Mapping[str, Any]) -> Delivery:
    return Delivery(
        id=str(doc["_id"]),
        webhook_id=str(doc["webhookId"]),
        event_id=str(doc["eventId"]),
        event_type=EventType(doc["eventType"]),
        status=DeliveryStatus(doc["status"]),
        created_at=doc["createdAt"],
        next_attempt_at=doc["nextAttemptAt"],
        attempts=tuple(_attempt(a) for a in doc.get("attempts") or ()),
        retry_from=doc.get("retryFrom"),
        delivered_at=doc.get("deliveredAt"),
        failed_at=doc.get("failedAt"),
    )


class WebhookRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._webhooks = db[WEBHOOKS]
        self._deliveries = db[DELIVERIES]

    # --- endpoints ---
    async def create(
        self,
        url: str,
        events: frozenset[EventType],
        partner_id: str | None,
        secret: str,
        by: str,
        now: datetime,
    ) -> Webhook:
        doc: dict[str, Any] = {
            "_id": ObjectId(),
            "url": url,
            "events": sorted(e.value for e in events),
            "secret": secret,
            "active": True,
            "createdAt": now,
            "createdBy": ObjectId(by),
            "version": 1,
        }
        if partner_id is not None:
            doc["partnerId"] = partner_id
        await self._webhooks.insert_one(doc)
        return to_webhook(doc)

    async def by_ids(self, ids: Sequence[str]) -> list[Webhook | None]:
        return await by_ids(self._webhooks, ids, to_webhook)

    async def get(self, webhook_id: str, field: str = "id") -> Webhook:
        [found] = await self.by_ids([webhook_id])
        if found is None:
            raise NotFound("no webhook with this id", field)
        return found

    async def active(self) -> list[Webhook]:
        """Every active endpoint: they are registered by hand, tens at most."""
        return [to_webhook(d) async for d in self._webhooks.find({"active": True})]

    async def update(
        self, webhook: Webhook, expected_version: int, changes: Mapping[str, Any], now: datetime
    ) -> Webhook:
        to_set: dict[str, Any] = {}
        if "url" in changes:
            to_set["url"] = changes["url"]
        if "events" in changes:
            to_set["events"] = sorted(e.value for e in changes["events"])
        if "active" in changes:
            to_set["active"] = changes["active"]
        doc = await update_at_version(
            self._webhooks,
            ObjectId(webhook.id),
            expected_version,
            now,
            set_fields=to_set,
            noun="webhook",
            id_field="id",
        )
        return to_webhook(doc)

    async def delete(self, webhook_id: str) -> None:
        """The endpoint and its deliveries (a delivery of a webhook that is gone is never sent)."""
        removed = await self._webhooks.delete_one({"_id": to_object_id(webhook_id)})
        if removed.deleted_count == 0:
            raise NotFound("no webhook with this id", "id")
        await self._deliveries.delete_many({"webhookId": ObjectId(webhook_id)})

    async def page(self, paging: Paging) -> Page[Webhook]:
        return await find_page(self._webhooks, {}, NEWEST_FIRST, paging, to_webhook)

    # --- deliveries ---
    async def add_deliveries(self, pairs: Sequence[tuple[Webhook, str, EventType]], now: datetime) -> int:
        """One delivery per (webhook, event), due now; existing pairs are left as they are."""
        if not pairs:
            return 0
        requests = [
            UpdateOne(
                {"webhookId": ObjectId(webhook.id), "eventId": ObjectId(event_id)},
                {
                    "$setOnInsert": {
                        "eventType": type.value,
                        "status": DeliveryStatus.PENDING.value,
                        "createdAt": now,
                        "nextAttemptAt": now,
                        "attemptCount": 0,
                        "attempts": [],
                    }
                },
                upsert=True,
            )
            for webhook, event_id, type in pairs
        ]
        result = await self._deliveries.bulk_write(requests, ordered=False)
        return result.upserted_count

    async def deliveries_by_ids(self, ids: Sequence[str]) -> list[Delivery | None]:
        return await by_ids(self._deliveries, ids, to_delivery)

    async def delivery_pages(
        self, webhook_id: str, status: DeliveryStatus | None, paging: Paging
    ) -> Page[Delivery]:
        query: dict[str, Any] = {"webhookId": to_object_id(webhook_id)}
        if status is not None:
            query["status"] = status.value
        return await find_page(self._deliveries, query, NEWEST_FIRST, paging, to_delivery)

    async def claim_due(self, now: datetime, claimer: str, until: datetime) -> Delivery | None:
        """Claim the delivery due soonest, atomically: a claimed one (whose claim has not run
        out) matches nothing, so of two senders one gets it and the other the next."""
        doc = await self._deliveries.find_one_and_update(
            {
                "status": DeliveryStatus.PENDING.value,
                "nextAttemptAt": {"$lte": now},
                "$or": [{"claimUntil": {"$exists": False}}, {"claimUntil": {"$lte": now}}],
            },
            {"$set": {"claimedBy": claimer, "claimUntil": until}},
            sort=[("nextAttemptAt", 1), ("_id", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else to_delivery(doc)

    async def record_attempt(
        self,
        delivery_id: str,
        claimer: str,
        attempt: Attempt,
        status: DeliveryStatus,
        next_attempt_at: datetime | None,
    ) -> bool:
        """The attempt and what follows it, only while the claim is still ours."""
        attempt_doc: dict[str, Any] = {"at": attempt.at, "durationMs": attempt.duration_ms}
        if attempt.status_code is not None:
            attempt_doc["statusCode"] = attempt.status_code
        if attempt.error is not None:
            attempt_doc["error"] = attempt.error[:200]
        to_set: dict[str, Any] = {"status": status.value}
        if next_attempt_at is not None:
            to_set["nextAttemptAt"] = next_attempt_at
        if status is DeliveryStatus.DELIVERED:
            to_set["deliveredAt"] = attempt.at
        if status is DeliveryStatus.FAILED:
            to_set["failedAt"] = attempt.at
        result = await self._deliveries.update_one(
            {"_id": ObjectId(delivery_id), "claimedBy": claimer},
            {
                "$set": to_set,
                "$push": {"attempts": attempt_doc},
                "$inc": {"attemptCount": 1},
                "$unset": {"claimedBy": "", "claimUntil": ""},
            },
        )
        return result.modified_count == 1

    async def skip(self, delivery_id: str, claimer: str) -> None:
        await self._deliveries.update_one(
            {"_id": ObjectId(delivery_id), "claimedBy": claimer},
            {"$set": {"status": DeliveryStatus.SKIPPED.value}, "$unset": {"claimedBy": "", "claimUntil": ""}},
        )

    async def pending_for(self, event_ids: Sequence[str]) -> set[str]:
        """Which of these events a delivery still waits to send (the event must stay)."""
        if not event_ids:
            return set()
        found = await self._deliveries.distinct(
            "eventId", {"status": DeliveryStatus.PENDING.value, "eventId": {"$in": object_ids(event_ids)}}
        )
        return {str(event_id) for event_id in found}

    async def redeliver(self, delivery: Delivery, now: datetime) -> Delivery:
        """Due again now with a fresh retry window; only a delivery that is not pending."""
        doc = await self._deliveries.find_one_and_update(
            {"_id": ObjectId(delivery.id), "status": delivery.status.value},
            {
                "$set": {"status": DeliveryStatus.PENDING.value, "nextAttemptAt": now, "retryFrom": now},
                "$unset": {"deliveredAt": "", "failedAt": "", "claimedBy": "", "claimUntil": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise VersionConflict("the delivery changed since it was read; read it again", "deliveryId")
        return to_delivery(doc)
