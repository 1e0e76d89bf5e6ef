"""Customers: documents <-> domain objects, their queries and guarded writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import EVERYTHING, PersonalFields, Scope
from domain.customers import Customer, CustomerKind
from domain.errors import Duplicate, IdempotencyKeyReused, NotFound
from domain.lifecycle import (
    INITIAL_STAGE,
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
)
from domain.search import fold
from repositories.access import scope_filter, within
from repositories.documents import (
    by_ids,
    day,
    day_of,
    insert_missing,
    update_at_version,
)
from repositories.ids import to_object_id
from repositories.pagination import Page, SortKey, find_page
from repositories.personal_data import Holding, Owner
from repositories.search import combine, search_clauses, search_fields

COLLECTION = "customers"
EMAIL_INDEX = "customers_email_unique"
IDEMPOTENCY_INDEX = "customers_idempotency_key_unique"


class CustomerOrderField(Enum):
    CREATED_AT = "createdAt"
    NAME = "nameSort"


#: A customer's personal data, declared once: masking reads `MASKED`, export and erasure
#: read `PERSONAL_DOCUMENT_FIELDS` (what erasure removes or replaces, by document field).
MASKED = PersonalFields(hidden=("email", "phone", "birthday", "lifecycle_history.reason"), names=("name",))
ERASED_NAME = "Erased customer"
PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {
    "name": ERASED_NAME,
    "nameSort": fold(ERASED_NAME),
    "email": None,
    "emailKey": None,
    "phone": None,
    "birthday": None,
    "searchTerms": [],
    "searchPrefixes": [],
    "idempotencyKey": None,
    "idempotencyFingerprint": None,
    "lifecycleHistory.$[].reason": "erased",
}


PERSONAL_DATA = Holding(COLLECTION, Owner.CUSTOMER, ("_id",), PERSONAL_DOCUMENT_FIELDS)


def customer_scope(scope: Scope) -> dict[str, Any] | None:
    """Which customer documents a scope admits."""
    return scope_filter(
        scope,
        partner="sharedWith",
        customer="_id",
        organisation=("kind", CustomerKind.ORGANIZATION.value),
    )


@dataclass(frozen=True)
class CustomerFilter:
    lifecycle_stage: LifecycleStage | None = None
    search_words: Sequence[str] = ()  # folded and bounded (domain.search.search_words)
    tag: str | None = None
    scope: Scope = EVERYTHING  # which customers the viewer may read
    searchable: Scope = EVERYTHING  # which of them a search may match (it reads personal data)


def _event_document(event: LifecycleEvent) -> dict[str, Any]:
    return {
        "action": event.action.value,
        "from": event.from_stage.value,
        "to": event.to_stage.value,
        "at": event.at,
        "actor": {"id": event.actor.id, "name": event.actor.name, "role": event.actor.role},
        "reason": event.reason,
    }


def _event(doc: Mapping[str, Any]) -> LifecycleEvent:
    actor = doc["actor"]
    return LifecycleEvent(
        action=LifecycleAction(doc["action"]),
        from_stage=LifecycleStage(doc["from"]),
        to_stage=LifecycleStage(doc["to"]),
        at=doc["at"],
        actor=Actor(id=actor["id"], name=actor["name"], role=actor["role"]),
        reason=doc["reason"],
    )


def to_customer(doc: Mapping[str, Any]) -> Customer:
    return Customer(
        id=str(doc["_id"]),
        kind=CustomerKind(doc["kind"]),
        name=doc["name"],
        email=doc.get("email"),
        phone=doc.get("phone"),
        birthday=day_of(doc.get("birthday")),
        tags=list(doc.get("tags", [])),
        source=doc.get("source"),
        shared_with=list(doc.get("sharedWith", [])),
        erased_at=doc.get("erasedAt"),
        lifecycle_stage=LifecycleStage(doc["lifecycleStage"]),
        lifecycle_history=[_event(e) for e in doc.get("lifecycleHistory", [])],
        version=doc["version"],
        created_at=doc["createdAt"],
        updated_at=doc["updatedAt"],
    )


def _profile_set(fields: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """$set and $unset for the profile fields given (None clears a field)."""
    to_set: dict[str, Any] = {}
    to_unset: dict[str, str] = {}
    for name, value in fields.items():
        if name == "kind":
            value = value.value
        elif name == "birthday":
            value = day(value)
        elif name == "shared_with":
            name = "sharedWith"
        if value is None:
            to_unset[name] = ""
        else:
            to_set[name] = value
    if "name" in fields:
        to_set["nameSort"] = fold(fields["name"])
    if "email" in fields:
        if fields["email"]:
            to_set["emailKey"] = fields["email"].casefold()
        else:
            to_unset["emailKey"] = ""
    return to_set, to_unset


def new_customer_document(
    profile: Mapping[str, Any],
    now: datetime,
    *,
    stage: LifecycleStage = INITIAL_STAGE,
    history: Sequence[LifecycleEvent] = (),
    object_id: ObjectId | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
) -> dict[str, Any]:
    to_set, _ = _profile_set(profile)
    doc: dict[str, Any] = {
        "_id": object_id or ObjectId(),
        **to_set,
        "tags": to_set.get("tags", []),
        **search_fields(profile["name"], profile.get("email")),
        "lifecycleStage": stage.value,
        "lifecycleHistory": [_event_document(e) for e in history],
        "version": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    if idempotency_key:
        doc["idempotencyKey"] = idempotency_key
        if fingerprint:
            doc["idempotencyFingerprint"] = fingerprint
    return doc


def _replay(first: Mapping[str, Any], fingerprint: str | None) -> Customer:
    stored = first.get("idempotencyFingerprint")
    if stored is not None and fingerprint is not None and stored != fingerprint:
        raise IdempotencyKeyReused(
            "this idempotencyKey was used for a different request; use a new key", "idempotencyKey"
        )
    return to_customer(first)


def _duplicate_email() -> Duplicate:
    return Duplicate("a customer with this email already exists", "email")


class CustomerRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._customers = db[COLLECTION]

    async def by_ids(self, ids: Sequence[str], scope: Scope) -> list[Customer | None]:
        return await by_ids(self._customers, ids, to_customer, customer_scope(scope))

    async def get(self, customer_id: str, scope: Scope, field: str = "customerId") -> Customer:
        [found] = await self.by_ids([customer_id], scope)
        if found is None:
            raise NotFound("no customer with this id", field)
        return found

    async def create(
        self,
        profile: Mapping[str, Any],
        now: datetime,
        idempotency_key: str | None,
        fingerprint: str | None = None,
    ) -> Customer:
        """Insert a new prospect. The idempotency key is honoured first: a retry returns
        the customer the key created (even when its email now collides), and the same
        key with a different request is refused."""
        doc = new_customer_document(profile, now, idempotency_key=idempotency_key, fingerprint=fingerprint)
        try:
            await self._customers.insert_one(doc)
        except DuplicateKeyError as exc:
            # Whichever unique index fired, a concurrent or earlier request with this key
            # has committed its customer by now: answer with it.
            if idempotency_key and (
                first := await self._customers.find_one({"idempotencyKey": idempotency_key})
            ):
                return _replay(first, fingerprint)
            if EMAIL_INDEX in str(exc):
                raise _duplicate_email() from exc
            raise
        return to_customer(doc)

    async def insert_many(self, docs: list[dict[str, Any]]) -> int:
        """Insert prepared documents, skipping ones already there (for idempotent seeding)."""
        return await insert_missing(self._customers, docs)

    async def update_profile(
        self, customer: Customer, expected_version: int, changes: Mapping[str, Any], now: datetime
    ) -> Customer:
        to_set, to_unset = _profile_set(changes)
        name = changes.get("name", customer.name)
        email = changes.get("email", customer.email)
        to_set.update(search_fields(name, email))
        try:
            return await self._versioned(
                customer.id, expected_version, now, set_fields=to_set, unset_fields=to_unset
            )
        except DuplicateKeyError as exc:
            if EMAIL_INDEX in str(exc):
                raise _duplicate_email() from exc
            raise

    async def record_transition(
        self, customer_id: str, expected_version: int, event: LifecycleEvent
    ) -> Customer:
        """Stage change and its history entry in one atomic write, guarded by version."""
        return await self._versioned(
            customer_id,
            expected_version,
            event.at,
            set_fields={"lifecycleStage": event.to_stage.value},
            push={"lifecycleHistory": _event_document(event)},
            guard={"lifecycleStage": event.from_stage.value},
        )

    async def _versioned(
        self, customer_id: str, expected_version: int, now: datetime, **change: Any
    ) -> Customer:
        doc = await update_at_version(
            self._customers,
            to_object_id(customer_id),
            expected_version,
            now,
            noun="customer",
            id_field="customerId",
            **change,
        )
        return to_customer(doc)

    async def page(
        self,
        where: CustomerFilter,
        order: CustomerOrderField,
        descending: bool,
        first: int | None,
        after: str | None,
    ) -> Page[Customer]:
        return await find_page(
            self._customers,
            self._query(where),
            SortKey(order.value, descending),
            first,
            after,
            to_customer,
        )

    async def count(self) -> int:
        return await self._customers.estimated_document_count()

    @staticmethod
    def _query(where: CustomerFilter) -> dict[str, Any]:
        clauses: list[dict[str, Any]] = []
        if where.lifecycle_stage is not None:
            clauses.append({"lifecycleStage": where.lifecycle_stage.value})
        if where.tag:
            clauses.append({"tags": where.tag.strip().lower()})
        # Each word must start one of the customer's search terms (name words, email).
        clauses.extend(search_clauses(where.search_words))
        query = within(combine(clauses), customer_scope(where.scope))
        if where.search_words:
            query = within(query, customer_scope(where.searchable))
        return query
