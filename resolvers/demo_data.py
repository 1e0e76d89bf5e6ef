"""Demo data: a believable customer base across every lifecycle stage.

Deterministic (a seeded random generator, fixed ids), so running it twice adds nothing.
Histories are random walks through the real state machine, so they are always valid.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from domain.customers import CustomerKind, check_profile
from domain.lifecycle import (
    INITIAL_STAGE,
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
    allowed_actions,
    transition,
)
from repositories.customers import CustomerRepository, new_customer_document

DEMO_CUSTOMERS = 300

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


def _history(rng: random.Random, created: datetime, now: datetime) -> list[LifecycleEvent]:
    """A random walk through the state machine, each step later than the last."""
    stage, at, events = INITIAL_STAGE, created, []
    for _ in range(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5, 6])):
        action = rng.choice(allowed_actions(stage))
        at = at + timedelta(days=rng.randint(3, 90), hours=rng.randint(0, 23))
        if at >= now:
            break
        target = transition(stage, action)
        events.append(LifecycleEvent(action, stage, target, at, SEED_ACTOR, REASONS[action]))
        stage = target
    return events


def demo_documents(now: datetime, count: int = DEMO_CUSTOMERS) -> list[dict]:
    rng = random.Random(20261122)
    docs = []
    for n in range(count):
        organisation = rng.random() < 0.15
        if organisation:
            name = f"{rng.choice(COMPANIES)} {rng.choice(['Group', 'Ltd', 'Co.', 'Holdings'])} {n}"
            email = f"purchasing{n}@{name.split()[0].lower()}.example.com"
            birthday = None
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name = f"{first} {last}"
            email = f"{first.lower()}.{last.lower()}.{n}@example.com"
            birthday = date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
        profile = check_profile(
            {
                "name": name,
                "kind": CustomerKind.ORGANIZATION if organisation else CustomerKind.PERSON,
                "email": email,
                "phone": f"+86 138 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                "birthday": birthday,
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "source": rng.choice(SOURCES),
            },
            now.date(),
            creating=True,
        )
        created = now - timedelta(days=rng.randint(30, 720), minutes=rng.randint(0, 1440))
        history = _history(rng, created, now)
        stage = history[-1].to_stage if history else LifecycleStage.PROSPECT
        docs.append(
            new_customer_document(profile, created, stage=stage, history=history, object_id=_seed_id(n))
        )
        docs[-1]["updatedAt"] = history[-1].at if history else created
        docs[-1]["version"] = 1 + len(history)
    return docs


async def seed_demo_data(db: AsyncDatabase, now: datetime) -> int:
    """Insert the demo customers that are not there yet; returns how many were added."""
    return await CustomerRepository(db).insert_many(demo_documents(now))
