"""Demo data, loaded by `main.py seed` and `serve --seed-if-empty`: a believable
customer base across every lifecycle stage, and key-account dossiers.

Deterministic (a seeded random generator, fixed ids), so running it twice adds nothing.
Histories are random walks through the real state machine, so they are always valid.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal

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
    INITIAL_STAGE,
    Actor,
    LifecycleAction,
    LifecycleEvent,
    LifecycleStage,
    allowed_actions,
    transition,
)
from domain.money import Money
from domain.records import Channel, FeedbackCategory, FeedbackKind, Severity
from domain.users import Role
from repositories.complaint_stats import ComplaintStatsRepository
from repositories.complaints import ComplaintRepository, complaint_document
from repositories.contacts import ContactRepository, new_contact_document, relationship_document
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository, new_customer_document
from repositories.documents import money_document
from repositories.key_accounts import KeyAccountRepository, new_key_account_document
from repositories.records import RecordRepository
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers.tokens import DEMO_PARTNER_ID

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
        profile = check_profile(
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
        created = now - timedelta(days=rng.randint(30, 720), minutes=rng.randint(0, 1440))
        history = _history(rng, created, now)
        stage = history[-1].to_stage if history else LifecycleStage.PROSPECT
        docs.append(
            new_customer_document(profile, created, stage=stage, history=history, object_id=_seed_id(n))
        )
        docs[-1]["updatedAt"] = history[-1].at if history else created
        docs[-1]["version"] = 1 + len(history)
    return docs


async def seed_demo_data(db: AsyncDatabase, now: datetime, cadence: VisitCadence | None = None) -> int:
    """Insert the demo customers and key-account dossiers that are not there yet;
    returns how many customers were added."""
    added = await CustomerRepository(db).insert_many(demo_documents(now))
    await seed_demo_dossiers(db, now, cadence or VisitCadence())
    await seed_demo_complaints(db, now)
    await seed_demo_loyalty(db, now)
    await seed_demo_care(db, now)
    return added


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


async def seed_demo_dossiers(db: AsyncDatabase, now: datetime, cadence: VisitCadence) -> int:
    users = UserRepository(db)
    managers = [await users.ensure_user(name, Role.ACCOUNT_MANAGER, None, now) for name in DEMO_MANAGERS]
    organisations = [d for d in demo_documents(now) if d["kind"] == CustomerKind.ORGANIZATION.value][
        :DEMO_KEY_ACCOUNTS
    ]
    return await store_dossiers(db, dossier_documents(organisations, [m.id for m in managers], now, cadence))


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
