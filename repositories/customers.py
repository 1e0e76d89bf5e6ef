"""Customers: documents <-> domain objects, their queries and guarded writes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import bson
from bson import Decimal128, ObjectId
from bson.codec_options import CodecOptions
from pymongo import ReturnDocument, UpdateMany, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import EVERYTHING, PersonalFields, Scope
from domain.churn import ChurnRisk, ChurnSignal
from domain.consent import Consent, ConsentChange, ConsentChannel
from domain.customers import Customer, CustomerKind
from domain.errors import Duplicate, IdempotencyKeyReused, NotFound
from domain.figures import CustomerFigures
from domain.lifecycle import (
    INITIAL_STAGE,
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
)
from domain.rfm import SegmentArea
from domain.search import fold
from domain.tiers import ValueTier
from repositories.access import scope_filter, within
from repositories.documents import (
    aggregate_all,
    by_ids,
    day,
    day_of,
    find_all,
    ids_present,
    insert_missing,
    update_at_version,
    without_none,
)
from repositories.ids import to_object_id
from repositories.pagination import Page, Paging, SortKey, find_page
from repositories.personal_data import Holding, Owner
from repositories.search import combine, search_clauses, search_fields
from repositories.transactions import StaleRead, in_transaction

COLLECTION = "customers"
EMAIL_INDEX = "customers_email_unique"
IDEMPOTENCY_INDEX = "customers_idempotency_key_unique"


class CustomerOrderField(Enum):
    CREATED_AT = "createdAt"
    NAME = "nameSort"


#: A customer's personal data, declared once: masking reads `MASKED`, export and erasure
#: read `PERSONAL_DOCUMENT_FIELDS` (what erasure removes or replaces, by document field).
MASKED = PersonalFields(
    hidden=(
        "email",
        "phone",
        "birthday",
        "child_birthday",
        "lifecycle_history.reason",
        "consent",
        "consent_history",
    ),
    names=("name",),
)
ERASED_NAME = "Erased customer"
PERSONAL_DOCUMENT_FIELDS: dict[str, Any] = {
    "name": ERASED_NAME,
    "nameSort": fold(ERASED_NAME),
    "email": None,
    "emailKey": None,
    "phone": None,
    "birthday": None,
    "childBirthday": None,
    "consent": {"sms": False, "email": False, "phone": False},  # withdrawn; the history stays as proof
    "searchTerms": [],
    "searchPrefixes": [],
    "idempotencyKey": None,
    "idempotencyFingerprint": None,
    "lifecycleHistory.$[].reason": "erased",
}


PERSONAL_DATA = Holding(COLLECTION, Owner.CUSTOMER, ("_id",), PERSONAL_DOCUMENT_FIELDS)


def segment_filter(areas: Sequence[SegmentArea]) -> dict[str, Any]:
    """Customers in a segment: last purchase within one of its day ranges, on one of its cells."""
    clauses = []
    for area in areas:
        last_purchase: dict[str, Any] = {"$lt": day(area.last_day + timedelta(days=1))}
        if area.first_day is not None:
            last_purchase["$gte"] = day(area.first_day)
        clauses.append(
            {"figures.rfmCell": {"$in": sorted(area.cells)}, "figures.lastPurchaseAt": last_purchase}
        )
    if not clauses:
        return {"_id": {"$in": []}}
    return clauses[0] if len(clauses) == 1 else {"$or": clauses}


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
    value_tier: ValueTier | None = None
    segment_areas: Sequence[SegmentArea] | None = None  # domain.rfm.segment_areas of a segment
    churn_risk_above: float | None = None  # as last scored
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


def figures_document(
    figures: CustomerFigures, tier: ValueTier, rfm_cell: str | None, churn: ChurnRisk | None
) -> dict[str, Any]:
    """A customer's running figures as stored, with what filters query: the tier, the F/M
    cell and the churn score (derived on write with the rules of the day)."""
    doc: dict[str, Any] = {
        "orders": figures.orders,
        "units": figures.units,
        "spend": Decimal128(figures.spend),
        "firstPurchaseAt": figures.first_purchase_at,
        "lastPurchaseAt": figures.last_purchase_at,
        "firstOrderUnits": figures.first_order_units,
        "firstPurchaseId": figures.first_purchase_id,
        "touchpoints": figures.touchpoints,
        "firstTouchpointAt": figures.first_touchpoint_at,
        "lastTouchpointAt": figures.last_touchpoint_at,
        "lastAnswerAt": figures.last_answer_at,
        "lastAnswerId": figures.last_answer_id,
        "lastSatisfaction": figures.last_satisfaction,
        "lastNps": figures.last_nps,
        "valueTier": tier.value,
        "rfmCell": rfm_cell,
        "churnRisk": churn_document(churn),
    }
    return without_none(doc)


def churn_document(churn: ChurnRisk | None) -> dict[str, Any] | None:
    if churn is None:
        return None
    return {
        "score": churn.score,
        "signals": [{"name": s.name, "weight": s.weight, "value": s.value} for s in churn.signals],
        "scoredAt": churn.scored_at,
    }


def to_figures(doc: Mapping[str, Any] | None) -> CustomerFigures:
    if not doc:
        return CustomerFigures()
    return CustomerFigures(
        orders=doc["orders"],
        units=doc["units"],
        spend=doc["spend"].to_decimal(),
        first_purchase_at=doc.get("firstPurchaseAt"),
        last_purchase_at=doc.get("lastPurchaseAt"),
        first_order_units=doc.get("firstOrderUnits", 0),
        first_purchase_id=doc.get("firstPurchaseId"),
        touchpoints=doc["touchpoints"],
        first_touchpoint_at=doc.get("firstTouchpointAt"),
        last_touchpoint_at=doc.get("lastTouchpointAt"),
        last_answer_at=doc.get("lastAnswerAt"),
        last_answer_id=doc.get("lastAnswerId"),
        last_satisfaction=doc.get("lastSatisfaction"),
        last_nps=doc.get("lastNps"),
    )


def to_churn(doc: Mapping[str, Any] | None) -> ChurnRisk | None:
    if not doc:
        return None
    signals = tuple(ChurnSignal(s["name"], s["weight"], s["value"]) for s in doc["signals"])
    return ChurnRisk(doc["score"], signals, doc["scoredAt"])


def _as_stored(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A document as the database would give it back (times to the millisecond)."""
    return bson.decode(bson.encode(doc), codec_options=_AS_READ)


