"""Demo data, loaded by `main.py seed` and `serve --seed-if-empty`: a believable
customer base across every lifecycle stage, each customer with the purchases and
touchpoints of their journey and the running totals those add; key-account dossiers,
complaints, loyalty ledgers and care plans.

Deterministic (seeded random generators, fixed ids), so running it twice adds nothing.
Histories follow from the purchases and people's moves through the real state machine, so
they are always valid and agree with the events.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pymongo
from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from demo_care import seed_demo_care
from demo_loyalty import seed_demo_loyalty
from domain.complaints import (
    Complaint,
    ComplaintAction,
    ComplaintStatus,
    HistoryEntry,
    applicable_policy,
    applied_targets,
    clock_changes,
    starting_clocks,
)
from domain.consent import Consent, consent_changes
from domain.customers import CustomerKind, check_profile
from domain.key_accounts import (
    Category,
    CompanyProfile,
    DecisionRole,
    FollowUp,
    Grade,
    Relationship,
    ServiceContract,
    VisitCadence,
    VisitFindings,
    VisitLog,
    next_visit_due,
)
from domain.lifecycle import (
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
    allowed_actions,
    transition,
)
from domain.money import Money
from domain.purchases import PurchaseRequest, check_purchase, lifecycle_effect, purchase_reason
from domain.records import Channel, FeedbackCategory, FeedbackKind, PurchaseLine, Severity
from domain.touchpoints import JourneyStage, Sentiment, TouchpointRequest, TouchpointType, check_touchpoint
from domain.users import Role
from domain.value import ValueRules
from repositories.complaint_stats import ComplaintStatsRepository
from repositories.complaints import ComplaintRepository, complaint_document
from repositories.contacts import ContactRepository, new_contact_document, relationship_document
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository, new_customer_document
from repositories.documents import money_document
from repositories.key_accounts import KeyAccountRepository, new_key_account_document
from repositories.records import RecordRepository, purchase_document
from repositories.touchpoints import TouchpointRepository, touchpoint_document
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers.churn_scan import decide
from resolvers.journeys import SYSTEM
from resolvers.rollups import Tally, add_tally, churn_histories, filed, rebuild
from resolvers.tokens import DEMO_PARTNER_ID

DEMO_CUSTOMERS = 300
#: Demo ids number customers with four hex digits (_oid).
DEMO_CUSTOMERS_MAX = 50_000

FIRST = [
    "Mei",
    "Wei",
    "Lina",
    "Jun",
    "Anna",
    "Lukas",
    "Sofia",
    "Omar",
    "Priya",
    "Kenji",
    "Chloé",
    "Mateo",
    "Aisha",
    "Noah",
    "Yuki",
    "Elena",
    "Ravi",
    "Zoë",
    "Hana",
    "Tomás",
]
LAST = [
    "Chen",
    "Wang",
    "Li",
    "Zhang",
    "Müller",
    "Rossi",
    "García",
    "Khan",
    "Sato",
    "Novak",
    "Dubois",
    "Silva",
    "Okafor",
    "Larsen",
    "Kim",
    "Nguyen",
    "Haddad",
    "Costa",
    "Ivanova",
    "Park",
]
COMPANIES = [
    "Harbour Logistics",
    "Lotus Hotels",
    "Northwind Foods",
    "Jade Garden Restaurants",
    "Summit Outfitters",
    "Bluebird Pharmacy",
    "Crescent Telecom",
    "Maple Dairy",
    "Orion Freight",
    "Silk Road Trading",
]
TAGS = [
    "coffee-lover",
    "weekend-mornings",
    "family",
    "latte",
    "gift-buyer",
    "online-only",
    "store-regular",
    "community-member",
    "b2b",
    "price-sensitive",
    "premium",
]
SOURCES = ["store", "website", "app", "mini-program", "referral", "social", "partner-hotel"]
REASONS = {
    LifecycleAction.ACQUIRE: "first order placed",
    LifecycleAction.ACTIVATE: "second purchase",
    LifecycleAction.RETAIN: "steady repeat purchases",
    LifecycleAction.FLAG_AT_RISK: "purchase rhythm slowed; low satisfaction answer",
    LifecycleAction.LAPSE: "no purchase for 180 days",
    LifecycleAction.WIN_BACK: "responded to the win-back offer",
}
SEED_ACTOR = Actor(id="demo-data", name="Demo data", role="ADMIN")


def _seed_id(n: int) -> ObjectId:
    return ObjectId(f"5eed{n:020x}")


@dataclass(frozen=True)
class DemoCustomer:
    """A demo customer's document (without running figures) and the raw events of their
    journey; `history` is the document's lifecycle history."""

    document: dict[str, Any]
    history: list[LifecycleEvent]
    purchases: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]


@dataclass(frozen=True)
class _Profile:
    """Demo customer n before their journey: cheap to make, so a seed makes every profile and
    only the journeys of the customers not there yet."""

    n: int
    fields: dict[str, Any]  # checked (domain.customers.check_profile)
    created: datetime
    key_account: bool  # one of the first organisations: they get a dossier, and they buy

    @property
    def id(self) -> ObjectId:
        return _seed_id(self.n)

    @property
    def organisation(self) -> bool:
        return bool(self.fields["kind"] is CustomerKind.ORGANIZATION)


def _profiles(now: datetime, count: int) -> list[_Profile]:
    rng = random.Random(20261122)
    profiles: list[_Profile] = []
    organisations = 0
    for n in range(count):
        organisation = rng.random() < 0.2
        if organisation:
            name = f"{rng.choice(COMPANIES)} {rng.choice(['Group', 'Ltd', 'Co.', 'Holdings'])} {n}"
            email = f"purchasing{n}@{name.split()[0].lower()}.example.com"
            birthday = None
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f"{first} {last}"
            email = f"{first.lower()}.{last.lower()}.{n}@example.com"
            birthday = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
        fields = check_profile(
            {
                "name": name,
                "kind": CustomerKind.ORGANIZATION if organisation else CustomerKind.PERSON,
                "email": email,
                "phone": f"+86 138 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                "birthday": birthday,
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "source": rng.choice(SOURCES),
                # Every seventh customer is shared with the demo partner's portal.
                "shared_with": [DEMO_PARTNER_ID] if n % 7 == 0 else [],
            },
            now.date(),
            creating=True,
        )
        created = now - timedelta(days=rng.randint(30, 1095), minutes=rng.randint(0, 1440))
        profiles.append(_Profile(n, fields, created, organisation and organisations < DEMO_KEY_ACCOUNTS))
        organisations += organisation
    return profiles


