"""Complaints become the real thing (domain.md §5): a validator, the indexes every list
filter uses, departments and routing rules (category -> department) and the default SLA
policies, as data a business can change. Placeholder items from before are given the
defaults (an OPEN complaint on the default policy)."""

from datetime import timedelta
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 11
DESCRIPTION = "complaints: validator, list indexes, departments, routing rules, default SLA policies"

OID = {"bsonType": "objectId"}
STATUSES = (
    "OPEN",
    "ACKNOWLEDGED",
    "IN_PROGRESS",
    "WAITING_ON_CUSTOMER",
    "PENDING_APPROVAL",
    "RESOLVED",
    "CLOSED",
    "DISCARDED",
)
COMPLAINTS = {
    "bsonType": "object",
    "required": [
        "customerId",
        "receivedAt",
        "channel",
        "kind",
        "category",
        "severity",
        "summary",
        "status",
        "sla",
        "history",
        "version",
    ],
    "properties": {
        "customerId": OID,
        "keyAccountId": OID,
        "departmentId": OID,
        "ownerId": OID,
        "receivedAt": DATE,
        "channel": STRING,
        "kind": enum_of("COMPLAINT", "SUGGESTION_SERVICE_QUALITY", "SUGGESTION_SERVICE_DEMAND", "PRAISE"),
        "category": enum_of(
            "PRODUCT", "LOGISTICS", "COMMUNICATION", "SERVICE", "PROMOTION", "BILLING", "OTHER"
        ),
        "severity": enum_of("LOW", "MEDIUM", "HIGH", "CRITICAL"),
        "summary": {"bsonType": "string", "maxLength": 200},
        "description": {"bsonType": "string", "maxLength": 10_000},
        "status": enum_of(*STATUSES),
        "sla": {"bsonType": "object", "required": ["policy", "targets", "clocks"]},
        "history": {"bsonType": "array"},
        "version": {**INT, "minimum": 1},
    },
}

DEPARTMENTS = ["Customer Service", "Logistics", "Product", "Billing", "Marketing", "Sales"]
ROUTES = {
    "LOGISTICS": "Logistics",
    "PRODUCT": "Product",
    "BILLING": "Billing",
    "PROMOTION": "Marketing",
    "COMMUNICATION": "Customer Service",
    "SERVICE": "Customer Service",
    "DEFAULT": "Customer Service",
}
HOUR = 3600
DAY = 24 * HOUR


def _targets(first_response: int, resolution: int, follow_up: int = 3 * DAY) -> dict[str, Any]:
    return {
        "FIRST_RESPONSE": {"seconds": first_response, "businessHours": False},
        "RESOLUTION": {"seconds": resolution, "businessHours": False},
        "FOLLOW_UP": {"seconds": follow_up, "businessHours": False},
    }


#: Ordered; the first match wins (domain.md §5: key accounts and VIPs get tighter targets).
POLICIES = [
    {
        "_id": "critical",
        "name": "critical",
        "order": 10,
        "match": {"severities": ["CRITICAL"]},
        "targets": _targets(HOUR // 2, 8 * HOUR),
    },
    {
        "_id": "key-account-a",
        "name": "key account grade A",
        "order": 20,
        "match": {"keyAccountGrades": ["A"]},
        "targets": _targets(HOUR // 2, 12 * HOUR),
    },
    {
        "_id": "vip",
        "name": "VIP",
        "order": 30,
        "match": {"vip": True},
        "targets": _targets(HOUR // 2, 12 * HOUR),
    },
    {"_id": "default", "name": "default", "order": 1000, "match": {}, "targets": _targets(HOUR, DAY)},
]


async def apply(db: AsyncDatabase) -> None:
    complaints = db["complaints"]
    # Placeholder items (customerId, receivedAt, maybe a summary) get the defaults first.
    async for doc in complaints.find({"status": {"$exists": False}}):
        received = doc["receivedAt"]
        await complaints.update_one(
            {"_id": doc["_id"], "status": {"$exists": False}},
            {
                "$set": {
                    "channel": doc.get("channel") or "PHONE",
                    "kind": doc.get("kind") or "COMPLAINT",
                    "category": doc.get("category") or "OTHER",
                    "severity": doc.get("severity") or "MEDIUM",
                    "summary": (doc.get("summary") or "(no summary)")[:200],
                    "status": "OPEN",
                    "sla": {
                        "policy": "default",
                        "calendar": None,
                        "targets": _targets(HOUR, DAY),
                        "clocks": {
                            "FIRST_RESPONSE": {
                                "startedAt": received,
                                "target": _targets(HOUR, DAY)["FIRST_RESPONSE"],
                                "dueAt": received + timedelta(hours=1),
                            },
                            "RESOLUTION": {
                                "startedAt": received,
                                "target": _targets(HOUR, DAY)["RESOLUTION"],
                                "dueAt": received + timedelta(days=1),
                            },
                        },
                    },
                    "pauses": [],
                    "history": [],
                    "version": 1,
                }
            },
        )
    await ensure_collection(db, "complaints", COMPLAINTS)
    by_received = [("receivedAt", DESC), ("_id", DESC)]
    await complaints.create_indexes(
        [
            IndexModel(by_received, name="complaints_received"),
            IndexModel([("status", ASC), *by_received], name="complaints_status"),
            IndexModel([("category", ASC), *by_received], name="complaints_category"),
            IndexModel([("departmentId", ASC), *by_received], name="complaints_department"),
            IndexModel([("ownerId", ASC), *by_received], name="complaints_owner"),
            IndexModel([("keyAccountId", ASC), *by_received], name="complaints_key_account"),
            *[
                IndexModel([(f"sla.clocks.{c}.dueAt", ASC)], name=f"complaints_due_{c.lower()}")
                for c in ("FIRST_RESPONSE", "RESOLUTION", "FOLLOW_UP")
            ],
        ]
    )
    await db["complaint_events"].create_index(
        [("complaintId", ASC), ("recordedAt", ASC)], name="complaint_events_item"
    )
    await db["complaint_events"].create_index([("customerId", ASC)], name="complaint_events_customer")
    await db["improvement_actions"].create_index(
        [("complaintId", ASC), ("createdAt", ASC)], name="improvements_item"
    )
    await db["improvement_actions"].create_index([("customerId", ASC)], name="improvements_customer")
    await db["customer_needs"].create_index([("complaintId", ASC), ("recordedAt", ASC)], name="needs_item")
    await db["customer_needs"].create_index([("customerId", ASC), ("recordedAt", ASC)], name="needs_customer")
    for name in DEPARTMENTS:
        await db["departments"].update_one(
            {"name": name}, {"$setOnInsert": {"_id": ObjectId(), "name": name}}, upsert=True
        )
    await db["departments"].create_index([("name", ASC)], name="departments_name_unique", unique=True)
    ids = {d["name"]: d["_id"] async for d in db["departments"].find({})}
    for category, department in ROUTES.items():
        await db["complaint_routing"].update_one(
            {"_id": category}, {"$setOnInsert": {"departmentId": ids[department]}}, upsert=True
        )
    for policy in POLICIES:
        await db["sla_policies"].update_one({"_id": policy["_id"]}, {"$setOnInsert": policy}, upsert=True)