_AS_READ: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=True)


def consent_document(consent: Consent) -> dict[str, bool]:
    return {"sms": consent.sms, "email": consent.email, "phone": consent.phone}


def consent_change_document(change: ConsentChange) -> dict[str, Any]:
    actor = change.actor
    return {
        "channel": change.channel.value,
        "given": change.given,
        "at": change.at,
        "source": change.source,
        "actor": {"id": actor.id, "name": actor.name, "role": actor.role},
    }


def _consent(doc: Mapping[str, Any] | None) -> Consent:
    return Consent(**{k: bool(v) for k, v in (doc or {}).items() if k in ("sms", "email", "phone")})


def _consent_change(doc: Mapping[str, Any]) -> ConsentChange:
    actor = doc["actor"]
    return ConsentChange(
        channel=ConsentChannel(doc["channel"]),
        given=doc["given"],
        at=doc["at"],
        source=doc["source"],
        actor=Actor(id=actor["id"], name=actor["name"], role=actor["role"]),
    )


def to_customer(doc: Mapping[str, Any]) -> Customer:
    figures = doc.get("figures")
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
        figures=to_figures(figures),
        churn_risk=to_churn(figures.get("churnRisk") if figures else None),
        child_birthday=day_of(doc.get("childBirthday")),
        consent=_consent(doc.get("consent")),
        consent_history=[_consent_change(c) for c in doc.get("consentHistory", [])],
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
        elif name == "child_birthday":
            name, value = "childBirthday", day(value)
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
    consent: Consent | None = None,
    consent_history: Sequence[ConsentChange] = (),
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
        "consent": consent_document(consent or Consent()),
        "consentHistory": [consent_change_document(c) for c in consent_history],
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
        consent: Consent | None = None,
        consent_history: Sequence[ConsentChange] = (),
        also: Callable[[Customer, AsyncClientSession], Awaitable[None]] | None = None,
    ) -> Customer:
        """Insert a new prospect. The idempotency key is honoured first: a retry returns
        the customer the key created (even when its email now collides), and the same
        key with a different request is refused. `also` is written in the insert's
        transaction (what the creation sets off), so a replayed retry writes it not again."""
        doc = new_customer_document(
            profile,
            now,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            consent=consent,
            consent_history=consent_history,
        )
        created = to_customer(doc)

        async def insert(session: AsyncClientSession) -> None:
            await self._customers.insert_one(doc, session=session)
            if also is not None:
                await also(created, session)

        try:
            await in_transaction(self._customers.database, insert)
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
        return created

    async def insert_many(self, docs: list[dict[str, Any]]) -> int:
        """Insert prepared documents, skipping ones already there (for idempotent seeding)."""
        return await insert_missing(self._customers, docs)

    async def present(self, ids: list[ObjectId]) -> set[ObjectId]:
        """Which of these customers exist (seeding skips them)."""
        return await ids_present(self._customers, ids)

    async def update_profile(
        self,
        customer: Customer,
        expected_version: int,
        changes: Mapping[str, Any],
        now: datetime,
        consent: Consent | None = None,
        consent_history: Sequence[ConsentChange] = (),
        session: AsyncClientSession | None = None,
    ) -> Customer:
        to_set, to_unset = _profile_set(changes)
        name = changes.get("name", customer.name)
        email = changes.get("email", customer.email)
        to_set.update(search_fields(name, email))
        push = None
        if consent is not None:
            to_set["consent"] = consent_document(consent)
        if consent_history:
            push = {"consentHistory": {"$each": [consent_change_document(c) for c in consent_history]}}
        try:
            return await self._versioned(
                customer.id,
                expected_version,
                now,
                set_fields=to_set,
                unset_fields=to_unset,
                push=push,
                session=session,
            )
        except DuplicateKeyError as exc:
            if EMAIL_INDEX in str(exc):
                raise _duplicate_email() from exc
            raise

    async def record_transition(
        self,
        customer_id: str,
        expected_version: int,
        event: LifecycleEvent,
        session: AsyncClientSession | None = None,
    ) -> Customer:
        """Stage change and its history entry in one atomic write, guarded by version."""
        return await self._versioned(
            customer_id,
            expected_version,
            event.at,
            set_fields={"lifecycleStage": event.to_stage.value},
            push={"lifecycleHistory": _event_document(event)},
            guard={"lifecycleStage": event.from_stage.value},
            session=session,
        )

    async def activity_state(
        self, customer_id: str, session: AsyncClientSession
    ) -> tuple[Customer, str | None]:
        """The customer as a transaction reads them before recording a purchase or touchpoint,
        with the F/M cell their running totals are filed under."""
        doc = await self._customers.find_one({"_id": to_object_id(customer_id)}, session=session)
        if doc is None:
            raise NotFound("no customer with this id", "customerId")
        return to_customer(doc), (doc.get("figures") or {}).get("rfmCell")

    async def record_activity(
        self,
        customer: Customer,
        figures: dict[str, Any],
        event: LifecycleEvent | None,
        session: AsyncClientSession,
    ) -> Customer:
        """New running figures (and the stage move a purchase proves), written only if the
        customer is still as it was read: same counts, same stage (else StaleRead, and the
        transaction is tried again on fresh data). Figures do not bump `version`, which
        guards what people edit; a stage move does."""
        guard: dict[str, Any] = {
            "_id": to_object_id(customer.id),
            "lifecycleStage": customer.lifecycle_stage.value,
        }
        if customer.figures.orders or customer.figures.touchpoints:
            guard["figures.orders"] = customer.figures.orders
            guard["figures.touchpoints"] = customer.figures.touchpoints
        else:
            guard["figures"] = {"$exists": False}
        update: dict[str, Any] = {"$set": {"figures": figures}}
        if event is not None:
            update["$set"].update({"lifecycleStage": event.to_stage.value, "updatedAt": event.at})
            update["$push"] = {"lifecycleHistory": _event_document(event)}
            update["$inc"] = {"version": 1}
        doc = await self._customers.find_one_and_update(
            guard, update, return_document=ReturnDocument.AFTER, session=session
        )
        if doc is None:
            raise StaleRead("customer")
        return to_customer(doc)

    async def record_transition_in(
        self,
        customer_id: str,
        expected_version: int | None,
        event: LifecycleEvent,
        session: AsyncClientSession,
    ) -> Customer | None:
        """A stage move inside a transaction, conditional on the stage it starts from (and the
        version when given); None when the customer is no longer there."""
        guard: dict[str, Any] = {"_id": to_object_id(customer_id), "lifecycleStage": event.from_stage.value}
        if expected_version is not None:
            guard["version"] = expected_version
        doc = await self._customers.find_one_and_update(
            guard,
            {
                "$set": {"lifecycleStage": event.to_stage.value, "updatedAt": event.at},
                "$push": {"lifecycleHistory": _event_document(event)},
                "$inc": {"version": 1},
            },
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        return to_customer(doc) if doc is not None else None

    async def ids(self, where: CustomerFilter, limit: int) -> list[str]:
        """The ids of the customers matching `where` (not erased), at most `limit` of them,
        in id order: whom a bulk issue reaches."""
        query = within(self._query(where), {"erasedAt": {"$exists": False}})
        cursor = self._customers.find(query, {"_id": 1}).sort("_id", 1).limit(limit).batch_size(limit)
        return [str(d["_id"]) async for d in cursor]

    async def each(self, batch: int = 1000, limit: int = 0) -> AsyncIterator[Customer]:
        """Every customer not erased (the first `limit`, if not 0), in id order (seeding
        loyalty for a whole base)."""
        cursor = (
            self._customers.find({"erasedAt": {"$exists": False}})
            .sort("_id", 1)
            .limit(limit)
            .batch_size(batch)
        )
        async for doc in cursor:
            yield to_customer(doc)

    async def mark_referred(self, customer_id: str, referrer_id: str, session: AsyncClientSession) -> bool:
        """Record who referred the customer, only while they have bought nothing and were
        not referred before. In the referral's transaction: it writes the document a first
        purchase writes, so a referral and a first purchase that race serialise instead of
        the purchase missing the referral."""
        done = await self._customers.update_one(
            {
                "_id": to_object_id(customer_id),
                "referredBy": {"$exists": False},
                "$or": [{"figures": {"$exists": False}}, {"figures.orders": 0}],
            },
            {"$set": {"referredBy": ObjectId(referrer_id)}},
            session=session,
        )
        return done.modified_count == 1

    async def set_churn_risks(self, scores: Sequence[tuple[str, ChurnRisk | None]]) -> int:
        """Store freshly computed churn risks (the scan); returns how many changed."""
        requests = [
            UpdateOne(
                {"_id": to_object_id(customer_id), "figures": {"$exists": True}},
                {"$set": {"figures.churnRisk": churn_document(churn)}},
            )
            for customer_id, churn in scores
        ]
        if not requests:
            return 0
        result = await self._customers.bulk_write(requests, ordered=False)
        return result.modified_count

    async def figures_of_everyone(
        self, batch: int = 1000
    ) -> AsyncIterator[tuple[str, LifecycleStage, CustomerFigures]]:
        """Every customer with running figures: id, stage and figures (the churn scan)."""
        cursor = self._customers.find(
            {"figures": {"$exists": True}}, {"figures": 1, "lifecycleStage": 1}
        ).batch_size(batch)
        async for doc in cursor:
            yield str(doc["_id"]), LifecycleStage(doc["lifecycleStage"]), to_figures(doc["figures"])

    async def replace_figures(self, figures: Mapping[str, dict[str, Any]]) -> int:
        """Set every customer's figures to these (a rebuild); customers not listed lose theirs.
        Only figures that differ from the stored ones are written: an update rewrites every
        index entry of the customer (on the embedded server, some 15 ms each), so a rebuild
        that changes nothing should write nothing."""
        stored = {
            str(d["_id"]): d["figures"]
            for d in await find_all(
                self._customers, {"figures": {"$exists": True}}, projection={"figures": 1}
            )
        }
        requests: list[Any] = [
            UpdateOne({"_id": ObjectId(customer_id)}, {"$set": {"figures": doc}})
            for customer_id, doc in figures.items()
            if stored.get(customer_id) != _as_stored(doc)
        ]
        if stale := [ObjectId(c) for c in stored if c not in figures]:
            requests.append(UpdateMany({"_id": {"$in": stale}}, {"$unset": {"figures": ""}}))
        if not requests:
            return 0
        result = await self._customers.bulk_write(requests, ordered=False)
        return result.modified_count

    # --- raw pipelines over the embedded histories: rebuilds, past reports, the benchmark ---

    async def lifecycle_moves_by_day(self) -> list[dict[str, Any]]:
        """Per (UTC day, action, from, to): how many moves, from every customer's history."""
        pipeline: list[dict[str, Any]] = [
            {"$unwind": "$lifecycleHistory"},
            {
                "$group": {
                    "_id": {
                        "day": {"$dateToString": {"format": "%Y-%m-%d", "date": "$lifecycleHistory.at"}},
                        "action": "$lifecycleHistory.action",
                        "from": "$lifecycleHistory.from",
                        "to": "$lifecycleHistory.to",
                    },
                    "moves": {"$sum": 1},
                }
            },
        ]
        return await aggregate_all(self._customers, pipeline)

    async def stages_at(self, moment: datetime) -> dict[str, int]:
        """How many customers were in each stage at `moment`, from their histories (the
        stage a customer was created in is the first move's `from`, PROSPECT without moves)."""
        before = {"$filter": {"input": "$lifecycleHistory", "cond": {"$lt": ["$$this.at", moment]}}}

        def field_of(array: str, index: int, field: str) -> dict[str, Any]:
            # The element's field through $let: a path into an array of documents
            # ("$moves.to") is not read by every MongoDB-compatible server (SecantusDB: null).
            return {"$let": {"vars": {"e": {"$arrayElemAt": [array, index]}}, "in": f"$$e.{field}"}}

        pipeline: list[dict[str, Any]] = [
            {"$match": {"createdAt": {"$lt": moment}}},
            {"$project": {"moves": before, "first": field_of("$lifecycleHistory", 0, "from")}},
            {
                "$group": {
                    "_id": {
                        "$cond": [
                            {"$gt": [{"$size": "$moves"}, 0]},
                            field_of("$moves", -1, "to"),
                            {"$ifNull": ["$first", INITIAL_STAGE.value]},
                        ]
                    },
                    "customers": {"$sum": 1},
                }
            },
        ]
        return {d["_id"]: d["customers"] for d in await aggregate_all(self._customers, pipeline)}

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
        paging: Paging,
    ) -> Page[Customer]:
        return await find_page(
            self._customers,
            self._query(where),
            SortKey(order.value, descending),
            paging,
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
        if where.value_tier is ValueTier.NONE:
            clauses.append({"figures.valueTier": {"$in": [None, ValueTier.NONE.value]}})
        elif where.value_tier is not None:
            clauses.append({"figures.valueTier": where.value_tier.value})
        if where.churn_risk_above is not None:
            clauses.append({"figures.churnRisk.score": {"$gt": where.churn_risk_above}})
        if where.segment_areas is not None:
            clauses.append(segment_filter(where.segment_areas))
        # Each word must start one of the customer's search terms (name words, email).
        clauses.extend(search_clauses(where.search_words))
        query = within(combine(clauses), customer_scope(where.scope))
        if where.search_words:
            query = within(query, customer_scope(where.searchable))
        return query