def _demo_customer(profile: _Profile, now: datetime, rules: ValueRules) -> DemoCustomer:
    journey = _journey(profile.n, profile.created, now, profile.organisation, profile.key_account, rules)
    # Marketing consent as the customer gave it when they joined: most agree to email, many
    # to SMS, some to calls (so care plans have channels without rewriting the customer).
    rng = random.Random(f"rapport-demo-consent-{profile.n}")
    consent = Consent(sms=rng.random() < 0.7, email=rng.random() < 0.9, phone=rng.random() < 0.5)
    doc = new_customer_document(
        profile.fields,
        profile.created,
        stage=journey.stage,
        history=journey.history,
        object_id=profile.id,
        consent=consent,
        consent_history=consent_changes(Consent(), consent, profile.created, "demo data", SEED_ACTOR),
    )
    doc["updatedAt"] = journey.history[-1].at if journey.history else profile.created
    doc["version"] = 1 + len(journey.history)
    return DemoCustomer(doc, journey.history, journey.purchases, journey.touchpoints)


def demo_customers(
    now: datetime, count: int = DEMO_CUSTOMERS, rules: ValueRules | None = None
) -> list[DemoCustomer]:
    """`count` customers across every lifecycle stage, each with the purchases and touchpoints
    their stage implies. Customer n is the same whatever the count (its journey has a random
    generator of its own), so a larger seed extends the default demo."""
    return [_demo_customer(p, now, rules or ValueRules()) for p in _profiles(now, count)]


def demo_documents(now: datetime, count: int = DEMO_CUSTOMERS) -> list[dict]:
    return [c.document for c in demo_customers(now, count)]


#: A seed's batch work (thousands of inserts) runs under this deadline, not the per-request one.
SEED_DEADLINE_S = 1800


async def seed_demo_data(
    db: AsyncDatabase,
    now: datetime,
    cadence: VisitCadence | None = None,
    rules: ValueRules | None = None,
    customers: int = DEMO_CUSTOMERS,
) -> int:
    """Insert the demo customers with their purchases, touchpoints and running totals, the
    key-account dossiers, complaints, loyalty ledgers and care plans, that are not there yet;
    returns how many customers were added (0 on a second run)."""
    rules = rules or ValueRules()
    with pymongo.timeout(SEED_DEADLINE_S):
        profiles = _profiles(now, customers)
        await seed_demo_dossiers(db, now, cadence or VisitCadence(), profiles)
        await seed_demo_complaints(db, now)  # before the journeys: churn risk counts complaints
        added = await _seed_journeys(db, now, profiles, rules)
        await seed_demo_loyalty(db, now)
        await seed_demo_care(db, now)
    return added


#: Customers whose journeys are made together: the next chunk is made while the embedded
#: server stores the events of the last.
SEED_CHUNK = 500
CUSTOMER_BATCH = 250


async def _seed_journeys(
    db: AsyncDatabase, now: datetime, profiles: list[_Profile], rules: ValueRules
) -> int:
    """Store the journeys of the customers not there yet: their purchases and touchpoints,
    the rollups those add (summed here, as the writes add them: resolvers.rollups.Tally), then
    the customers with their figures. When some of the events were there already (a seed
    stopped half-way), the totals are rebuilt from the raw events instead. Customers go in
    last: one that is there has all its events and totals."""
    customers = CustomerRepository(db)
    records, touchpoints = RecordRepository(db), TouchpointRepository(db)
    histories = await churn_histories(db, rules, now)
    chunks = [profiles[start : start + SEED_CHUNK] for start in range(0, len(profiles), SEED_CHUNK)]

    async def journeys(chunk: list[_Profile]) -> list[DemoCustomer]:
        there = await customers.present([p.id for p in chunk])
        missing = [p for p in chunk if p.id not in there]
        return await asyncio.to_thread(lambda: [_demo_customer(p, now, rules) for p in missing])

    tally, documents, events_were_new = Tally(), [], True
    made = asyncio.ensure_future(journeys(chunks[0])) if chunks else None
    try:
        for k in range(len(chunks)):
            assert made is not None
            chunk = await made
            if k + 1 < len(chunks):
                made = asyncio.ensure_future(journeys(chunks[k + 1]))
            purchases = [p for c in chunk for p in c.purchases]
            moments = [t for c in chunk for t in c.touchpoints]
            added = await records.insert_purchases(purchases) + await touchpoints.insert_many(moments)
            events_were_new &= added == len(purchases) + len(moments)
            for c in chunk:
                for purchase in c.purchases:
                    tally.purchase(purchase)
                for moment in c.touchpoints:
                    tally.touchpoint(moment)
                for event in c.history:
                    tally.move(event)
                documents.append(c.document)
    finally:
        if made is not None and not made.done():
            made.cancel()  # an insert failed: the next chunk is not wanted
    if not documents:
        return 0
    figures = filed(tally.figures, histories, rules, now)
    for doc in documents:
        if (found := figures.documents.get(str(doc["_id"]))) is not None:
            doc["figures"] = found
    if events_were_new:
        await add_tally(db, tally, figures)
    added = 0
    for start in range(0, len(documents), CUSTOMER_BATCH):
        added += await customers.insert_many(documents[start : start + CUSTOMER_BATCH])
    if not events_were_new or added < len(documents):
        await rebuild(db, rules, now)
    return added


