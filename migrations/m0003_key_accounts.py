"""Key-account dossiers: the account (bounded data), and its unbounded children in their
own collections: contacts, relationships, visit logs, service contracts; plus the
complaint and purchase records a dossier shows (filled by later capabilities)."""

from typing import Any

from pymongo import ASCENDING as ASC
from pymongo import DESCENDING as DESC
from pymongo import IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from migrations.helpers import DATE, INT, STRING, ensure_collection, enum_of

VERSION = 3
DESCRIPTION = "key accounts, contacts, relationships, visit logs, contracts, complaint and purchase records"

OID = {"bsonType": "objectId"}
MONEY = {
    "bsonType": "object",
    "required": ["amount", "currency"],
    "properties": {
        "amount": {"bsonType": "decimal"},
        "currency": {"bsonType": "string", "pattern": "^[A-Z]{3}$"},
    },
}
GRADES = ("A", "B", "C")

KEY_ACCOUNTS = {
    "bsonType": "object",
    "required": [
        "customerId",
        "grade",
        "category",
        "managerId",
        "teamIds",
        "companyProfile",
        "gradeHistory",
        "nextVisitDueAt",
        "version",
        "createdAt",
        "updatedAt",
    ],
    "properties": {
        "customerId": OID,
        "grade": enum_of(*GRADES),
        "category": enum_of("ECONOMIC", "IMPORTANT", "POTENTIAL"),
        "industry": {"bsonType": "string", "maxLength": 200},
        "managerId": OID,
        "teamIds": {"bsonType": "array", "maxItems": 50, "items": OID},
        "companyProfile": {
            "bsonType": "object",
            "properties": {
                "annualRevenue": MONEY,
                "profitOrLoss": MONEY,
                "mainProducts": {"bsonType": "array", "maxItems": 100, "items": STRING},
            },
        },
        "gradeHistory": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["from", "to", "at", "actor", "reason"],
                "properties": {
                    "from": enum_of(*GRADES),
                    "to": enum_of(*GRADES),
                    "at": DATE,
                    "reason": STRING,
                },
            },
        },
        "lastVisitAt": DATE,
        "plannedNextVisitAt": DATE,
        "nextVisitDueAt": DATE,
        "version": {**INT, "minimum": 1},
        "createdAt": DATE,
        "updatedAt": DATE,
    },
}

CONTACTS = {
    "bsonType": "object",
    "required": ["keyAccountId", "name", "decisionRole", "hobbies", "version", "createdAt", "updatedAt"],
    "properties": {
        "keyAccountId": OID,
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "decisionRole": enum_of("DECISION_MAKER", "INFLUENCER", "USER", "GATEKEEPER", "OTHER"),
        "birthday": DATE,
        "hobbies": {"bsonType": "array", "items": STRING},
        "version": {**INT, "minimum": 1},
    },
}

RELATIONSHIPS = {
    "bsonType": "object",
    "required": ["fromContactId", "toContactId", "relationship", "createdAt"],
    "properties": {
        "fromContactId": OID,
        "toContactId": OID,
        "relationship": enum_of("COLLEAGUE", "FRIEND", "SUPPLIER", "REPORTS_TO"),
        "note": {"bsonType": "string", "maxLength": 2000},
    },
}

VISIT_LOGS = {
    "bsonType": "object",
    "required": [
        "keyAccountId",
        "visitedAt",
        "visitorIds",
        "contactIds",
        "purpose",
        "findings",
        "followUps",
        "loggedBy",
        "createdAt",
    ],
    "properties": {
        "keyAccountId": OID,
        "visitedAt": DATE,
        "visitorIds": {"bsonType": "array", "items": OID},
        "contactIds": {"bsonType": "array", "items": OID},
        "purpose": {"bsonType": "string", "minLength": 1},
        "findings": {
            "bsonType": "object",
            "properties": {"satisfaction": {**INT, "minimum": 1, "maximum": 5}},
        },
        "followUps": {
            "bsonType": "array",
            "items": {
                "bsonType": "object",
                "required": ["id", "action", "ownerId", "dueAt"],
                "properties": {"id": OID, "action": STRING, "ownerId": OID, "dueAt": DATE, "doneAt": DATE},
            },
        },
        "nextVisitAt": DATE,
        "loggedBy": OID,
    },
}

