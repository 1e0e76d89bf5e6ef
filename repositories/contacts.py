"""Contacts of key accounts and the relationships between them (who knows whom)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import PersonalFields, Scope
from domain.errors import Duplicate, NotFound
from domain.key_accounts import (
    CONTACT_DETAILS,
    Contact,
    ContactLink,
    ContactRelationship,
    DecisionRole,
    Relationship,
)
from repositories.access import kept_in_key_accounts
from repositories.documents import (
    by_ids,
    day,
    day_of,
    find_all,
    insert_missing,
    object_ids,
    update_at_version,
    without_none,
)
from repositories.ids import to_object_id
from repositories.pagination import Page, Paging, SortKey, count_children, find_child_pages
from repositories.personal_data import Holding, Owner

CONTACTS = "contacts"
RELATIONSHIPS = "contact_relationships"
_DETAIL_FIELDS = {
    name: "".join(p.title() if i else p for i, p in enumerate(name.split("_"))) for name in CONTACT_DETAILS
}
CONTACT_ORDER = SortKey("createdAt")
#: A contact is a person: everything but their role in the account is personal data.
MASKED = PersonalFields(hidden=("email", "phone", "birthday", "hobbies", "details"), names=("name",))
ERASED_CONTACT = "Erased contact"
PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {
    "name": ERASED_CONTACT,
    "email": None,
    "phone": None,
    "birthday": None,
    "hobbies": [],
    **dict.fromkeys(_DETAIL_FIELDS.values()),
}
#: A relationship's note describes people.
LINK_MASKED = PersonalFields(hidden=("note",))
LINK_PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {"note": None}
PERSONAL_DATA = Holding(CONTACTS, Owner.KEY_ACCOUNT, ("keyAccountId",), PERSONAL_DOCUMENT_FIELDS)
LINK_PERSONAL_DATA = Holding(
    RELATIONSHIPS, Owner.CONTACT, ("fromContactId", "toContactId"), LINK_PERSONAL_DOCUMENT_FIELDS
)


def contact_document(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Document fields for the contact fields given (None clears a field on update)."""
    doc: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "decision_role":
            doc["decisionRole"] = value.value
        elif name == "birthday":
            doc["birthday"] = day(value)
        elif name in _DETAIL_FIELDS:
            doc[_DETAIL_FIELDS[name]] = value
        elif name in ("name", "title", "email", "phone", "hobbies"):
            doc[name] = value
    return doc


def to_contact(doc: Mapping[str, Any]) -> Contact:
    return Contact(
        id=str(doc["_id"]),
        key_account_id=str(doc["keyAccountId"]),
        name=doc["name"],
        title=doc.get("title"),
        decision_role=DecisionRole(doc["decisionRole"]),
        email=doc.get("email"),
        phone=doc.get("phone"),
        birthday=day_of(doc.get("birthday")),
        hobbies=list(doc.get("hobbies", [])),
        details={name: doc[field] for name, field in _DETAIL_FIELDS.items() if doc.get(field)},
        version=doc["version"],
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
    )


def new_contact_document(
    key_account_id: str, fields: Mapping[str, Any], now: datetime, object_id: ObjectId | None = None
) -> dict[str, Any]:
    return without_none(
        {
            "_id": object_id or ObjectId(),
            "keyAccountId": ObjectId(key_account_id),
            "hobbies": [],
            **contact_document(fields),
            "version": 1,
            "createdAt": now,
            "updatedAt": now,
        }
    )


def relationship_document(
    from_id: str,
    to_id: str,
    relationship: Relationship,
    note: str | None,
    now: datetime,
    object_id: ObjectId | None = None,
) -> dict[str, Any]:
    return without_none(
        {
            "_id": object_id or ObjectId(),
            "fromContactId": ObjectId(from_id),
            "toContactId": ObjectId(to_id),
            "relationship": relationship.value,
            "note": note,
            "createdAt": now,
        }
    )


def to_relationship(doc: Mapping[str, Any]) -> ContactRelationship:
    return ContactRelationship(
        id=str(doc["_id"]),
        from_contact_id=str(doc["fromContactId"]),
        to_contact_id=str(doc["toContactId"]),
        relationship=Relationship(doc["relationship"]),
        note=doc.get("note"),
        created_at=doc["createdAt"],
    )


class ContactRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._contacts = db[CONTACTS]
        self._links = db[RELATIONSHIPS]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[Contact | None]:
        return await by_ids(self._contacts, ids, to_contact, kept_in_key_accounts(scope))

    async def get(self, contact_id: str, scope: Scope, field: str = "contactId") -> Contact:
        [found] = await self.by_ids([contact_id], scope)
        if found is None:
            raise NotFound("no contact with this id", field)
        return found

    async def add(
        self,
        key_account_id: str,
        fields: Mapping[str, Any],
        now: datetime,
        session: AsyncClientSession | None = None,
    ) -> Contact:
        doc = new_contact_document(key_account_id, fields, now)
        await self._contacts.insert_one(doc, session=session)
        return to_contact(doc)

    async def update(
        self,
        contact: Contact,
        expected_version: int,
        fields: Mapping[str, Any],
        now: datetime,
        session: AsyncClientSession | None = None,
    ) -> Contact:
        doc = contact_document(fields)
        found = await update_at_version(
            self._contacts,
            ObjectId(contact.id),
            expected_version,
            now,
            set_fields={k: v for k, v in doc.items() if v is not None},
            unset_fields=[k for k, v in doc.items() if v is None],
            noun="contact",
            id_field="contactId",
            session=session,
        )
        return to_contact(found)

    async def remove(self, contact_id: str, session: AsyncClientSession) -> int:
        """Remove a contact and every relationship it has; returns relationships removed."""
        oid = ObjectId(contact_id)
        removed = await self._contacts.delete_one({"_id": oid}, session=session)
        if removed.deleted_count == 0:
            raise NotFound("no contact with this id", "contactId")
        links = await self._links.delete_many(
            {"$or": [{"fromContactId": oid}, {"toContactId": oid}]}, session=session
        )
        return links.deleted_count

    async def pages_by_key_account(
        self, key_account_ids: Sequence[str], paging: Paging
    ) -> dict[str, Page[Contact]]:
        return await find_child_pages(
            self._contacts,
            "keyAccountId",
            object_ids(key_account_ids),
            CONTACT_ORDER,
            paging,
            to_contact,
        )

    async def counts_by_key_account(self, key_account_ids: Sequence[str]) -> dict[str, int]:
        return await count_children(self._contacts, "keyAccountId", object_ids(key_account_ids))

    async def insert_many(self, contacts: list[dict[str, Any]], links: list[dict[str, Any]]) -> None:
        for collection, docs in ((self._contacts, contacts), (self._links, links)):
            await insert_missing(collection, docs)

    # --- the network ------------------------------------------------------------------

    async def link(
        self,
        from_id: str,
        to_id: str,
        relationship: Relationship,
        note: str | None,
        now: datetime,
        session: AsyncClientSession | None = None,
    ) -> str:
        """The relationship's id."""
        doc = relationship_document(from_id, to_id, relationship, note, now)
        try:
            await self._links.insert_one(doc, session=session)
        except DuplicateKeyError as exc:
            raise Duplicate("these contacts already have this relationship", "relationship") from exc
        return str(doc["_id"])

    async def unlink(self, link_id: str, session: AsyncClientSession | None = None) -> None:
        removed = await self._links.delete_one({"_id": to_object_id(link_id)}, session=session)
        if removed.deleted_count == 0:
            raise NotFound("no relationship with this id", "relationshipId")

    async def relationships_by_ids(self, ids: Sequence[str]) -> list[ContactRelationship | None]:
        return await by_ids(self._links, ids, to_relationship)

    async def links_by_contact_ids(self, contact_ids: Sequence[str]) -> list[list[ContactLink]]:
        """Each contact's relationships both ways (one query for all contacts)."""
        oids = object_ids(contact_ids)
        links: dict[str, list[ContactLink]] = {c: [] for c in contact_ids}
        query = {"$or": [{"fromContactId": {"$in": oids}}, {"toContactId": {"$in": oids}}]}
        for doc in await find_all(self._links, query, [("createdAt", 1)]):
            source, target = str(doc["fromContactId"]), str(doc["toContactId"])
            relationship = Relationship(doc["relationship"])
            for me, other, outgoing in ((source, target, True), (target, source, False)):
                if me in links:
                    links[me].append(
                        ContactLink(
                            str(doc["_id"]), relationship, outgoing, other, doc.get("note"), doc["createdAt"]
                        )
                    )
        return [links[c] for c in contact_ids]