# --- journeys: purchases and touchpoints ---------------------------------------------------


@dataclass(frozen=True)
class _StagePlan:
    """How a stage's demo customers bought: how many of the demo are in it (a weight), how
    many purchases they made (before the rhythm below), how many days ago the last one was,
    and the customers' ages (days since they were created) the stage fits."""

    weight: int
    purchases: tuple[int, int]
    last_purchase_days: tuple[float, float]
    ages: tuple[float, float] = (0, math.inf)


STAGE_PLANS = {
    LifecycleStage.PROSPECT: _StagePlan(10, (0, 0), (0, 0)),
    # A first purchase not long ago: the young customers' stage.
    LifecycleStage.ACQUIRED: _StagePlan(40, (1, 1), (1, 150), ages=(0, 240)),
    LifecycleStage.ACTIVE: _StagePlan(22, (2, 16), (0.2, 45)),
    LifecycleStage.RETAINED: _StagePlan(24, (6, 28), (0.2, 30), ages=(90, math.inf)),
    # Buying slowed: the last purchase 60-170 days ago, before the 180-day lapse line.
    LifecycleStage.AT_RISK: _StagePlan(14, (3, 12), (60, 170), ages=(120, math.inf)),
    # Gone: the last purchase more than 180 days ago.
    LifecycleStage.LAPSED: _StagePlan(16, (1, 8), (185, 900), ages=(200, math.inf)),
}
#: Leads buy for the first time within this many days of being created; customers then buy
#: at least this often until they stop (a longer gap is a lapse the churn scan records).
CONVERSION_DAYS = 60
BUYING_RHYTHM_DAYS = 90
#: Share of the ACTIVE and RETAINED customers old enough (days) who lapsed once and were won back.
WON_BACK_SHARE = 0.25
WON_BACK_AGE_DAYS = 400

#: (sku, unit price, points per unit) by what a customer usually buys.
CATALOGUE: dict[str, list[tuple[str, str, int]]] = {
    "coffee": [
        ("LATTE-M", "32.00", 3),
        ("AMERICANO-M", "26.00", 2),
        ("CROISSANT", "18.00", 1),
        ("DESSERT-LIMITED", "38.00", 4),
        ("COLD-BREW", "35.00", 3),
    ],
    "home": [
        ("BEANS-HOUSE-1KG", "168.00", 15),
        ("MUG-CERAMIC", "88.00", 8),
        ("GIFT-BOX", "268.00", 25),
        ("DRIP-KIT", "129.00", 12),
        ("LATTE-M", "32.00", 3),
    ],
    "premium": [
        ("ROOM-NIGHT", "780.00", 80),
        ("CATERING-SET", "1280.00", 120),
        ("ESPRESSO-MACHINE", "2999.00", 300),
        ("GIFT-CARD-1000", "1000.00", 0),
        ("BEANS-CASE-10KG", "1480.00", 140),
    ],
}
PERSON_BASKETS = {"coffee": 50, "home": 40, "premium": 10}
ORGANISATION_BASKETS = {"home": 50, "premium": 50}
PERSON_CHANNELS = {
    Channel.STORE: 35,
    Channel.APP: 25,
    Channel.MINI_PROGRAM: 20,
    Channel.WEBSITE: 15,
    Channel.PHONE: 5,
}
ORGANISATION_CHANNELS = {Channel.VISIT: 30, Channel.PHONE: 25, Channel.EMAIL: 20, Channel.WEBSITE: 25}

_TP = TouchpointType
#: The channels each kind of touchpoint happens at (weights).
TOUCHPOINT_CHANNELS: dict[TouchpointType, dict[Channel, int]] = {
    _TP.INQUIRY: {
        Channel.CHAT: 25,
        Channel.PHONE: 15,
        Channel.WEBSITE: 15,
        Channel.SOCIAL: 15,
        Channel.MINI_PROGRAM: 10,
        Channel.EMAIL: 10,
        Channel.STORE: 10,
    },
    _TP.CALL: {Channel.PHONE: 1},
    _TP.VISIT: {Channel.STORE: 3, Channel.VISIT: 1},
    _TP.DELIVERY: {Channel.SMS: 40, Channel.APP: 40, Channel.EMAIL: 20},
    _TP.USAGE: {Channel.APP: 50, Channel.MINI_PROGRAM: 30, Channel.COMMUNITY: 20},
    _TP.SERVICE_REQUEST: {Channel.PHONE: 50, Channel.CHAT: 25, Channel.EMAIL: 15, Channel.APP: 10},
    _TP.REVIEW: {Channel.APP: 35, Channel.WEBSITE: 25, Channel.SOCIAL: 25, Channel.MINI_PROGRAM: 15},
    _TP.SURVEY: {Channel.EMAIL: 50, Channel.SMS: 30, Channel.APP: 20},
    _TP.CARE: {Channel.PHONE: 50, Channel.SMS: 30, Channel.EMAIL: 20},
}
AFTER_SALE_TYPES = {_TP.USAGE: 20, _TP.REVIEW: 25, _TP.SERVICE_REQUEST: 25, _TP.SURVEY: 20, _TP.CARE: 10}
#: How often a moment goes badly. Most go well; bad moments concentrate where the demo's
#: experience hotspots are: after-sale service on the hotline (long waits, transfers) and
#: paying for or following an order in the app.
BAD_MOMENT = 0.04
HOTSPOTS = {(JourneyStage.AFTER_SALE, Channel.PHONE): 0.45, (JourneyStage.IN_SALE, Channel.APP): 0.35}
#: Customers on their way out (AT_RISK, LAPSED) had more bad moments towards the end.
UNHAPPY_ENDING = 0.3
GOOD_NOTES = [
    "friendly and quick",
    "latte just right, as always",
    "delivered on time and well packed",
    "the agent solved it in one call",
    "loves the limited dessert",
    "easy checkout",
    "asked about the weekend morning offer",
]
BAD_NOTES = {
    Channel.PHONE: [
        "waited 25 minutes on the hotline",
        "transferred three times, nobody could help",
        "promised call back never came",
    ],
    Channel.APP: [
        "payment failed twice in the app",
        "the app showed delivered, nothing arrived",
        "coupon would not apply at checkout",
    ],
}
OTHER_BAD_NOTES = ["order arrived late", "the drink was cold", "staff seemed rushed", "invoice was wrong"]