CONTRACTS = {
    "bsonType": "object",
    "required": ["keyAccountId", "content", "startsOn", "endsOn", "fees", "confidentiality", "createdAt"],
    "properties": {
        "keyAccountId": OID,
        "content": {"bsonType": "string", "minLength": 1},
        "startsOn": DATE,
        "endsOn": DATE,
        "fees": MONEY,
        "confidentiality": {"bsonType": "bool"},
    },
}

# The records a dossier shows; their own capabilities will tighten these validators.
COMPLAINTS = {
    "bsonType": "object",
    "required": ["customerId", "receivedAt"],
    "properties": {"customerId": OID, "receivedAt": DATE},
}
PURCHASES: dict[str, Any] = {
    "bsonType": "object",
    "required": ["customerId", "purchasedAt", "amount", "units"],
    "properties": {"customerId": OID, "purchasedAt": DATE, "amount": MONEY, "units": {**INT, "minimum": 1}},
}


async def apply(db: AsyncDatabase) -> None:
    await ensure_collection(db, "key_accounts", KEY_ACCOUNTS)
    await db["key_accounts"].create_indexes(
        [
            IndexModel([("customerId", ASC)], name="key_accounts_customer_unique", unique=True),
            IndexModel([("createdAt", ASC), ("_id", ASC)], name="key_accounts_created"),
            IndexModel([("managerId", ASC), ("createdAt", ASC), ("_id", ASC)], name="key_accounts_manager"),
            IndexModel([("teamIds", ASC), ("createdAt", ASC), ("_id", ASC)], name="key_accounts_team"),
            IndexModel([("grade", ASC), ("createdAt", ASC), ("_id", ASC)], name="key_accounts_grade"),
            IndexModel([("nextVisitDueAt", ASC), ("_id", ASC)], name="key_accounts_next_visit"),
        ]
    )
    await ensure_collection(db, "contacts", CONTACTS)
    await db["contacts"].create_indexes(
        [
            IndexModel(
                [("keyAccountId", ASC), ("createdAt", ASC), ("_id", ASC)], name="contacts_key_account"
            ),
        ]
    )
    await ensure_collection(db, "contact_relationships", RELATIONSHIPS)
    await db["contact_relationships"].create_indexes(
        [
            IndexModel(
                [("fromContactId", ASC), ("toContactId", ASC), ("relationship", ASC)],
                name="contact_relationships_unique",
                unique=True,
            ),
            IndexModel([("toContactId", ASC)], name="contact_relationships_to"),
        ]
    )
    await ensure_collection(db, "visit_logs", VISIT_LOGS)
    await db["visit_logs"].create_indexes(
        [
            IndexModel(
                [("keyAccountId", ASC), ("visitedAt", DESC), ("_id", DESC)], name="visit_logs_key_account"
            ),
        ]
    )
    await ensure_collection(db, "service_contracts", CONTRACTS)
    await db["service_contracts"].create_indexes(
        [
            IndexModel([("keyAccountId", ASC), ("endsOn", ASC)], name="service_contracts_key_account"),
            IndexModel([("endsOn", ASC), ("keyAccountId", ASC)], name="service_contracts_ending"),
        ]
    )
    await ensure_collection(db, "complaints", COMPLAINTS)
    await db["complaints"].create_indexes(
        [
            IndexModel(
                [("customerId", ASC), ("receivedAt", DESC), ("_id", DESC)], name="complaints_customer"
            ),
        ]
    )
    await ensure_collection(db, "purchases", PURCHASES)
    await db["purchases"].create_indexes(
        [
            IndexModel(
                [("customerId", ASC), ("purchasedAt", DESC), ("_id", DESC)], name="purchases_customer"
            ),
        ]
    )