@dataclass(frozen=True)
class _Journey:
    stage: LifecycleStage
    history: list[LifecycleEvent]
    purchases: list[dict[str, Any]]
    touchpoints: list[dict[str, Any]]


def _journey(
    n: int, created: datetime, now: datetime, organisation: bool, must_buy: bool, rules: ValueRules
) -> _Journey:
    """Customer n's purchases (when, how many: from a stage the demo aims at), the lifecycle
    those purchases and people's moves made (the rules of domain.purchases and the churn
    scan's lapse line), and the touchpoints around them."""
    rng = random.Random(f"rapport-demo-journey-{n}")
    age = (now - created).total_seconds() / 86_400
    stages = [
        s
        for s, plan in STAGE_PLANS.items()
        if plan.ages[0] <= age <= plan.ages[1] and not (must_buy and plan.purchases[1] == 0)
    ]
    aim = rng.choices(stages, weights=[STAGE_PLANS[s].weight for s in stages])[0]
    won_back = (
        aim in (LifecycleStage.ACTIVE, LifecycleStage.RETAINED)
        and age > WON_BACK_AGE_DAYS
        and rng.random() < WON_BACK_SHARE
    )
    if won_back:  # the current run of purchases began well after they joined
        days = _won_back(rng, _purchase_days(rng, STAGE_PLANS[aim], rng.uniform(90, age - 300)), age)
    else:
        days = _purchase_days(rng, STAGE_PLANS[aim], age)
    times = [_minute(now - timedelta(days=d)) for d in days]
    customer_id = str(_seed_id(n))
    basket = _weighted(rng, ORGANISATION_BASKETS if organisation else PERSON_BASKETS)
    channels = ORGANISATION_CHANNELS if organisation else PERSON_CHANNELS
    usual = _weighted(rng, channels)
    purchases = []
    for p, at in enumerate(times):
        channel = usual if rng.random() < 0.7 else _weighted(rng, channels)
        checked = check_purchase(
            PurchaseRequest(
                customer_id=customer_id,
                purchased_at=at,
                channel=channel,
                lines=_lines(rng, basket, organisation, first=p == 0),
                idempotency_key=f"demo-purchase-{n}-{p}",
            ),
            now,
            rules.currency,
        )
        doc = purchase_document(checked, _oid("9b", n, p), at)  # recorded as it happened
        # History loaded, not a client's call to retry: no idempotency key (nor the unique
        # index entry that would cost), as with purchases imported from a till.
        del doc["idempotencyKey"], doc["fingerprint"]
        purchases.append(doc)
    history = _lifecycle(rng, aim, [p["_id"] for p in purchases], times, now, rules)
    stage = history[-1].to_stage if history else LifecycleStage.PROSPECT
    unhappy = stage in (LifecycleStage.AT_RISK, LifecycleStage.LAPSED)
    touchpoints = _touchpoints(rng, n, customer_id, created, times, purchases, unhappy, organisation, now)
    return _Journey(stage, history, purchases, touchpoints)


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _purchase_days(rng: random.Random, plan: _StagePlan, age: float) -> list[float]:
    """How many days ago each purchase was, oldest first: from soon after the customer was
    created to the stage's last purchase, at least every BUYING_RHYTHM_DAYS."""
    fewest, most = plan.purchases
    if most == 0:
        return []
    low, high = plan.last_purchase_days
    if most == 1:  # the first purchase is still the only one
        return [rng.uniform(low, min(high, age - 0.1))]
    first = age - rng.uniform(0.1, min(CONVERSION_DAYS, age - low))
    if (count := rng.randint(fewest, most)) == 1:  # bought once and never again
        return [first]
    return _spaced(rng, first, rng.uniform(low, min(high, first)), count)


def _spaced(rng: random.Random, first: float, last: float, count: int) -> list[float]:
    """`count` purchases from `first` to `last` days ago (more if the rhythm needs them), about
    evenly spaced."""
    span = first - last
    count = max(count, math.ceil(span / BUYING_RHYTHM_DAYS) + 1)
    count = min(count, max(2, int(span) + 1))  # about one a day at most
    if count == 1:
        return [first]
    gap = span / (count - 1)
    between = [first - gap * (i + rng.uniform(-0.3, 0.3)) for i in range(1, count - 1)]
    return [first, *between, last]


def _won_back(rng: random.Random, days: list[float], age: float) -> list[float]:
    """An earlier run of purchases, from soon after the customer was created, then more than
    the lapse period without any: the customer lapsed and the first of `days` won them back."""
    first = age - rng.uniform(0.1, CONVERSION_DAYS)
    last = days[0] + rng.uniform(200, 260)
    if first < last:
        return days
    return [*_spaced(rng, first, last, rng.randint(1, 4)), *days]


def _lifecycle(
    rng: random.Random,
    aim: LifecycleStage,
    purchase_ids: Sequence[ObjectId],
    times: list[datetime],
    now: datetime,
    rules: ValueRules,
) -> list[LifecycleEvent]:
    """The history the purchases and people's moves make, walked through the state machine:
    purchases move the stage as recording them does (domain.purchases.lifecycle_effect), the
    churn scan lapses whoever has not bought for the lapse period (a day or so after it is
    due), and agents retain, flag and save customers."""
    moves: list[tuple[datetime, LifecycleAction, str]] = []

    def person(at: datetime, action: LifecycleAction, reason: str | None = None) -> None:
        moves.append((min(_minute(at), now - timedelta(minutes=1)), action, reason or REASONS[action]))

    def days(value: float) -> timedelta:
        return timedelta(days=value)

    for i, at in enumerate(times):
        until = times[i + 1] if i + 1 < len(times) else now
        due = at + days(rules.lapse_days)
        if due < until:
            moves.append(
                (
                    _minute(min(due + days(rng.uniform(0.1, 1.5)), due + (until - due) / 2)),
                    LifecycleAction.LAPSE,
                    "",
                )
            )
    retains = aim is LifecycleStage.RETAINED or (aim is LifecycleStage.AT_RISK and rng.random() < 0.5)
    if retains and len(times) >= 3:
        person(min(times[2] + days(rng.uniform(1, 14)), times[-1]), LifecycleAction.RETAIN)
    if aim is LifecycleStage.RETAINED and len(times) >= 6 and rng.random() < 0.25:
        # Saved: flagged at risk in the longest lull, retained when they came back.
        gaps = [(times[i + 1] - times[i], i) for i in range(3, len(times) - 1)]
        _, i = max(gaps)
        person(times[i] + (times[i + 1] - times[i]) / 2, LifecycleAction.FLAG_AT_RISK)
        person(
            times[i + 1] + days(rng.uniform(0.05, 2)), LifecycleAction.RETAIN, "accepted the loyalty offer"
        )
    if aim is LifecycleStage.AT_RISK:
        quiet = (now - times[-1]).days
        person(times[-1] + days(rng.uniform(30, min(90, quiet - 1))), LifecycleAction.FLAG_AT_RISK)
    if aim is LifecycleStage.LAPSED and len(times) >= 2 and rng.random() < 0.4:
        person(times[-1] + days(rng.uniform(30, 120)), LifecycleAction.FLAG_AT_RISK)

    timeline = [(at, 0, i) for i, at in enumerate(times)] + [(at, 1, i) for i, (at, _, _) in enumerate(moves)]
    stage, orders, events = LifecycleStage.PROSPECT, 0, []
    for at, kind, i in sorted(timeline):
        event = None
        if kind == 0:
            if (action := lifecycle_effect(stage, orders)) is not None:
                reason = purchase_reason(action, str(purchase_ids[i]))
                event = LifecycleEvent(action, stage, transition(stage, action), at, SYSTEM, reason)
            orders += 1
        else:
            _, action, reason = moves[i]
            if action is LifecycleAction.LAPSE:
                lapse = decide(stage, times[orders - 1], None, at, rules) if orders else None
                if lapse is not None and lapse[0] is action:
                    event = LifecycleEvent(action, stage, transition(stage, action), at, SYSTEM, lapse[1])
            elif action in allowed_actions(stage):
                event = LifecycleEvent(action, stage, transition(stage, action), at, SEED_ACTOR, reason)
        if event is not None:
            events.append(event)
            stage = event.to_stage
    return events


def _lines(rng: random.Random, basket: str, organisation: bool, first: bool) -> list[PurchaseLine]:
    if first and not organisation and rng.random() < 0.3:  # "buy 3 get 1": a quality new customer
        sku, price, points = rng.choice(CATALOGUE[basket])
        return [PurchaseLine(sku, 4, Decimal(price), points)]
    lines = []
    for sku, price, points in rng.sample(CATALOGUE[basket], rng.choices([1, 2, 3], weights=[60, 28, 12])[0]):
        quantity = rng.choices([1, 2, 3], weights=[75, 18, 7])[0] * (rng.randint(2, 8) if organisation else 1)
        lines.append(PurchaseLine(sku, quantity, Decimal(price), points))
    return lines


def _touchpoints(
    rng: random.Random,
    n: int,
    customer_id: str,
    created: datetime,
    times: list[datetime],
    purchases: list[dict[str, Any]],
    unhappy: bool,
    organisation: bool,
    now: datetime,
) -> list[dict[str, Any]]:
    """Inquiries before buying, the purchase itself, payment or delivery, and use, service,
    reviews and surveys after it; retention care for those on their way out."""
    found: list[TouchpointRequest] = []
    turning = times[-1] - (times[-1] - times[0]) / 4 if times else now  # where an unhappy ending starts

    def add(stage: JourneyStage, kind: TouchpointType, at: datetime, channel: Channel | None = None) -> None:
        at = at.replace(microsecond=0)
        if not created <= at <= now:
            return
        if channel is None:
            channel = _weighted(rng, TOUCHPOINT_CHANNELS[kind])
            if channel is Channel.STORE and organisation:
                channel = Channel.VISIT
        chance = HOTSPOTS.get((stage, channel), BAD_MOMENT) + (
            UNHAPPY_ENDING if unhappy and at >= turning else 0
        )
        found.append(_moment(rng, customer_id, stage, kind, channel, at, rng.random() < chance))

    def days(value: float) -> timedelta:
        return timedelta(days=value)

    before = times[0] if times else now
    for _ in range(rng.choice([1, 2, 3]) if not times else rng.choices([0, 1, 2], weights=[40, 45, 15])[0]):
        kind = rng.choice([_TP.INQUIRY, _TP.INQUIRY, _TP.CALL, _TP.VISIT])
        add(JourneyStage.PRE_SALE, kind, created + (before - created) * rng.random())
    for at, purchase in zip(times, purchases, strict=True):
        channel = Channel(purchase["channel"])
        if rng.random() < 0.15:
            add(JourneyStage.PRE_SALE, _TP.INQUIRY, at - days(rng.uniform(0.02, 3)))
        if rng.random() < 0.45:
            if channel in (Channel.STORE, Channel.VISIT, Channel.PHONE):
                add(JourneyStage.IN_SALE, _TP.PURCHASE, at, channel)
            elif rng.random() < 0.5:
                add(JourneyStage.IN_SALE, _TP.PAYMENT, at + timedelta(minutes=rng.randint(0, 5)), channel)
            else:
                add(JourneyStage.IN_SALE, _TP.DELIVERY, at + days(rng.uniform(0.2, 3)))
        if rng.random() < 0.35:
            add(JourneyStage.AFTER_SALE, _weighted(rng, AFTER_SALE_TYPES), at + days(rng.uniform(1, 20)))
    if unhappy and times:  # a retention or win-back call after they stopped buying
        add(JourneyStage.AFTER_SALE, _TP.CARE, times[-1] + (now - times[-1]) * rng.uniform(0.3, 0.9))
    found.sort(key=lambda t: t.occurred_at)
    return [
        touchpoint_document(check_touchpoint(t, now), _oid("7c", n, i), None, t.occurred_at)
        for i, t in enumerate(found)
    ]


def _moment(
    rng: random.Random,
    customer_id: str,
    stage: JourneyStage,
    kind: TouchpointType,
    channel: Channel,
    at: datetime,
    bad: bool,
) -> TouchpointRequest:
    """A touchpoint, rated sometimes: surveys and reviews mostly, bad moments more often
    (people speak up when something went wrong)."""
    asked = kind in (_TP.SURVEY, _TP.REVIEW)
    satisfaction = nps = sentiment = notes = None
    if rng.random() < (0.9 if asked else 0.55 if bad else 0.3):
        satisfaction = rng.choice([1, 2, 2]) if bad else _weighted(rng, {3: 12, 4: 40, 5: 48})
    if rng.random() < (0.7 if kind is _TP.SURVEY else 0.08):
        nps = rng.randint(0, 6) if bad else _weighted(rng, {6: 4, 7: 10, 8: 20, 9: 33, 10: 33})
    if rng.random() < (0.6 if asked or bad else 0.2):
        sentiment = (
            Sentiment.NEGATIVE
            if bad
            else rng.choice([Sentiment.POSITIVE, Sentiment.POSITIVE, Sentiment.NEUTRAL])
        )
    if rng.random() < (0.5 if asked or bad else 0.1):
        notes = rng.choice(BAD_NOTES.get(channel, OTHER_BAD_NOTES) if bad else GOOD_NOTES)
    return TouchpointRequest(
        customer_id=customer_id,
        channel=channel,
        stage=stage,
        type=kind,
        occurred_at=at,
        satisfaction=satisfaction,
        nps=nps,
        sentiment=sentiment,
        notes=notes,
    )


# --- key-account dossiers ------------------------------------------------------------------

DEMO_KEY_ACCOUNTS = 40
DEMO_MANAGERS = ["Wang Fang", "Zhao Lei", "Sun Mei", "Zhou Tao"]
INDUSTRIES = ["Logistics", "Hospitality", "Food & beverage", "Retail", "Pharmacy", "Telecom"]
CONTACT_NAMES = ["Chen Jie", "Liu Yang", "Huang Min", "Zhao Lin", "Wu Hao", "Xu Jing", "Sun Li", "Ma Chao"]
TITLES = ["CEO", "Procurement Director", "Operations Manager", "Finance Controller", "Office Manager"]
HOBBIES = ["golf", "tea", "hiking", "calligraphy", "football", "photography", "wine"]
PURPOSES = [
    "quarterly business review",
    "contract renewal talk",
    "service complaint follow-up",
    "new product introduction",
    "relationship visit",
]


@dataclass
class Dossiers:
    accounts: list[dict] = field(default_factory=list)
    contacts: list[dict] = field(default_factory=list)
    links: list[dict] = field(default_factory=list)
    visits: list[VisitLog] = field(default_factory=list)
    contracts: list[ServiceContract] = field(default_factory=list)
    purchases: list[dict] = field(default_factory=list)


def _oid(prefix: str, *numbers: int) -> ObjectId:
    return ObjectId(prefix + "".join(f"{n:04x}" for n in numbers).rjust(24 - len(prefix), "0"))


def dossier_documents(
    organisations: list[dict], manager_ids: list[str], now: datetime, cadence: VisitCadence, seed: int = 7
) -> Dossiers:
    """A dossier for each organisation document: contacts and who knows whom, visits (some
    overdue), contracts (some ending soon) and purchases. Ids are fixed, so re-runs add nothing."""
    rng = random.Random(seed)
    out = Dossiers()
    for n, org in enumerate(organisations):
        account_id = _oid("ac", n)
        grade = rng.choice([Grade.A, Grade.B, Grade.B, Grade.C, Grade.C])
        opened = max(org["createdAt"], now - timedelta(days=700)) + timedelta(days=rng.randint(0, 20))
        opened = min(opened, now - timedelta(days=1))
        revenue = Money(Decimal(rng.randint(5, 500) * 100_000), "CNY")
        profile = CompanyProfile(
            legal_representative=rng.choice(CONTACT_NAMES),
            size=rng.choice(["50-200 employees", "200-1000 employees", "1000+ employees"]),
            main_products=rng.sample(
                ["freight", "rooms", "catering", "retail goods", "medicine", "data plans"], 2
            ),
            annual_revenue=revenue,
            person_in_charge=rng.choice(CONTACT_NAMES),
        )
        contact_ids = [str(_oid("c0", n, i)) for i in range(rng.randint(2, 5))]
        for i, contact_id in enumerate(contact_ids):
            fields = {
                "name": CONTACT_NAMES[(n + i) % len(CONTACT_NAMES)],
                "title": TITLES[i % len(TITLES)],
                "decision_role": list(DecisionRole)[i % len(DecisionRole)],
                "email": f"contact{i}@account{n}.example.com",
                "hobbies": rng.sample(HOBBIES, 2),
                "family": rng.choice(["two children", "newly married", "grandchild born this year", None]),
            }
            out.contacts.append(new_contact_document(str(account_id), fields, opened, ObjectId(contact_id)))
        for i in range(1, len(contact_ids)):
            relationship = Relationship.REPORTS_TO if i == 1 else rng.choice(list(Relationship))
            out.links.append(
                relationship_document(
                    contact_ids[i], contact_ids[0], relationship, None, opened, _oid("e0", n, i)
                )
            )
        last_visit, planned = None, None
        visit_days, day = [], opened
        while (day := day + cadence.interval(grade) * rng.uniform(0.7, 1.0)) < now:
            visit_days.append(day)
        if visit_days and rng.random() < 0.3:  # a neglected account: its last visits never happened
            visit_days = visit_days[: -rng.randint(1, min(2, len(visit_days)))]
        for v, visit_day in enumerate(visit_days[-6:]):
            planned = visit_day + cadence.interval(grade) if rng.random() < 0.3 else None
            out.visits.append(
                VisitLog(
                    id=str(_oid("f0", n, v)),
                    key_account_id=str(account_id),
                    visited_at=visit_day,
                    visitor_ids=[manager_ids[n % len(manager_ids)]],
                    contact_ids=rng.sample(contact_ids, 1),
                    purpose=rng.choice(PURPOSES),
                    findings=VisitFindings(
                        needs=rng.sample(["faster delivery", "monthly invoicing", "dedicated hotline"], 1),
                        satisfaction=rng.randint(3, 5),
                        issues=rng.sample(
                            ["late invoices", "damaged parcels", "slow replies"], rng.randint(0, 1)
                        ),
                    ),
                    follow_ups=[
                        FollowUp(
                            id=str(_oid("d0", n, v)),
                            action="send the proposal discussed",
                            owner_id=manager_ids[n % len(manager_ids)],
                            due_at=visit_day + timedelta(days=7),
                            done_at=visit_day + timedelta(days=5) if rng.random() < 0.7 else None,
                        )
                    ],
                    next_visit_at=planned,
                    logged_by=manager_ids[n % len(manager_ids)],
                    created_at=visit_day,
                )
            )
            last_visit = visit_day
        doc = new_key_account_document(
            customer_id=str(org["_id"]),
            grade=grade,
            category=rng.choice(list(Category)),
            industry=rng.choice(INDUSTRIES),
            manager_id=manager_ids[n % len(manager_ids)],
            profile=profile,
            next_visit_due_at=next_visit_due(grade, cadence, opened, last_visit, planned),
            now=opened,
            object_id=account_id,
        )
        if last_visit:
            doc["lastVisitAt"] = last_visit
        if planned:
            doc["plannedNextVisitAt"] = planned
        out.accounts.append(doc)
        for c in range(rng.randint(1, 2)):
            ends = now.date() + timedelta(days=rng.choice([12, 45, 90, 200, 300, 400, -30]))
            out.contracts.append(
                ServiceContract(
                    id=str(_oid("b0", n, c)),
                    key_account_id=str(account_id),
                    content=rng.choice(["annual freight service", "corporate room rates", "catering supply"]),
                    starts_on=ends - timedelta(days=365),
                    ends_on=ends,
                    fees=Money(Decimal(rng.randint(10, 900) * 1000), "CNY"),
                    confidentiality=rng.random() < 0.5,
                    created_at=opened,
                )
            )
        for p in range(rng.randint(3, 10)):
            out.purchases.append(
                {
                    "_id": _oid("9a", n, p),
                    "customerId": org["_id"],
                    "purchasedAt": opened + timedelta(days=rng.randint(0, max(1, (now - opened).days - 1))),
                    "amount": money_document(Money(Decimal(rng.randint(1, 500) * 100), "CNY")),
                    "units": rng.randint(1, 40),
                    "channel": rng.choice(["VISIT", "PHONE", "WEBSITE", "EMAIL"]),
                }
            )
    return out


async def store_dossiers(db: AsyncDatabase, dossiers: Dossiers) -> int:
    added = await KeyAccountRepository(db).insert_many(dossiers.accounts)
    await ContactRepository(db).insert_many(dossiers.contacts, dossiers.links)
    await VisitRepository(db).insert_many(dossiers.visits)
    await ContractRepository(db).insert_many(dossiers.contracts)
    await RecordRepository(db).insert_purchases(dossiers.purchases)
    return added


async def seed_demo_dossiers(
    db: AsyncDatabase, now: datetime, cadence: VisitCadence, profiles: Sequence[_Profile] = ()
) -> int:
    """Dossiers for the first organisations of the demo (`profiles`: the demo's, when the
    caller has made them)."""
    users = UserRepository(db)
    managers = [await users.ensure_user(name, Role.ACCOUNT_MANAGER, None, now) for name in DEMO_MANAGERS]
    if len(profiles) < DEMO_CUSTOMERS:
        profiles = _profiles(now, DEMO_CUSTOMERS)
    organisations = [{"_id": p.id, "createdAt": p.created} for p in profiles if p.key_account]
    dossiers = dossier_documents(organisations, [m.id for m in managers], now, cadence)
    dossiers.purchases.clear()  # the accounts' purchases are those of their journeys (seed_demo_data)
    return await store_dossiers(db, dossiers)


# --- complaints and feedback -----------------------------------------------------------------

DEMO_COMPLAINTS = 300
DEMO_AGENTS = ["Li Na", "Chen Hui", "Gao Yan"]
COMPLAINT_SUMMARIES = {
    FeedbackCategory.LOGISTICS: ["parcel arrived late", "parcel damaged", "wrong address delivery"],
    FeedbackCategory.PRODUCT: ["item not as described", "defective unit", "missing accessory"],
    FeedbackCategory.COMMUNICATION: ["no reply to email", "agent was rude", "unclear instructions"],
    FeedbackCategory.SERVICE: ["long hotline wait", "return refused", "installation missed"],
    FeedbackCategory.PROMOTION: ["gift not received", "coupon did not apply", "event cancelled"],
    FeedbackCategory.BILLING: ["charged twice", "invoice wrong", "refund not received"],
    FeedbackCategory.OTHER: ["general feedback", "suggestion for the app", "store opening hours"],
}


def _demo_delay(rng: random.Random, usual: timedelta) -> timedelta:
    """Within `usual` four times in five, up to three times as long otherwise."""
    seconds = usual.total_seconds()
    late = rng.random() < 0.2
    return timedelta(
        seconds=rng.uniform(seconds, 3 * seconds) if late else rng.uniform(0.1 * seconds, seconds)
    )


def _demo_item(
    rng: random.Random,
    n: int,
    prefix: str,
    customer_id: ObjectId,
    now: datetime,
    policies: list,
    owners: list[str],
) -> tuple[Complaint, list[tuple[Complaint, Complaint, datetime]]]:
    """An item as filed and as it stands now: walked through the loop at random speeds,
    some late, some waiting, reopened or discarded."""
    severity = rng.choices(list(Severity), weights=[4, 5, 2, 1])[0]
    category = rng.choice(list(FeedbackCategory))
    kind = rng.choices(list(FeedbackKind), weights=[7, 1, 1, 1])[0]
    received = now - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 1439))
    policy = applicable_policy(policies, severity, None, vip=False)
    targets = applied_targets(policy)
    actor = Actor(id=owners[n % len(owners)], name=DEMO_AGENTS[n % len(DEMO_AGENTS)], role="CX_AGENT")
    filed = Complaint(
        id=str(_oid(prefix, n)),
        customer_id=str(customer_id),
        key_account_id=None,
        channel=rng.choice(list(Channel)),
        kind=kind,
        category=category,
        severity=severity,
        summary=rng.choice(COMPLAINT_SUMMARIES[category]),
        description=None,
        department_at_fault=None,
        received_at=received,
        status=ComplaintStatus.OPEN,
        department_id=None,
        owner_id=actor.id,
        policy_name=policy.name if policy else "default",
        calendar=None,
        targets=targets,
        clocks=starting_clocks(targets, received),
        pauses=[],
        history=[HistoryEntry(ComplaintAction.FILE, None, ComplaintStatus.OPEN, received, actor)],
    )
    item, at = filed, received
    moves: list[tuple[Complaint, Complaint, datetime]] = []
    steps = [
        # Most teams answer within the hour and resolve within the day; some do not.
        (ComplaintAction.ACKNOWLEDGE, ComplaintStatus.ACKNOWLEDGED, _demo_delay(rng, timedelta(minutes=55))),
        (ComplaintAction.START_WORK, ComplaintStatus.IN_PROGRESS, timedelta(minutes=rng.randint(5, 60))),
        (ComplaintAction.RESOLVE, ComplaintStatus.RESOLVED, _demo_delay(rng, timedelta(hours=20))),
        (
            ComplaintAction.RECORD_FOLLOW_UP,
            ComplaintStatus.CLOSED,
            _demo_delay(rng, timedelta(days=2, hours=20)),
        ),
    ]
    if rng.random() < 0.05:
        steps = [(ComplaintAction.DISCARD, ComplaintStatus.DISCARDED, timedelta(minutes=rng.randint(5, 60)))]
    # Older items have mostly gone round the loop; recent ones are still in it.
    walked = len(steps) if received < now - timedelta(days=7) and rng.random() < 0.85 else rng.randint(0, 4)
    for action, status, after in steps[:walked]:
        if at + after > now:
            break
        at = at + after
        clocks = {**item.clocks, **clock_changes(action, item, at)}
        extra: dict = {}
        if action is ComplaintAction.RESOLVE:
            extra = {
                "resolution": "fixed and confirmed with the customer",
                "root_cause": category.value.lower(),
            }
        if action is ComplaintAction.RECORD_FOLLOW_UP:
            extra = {"satisfaction": rng.randint(2, 5), "fix_held": rng.random() < 0.9}
        entry = HistoryEntry(action, item.status, status, at, actor)
        before, item = (
            item,
            replace(
                item,
                status=status,
                clocks=clocks,
                history=[*item.history, entry],
                version=item.version + 1,
                **extra,
            ),
        )
        moves.append((before, item, at))
    return filed, moves


async def seed_demo_complaints(
    db: AsyncDatabase, now: datetime, count: int = DEMO_COMPLAINTS, prefix: str = "c0"
) -> int:
    """A few hundred feedback items across channels, categories and states (some late),
    owned by demo CX agents, routed by the routing rules, with their running totals."""
    complaints, stats = ComplaintRepository(db), ComplaintStatsRepository(db)
    if await db["complaints"].count_documents({"_id": _oid(prefix, 0)}) > 0:
        return 0  # seeded before: the set is made whole or not at all below
    users = UserRepository(db)
    owners = [(await users.ensure_user(name, Role.CX_AGENT, None, now)).id for name in DEMO_AGENTS]
    policies = await complaints.policies()
    rng = random.Random(20261125)
    items = []
    for n in range(count):
        filed, moves = _demo_item(
            rng, n, prefix, _seed_id(rng.randrange(DEMO_CUSTOMERS)), now, policies, owners
        )
        department = await complaints.department_for(filed.category)
        filed = replace(filed, department_id=department)
        await stats.filed(filed)
        for before, after, at in moves:  # the running totals, as each move keeps them
            await stats.moved(
                replace(before, department_id=department), replace(after, department_id=department), at
            )
        items.append(replace(moves[-1][1] if moves else filed, department_id=department))
    # The first item goes in last: its presence says the whole set is there.
    docs = sorted((complaint_document(item, now) for item in items), key=lambda d: d["_id"], reverse=True)
    await complaints.insert_many(docs)
    return len(docs)


# --- the demo managers' password (the web client) ----------------------------------------


async def set_demo_passwords(db: AsyncDatabase, password: str, now: datetime) -> list[str]:
    """Give the demo managers the dossiers were made for one password (development: `make
    run` prints it); returns the names of those there were. Their open sessions stay."""
    from domain.sign_in import hash_password  # one hunk: this file is shared with other work

    users = UserRepository(db)
    hashed = hash_password(password)
    named = []
    for name in DEMO_MANAGERS:
        if (found := await users.by_name(name)) is not None:
            await users.set_password_hash(found[0].id, hashed, now)
            named.append(name)
    return named
