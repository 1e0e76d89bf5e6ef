"""Every connection pages backward as well as forward (Relay): `last: n, before: c` is the
n items just before c, in the connection's own order, with pageInfo and totalCount right;
`first` with `last`, a `last` out of bounds and a forged `before` are refused naming the
argument.

The connections are read from the live schema, so a new one fails here until REACH says
how to reach it and how to give it five items."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type

from domain.care import CarePlanKind
from domain.users import Role
from repositories.care import plan_document
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.tokens import issue_token
from schema import build_schema
from schema.limits import QueryLimits
from schema.node import parse_global_id
from server.jobs import job_runner
from server.settings import Settings
from tests.api.care import customer as consenting_customer
from tests.api.care import purchase as first_purchase
from tests.api.complaints import file_complaint
from tests.api.dossier import create_key_account, organisation, payload
from tests.api.journeys import buy, new_customer, touch
from tests.api.loyalty import ISSUE_COUPON, award
from tests.conftest import GraphQLClient

SELECTION = """{ totalCount edges { cursor node { id } }
  pageInfo { hasPreviousPage hasNextPage startCursor endCursor } }"""
ADD_CONTACT = """mutation($input: AddContactInput!) { addContact(input: $input) { errors { code } } }"""
LOG_VISIT = """mutation($input: LogVisitInput!) { logVisit(input: $input) { errors { code message } } }"""
CREATE_ACTIVITY = """mutation($input: CreateCareActivityInput!) { createCareActivity(input: $input) {
  errors { code message field } } }"""
CREATE_WEBHOOK = """mutation($input: CreateWebhookInput!) { createWebhook(input: $input) {
  webhook { id } errors { code } } }"""
FIVE = range(5)


def connection_fields() -> list[tuple[str, str]]:
    """(type, field) of every field of the live schema whose type is a connection."""
    schema = build_schema(QueryLimits())._schema
    return sorted(
        (named.name, name)
        for named in schema.type_map.values()
        if isinstance(named, GraphQLObjectType) and not named.name.startswith("__")
        for name, field in named.fields.items()
        if get_named_type(field.type).name.endswith("Connection")
    )


@dataclass
class Seeding:
    admin: GraphQLClient
    manager: GraphQLClient
    db: Any
    now: datetime


@dataclass(frozen=True)
class Reach:
    """How to read a connection: a query with CONNECTION where its arguments and selection
    go ($parent: the id `seed` answers), the path to it in the data, and what gives it
    five items (or more, where the service keeps some of its own)."""

    query: str
    path: tuple[str, ...]
    seed: Callable[[Seeding], Awaitable[str | None]]

    def document(self) -> str:
        parent = "$parent: ID!, " if "$parent" in self.query else ""
        connection = "(first: $first, after: $after, last: $last, before: $before) " + SELECTION
        variables = "$first: Int, $after: String, $last: Int, $before: String"
        return f"query({parent}{variables}) " + self.query.replace("CONNECTION", connection)


def on(node_type: str, path: tuple[str, ...], seed: Callable[[Seeding], Awaitable[str]]) -> Reach:
    """A connection of the node `seed` makes (nested in the fields before it in `path`)."""
    inner = "CONNECTION"
    for field in reversed(path):
        inner = f"{field} {inner}" if inner == "CONNECTION" else f"{field} {{ {inner} }}"
    return Reach(f"{{ node(id: $parent) {{ ... on {node_type} {{ {inner} }} }} }}", ("node", *path), seed)


def root(*path: str, seed: Callable[[Seeding], Awaitable[None]], arguments: str = "") -> Reach:
    inner = f"{path[-1]} CONNECTION"
    if len(path) == 2:
        inner = f"{path[0]}{arguments} {{ {inner} }}"
    return Reach(f"{{ {inner} }}", path, seed)


# --- what gives each connection its items ----------------------------------------------------


async def _customers(s: Seeding) -> None:
    for n in FIVE:
        await new_customer(s.admin, f"Customer {n}")  # an audit entry each, too


async def _webhook(s: Seeding, url: str) -> str:
    made = (await s.admin.execute(CREATE_WEBHOOK, {"input": {"url": url, "events": ["CUSTOMER_CREATED"]}}))[
        "createWebhook"
    ]
    assert made["errors"] == [], made["errors"]
    return made["webhook"]["id"]


async def _webhooks(s: Seeding) -> None:
    for n in FIVE:
        await _webhook(s, f"https://hooks.example/{n}")


async def _webhook_with_deliveries(s: Seeding) -> str:
    """Five customers made for a webhook that nothing listens at: five deliveries, each
    tried once (connection refused) and pending."""
    hook = await _webhook(s, "http://127.0.0.1:9/hook")
    await _customers(s)
    await job_runner(s.db, lambda: s.now, Settings(_env_file=None)).run("webhook-deliveries")
    return hook


async def _users(s: Seeding) -> None:
    for n in FIVE:  # and a token each, beside the admin's own
        await issue_token(
            UserRepository(s.db), TokenRepository(s.db), f"user {n}", Role.CX_AGENT, None, s.now
        )


async def _departments(s: Seeding) -> None:
    """The migrations route complaints to six."""


async def _key_accounts(s: Seeding) -> None:
    for n in FIVE:
        await create_key_account(s.manager, await organisation(s.admin, f"Org {n} Ltd"))


async def _account(s: Seeding) -> tuple[str, str]:
    """A key account and its organisation's customer id."""
    org = await organisation(s.admin, "Lotus Hotels Ltd")
    return str((await create_key_account(s.manager, org))["id"]), org


async def _complaints(s: Seeding, customer_id: str) -> None:
    for n in FIVE:
        await file_complaint(s.admin, customer_id, summary=f"late delivery {n}")


async def _purchases(s: Seeding, customer_id: str) -> None:
    for n in FIVE:
        await buy(s.admin, customer_id, s.now - timedelta(days=n + 1), f"{customer_id}-{n}")


async def _visit(s: Seeding, account: str, days_ago: int, follow_ups_due: list[datetime]) -> None:
    follow_ups = [
        {"action": f"call back {n}", "dueAt": due.isoformat(), "ownerId": s.manager.user_id}
        for n, due in enumerate(follow_ups_due)
    ]
    logged = await payload(
        s.manager,
        LOG_VISIT,
        {
            "keyAccountId": account,
            "visitedAt": (s.now - timedelta(days=days_ago)).isoformat(),
            "purpose": "review",
            "followUps": follow_ups,
        },
    )
    assert logged["errors"] == [], logged


async def _customer_with_complaints(s: Seeding) -> str:
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    await _complaints(s, customer)
    return customer


async def _complaint_queue(s: Seeding) -> None:
    await _customer_with_complaints(s)


async def _customer_with_touchpoints(s: Seeding) -> str:
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    for n in FIVE:
        await touch(s.admin, customer, s.now - timedelta(hours=n + 1))
    return customer


async def _customer_with_purchases(s: Seeding) -> str:
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    await _purchases(s, customer)
    return customer


async def _customer_with_plans(s: Seeding) -> str:
    """Five retention plans, as five moves to AT_RISK would start."""
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    _, local = parse_global_id(customer) or ("", "")
    plans = [
        plan_document(
            local, CarePlanKind.RETENTION, f"{local}:RETENTION:{n}", s.now - timedelta(days=n), "", s.now
        )
        for n in FIVE
    ]
    await s.db["care_plans"].insert_many(plans)
    return customer


async def _plans(s: Seeding) -> None:
    await _customer_with_plans(s)


async def _tasks(s: Seeding) -> None:
    """A first purchase starts a plan of several tasks."""
    await first_purchase(s.admin, await consenting_customer(s.admin), s.now - timedelta(days=1))


async def _customer_with_coupons(s: Seeding) -> str:
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    for n in FIVE:
        window = {"validFrom": s.now.isoformat(), "validTo": (s.now + timedelta(days=30)).isoformat()}
        value = {"amount": f"{10 + n}.00", "currency": "CNY"}
        issued = await payload(s.admin, ISSUE_COUPON, {"customerId": customer, "value": value, **window})
        assert issued["errors"] == [], issued
    return customer


async def _customer_with_points(s: Seeding) -> str:
    """Five awards: five ledger entries and five lots."""
    customer = await new_customer(s.admin, "Lin Xiaoyu")
    for n in FIVE:
        assert (await award(s.admin, customer, 10 + n))["errors"] == []
    return customer


async def _activities(s: Seeding) -> None:
    for n in FIVE:
        activity = {"name": f"Tea tasting {n}", "kind": "APPRECIATION_DAY", "heldOn": f"2026-12-{10 + n}"}
        audience = {"tier": "REGULAR", "channel": "SMS", "ownerId": s.admin.user_id}
        created = await payload(s.admin, CREATE_ACTIVITY, {**activity, **audience})
        assert created["errors"] == [], created


async def _account_with_contacts(s: Seeding) -> str:
    account, _ = await _account(s)
    for n in FIVE:
        added = await payload(s.manager, ADD_CONTACT, {"keyAccountId": account, "name": f"Contact {n}"})
        assert added["errors"] == [], added
    return account


async def _account_with_visits(s: Seeding) -> str:
    account, _ = await _account(s)
    for n in FIVE:
        await _visit(s, account, n + 1, [])
    return account


async def _follow_ups(s: Seeding) -> None:
    account, _ = await _account(s)
    await _visit(s, account, 1, [s.now + timedelta(days=n + 1) for n in FIVE])


async def _account_with_complaints(s: Seeding) -> str:
    account, org = await _account(s)
    await _complaints(s, org)
    return account


async def _account_with_purchases(s: Seeding) -> str:
    account, org = await _account(s)
    await _purchases(s, org)
    return account


REACH: dict[tuple[str, str], Reach] = {
    ("Query", "customers"): root("customers", seed=_customers),
    ("Query", "users"): root("users", seed=_users),
    ("Query", "keyAccounts"): root("keyAccounts", seed=_key_accounts),
    ("Query", "auditLog"): root("auditLog", seed=_customers),
    ("Query", "tokens"): root("tokens", seed=_users),
    ("Query", "webhooks"): root("webhooks", seed=_webhooks),
    ("Query", "webhookDeliveries"): Reach(
        "{ webhookDeliveries(webhookId: $parent, first: $first, after: $after, last: $last, before: $before) "
        + SELECTION
        + " }",
        ("webhookDeliveries",),
        _webhook_with_deliveries,
    ),
    ("Query", "complaints"): root("complaints", seed=_complaint_queue),
    ("Query", "departments"): root("departments", seed=_departments),
    ("Query", "carePlans"): root("carePlans", seed=_plans),
    ("Query", "careTasks"): root("careTasks", seed=_tasks),
    ("Query", "openFollowUps"): root("openFollowUps", seed=_follow_ups),
    ("CareQuarter", "activities"): root(
        "careActivities", "activities", seed=_activities, arguments='(quarter: "2026-Q4")'
    ),
    ("Customer", "complaints"): on("Customer", ("complaints",), _customer_with_complaints),
    ("Customer", "touchpoints"): on("Customer", ("touchpoints",), _customer_with_touchpoints),
    ("Customer", "purchases"): on("Customer", ("purchases",), _customer_with_purchases),
    ("Customer", "carePlans"): on("Customer", ("carePlans",), _customer_with_plans),
    ("Customer", "coupons"): on("Customer", ("coupons",), _customer_with_coupons),
    ("LoyaltyAccount", "ledger"): on("Customer", ("loyalty", "ledger"), _customer_with_points),
    ("LoyaltyAccount", "lots"): on("Customer", ("loyalty", "lots"), _customer_with_points),
    ("KeyAccount", "contacts"): on("KeyAccount", ("contacts",), _account_with_contacts),
    ("KeyAccount", "visits"): on("KeyAccount", ("visits",), _account_with_visits),
    ("KeyAccount", "complaints"): on("KeyAccount", ("complaints",), _account_with_complaints),
    ("KeyAccount", "purchases"): on("KeyAccount", ("purchases",), _account_with_purchases),
}


def _ids(connection: dict) -> list[str]:
    return [e["node"]["id"] for e in connection["edges"]]


def _flags(connection: dict) -> tuple[bool, bool]:
    return connection["pageInfo"]["hasPreviousPage"], connection["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize("connection", connection_fields(), ids=lambda c: ".".join(c))
async def test_every_connection_pages_backward(connection, admin, manager, db, clock) -> None:
    reach = REACH.get(connection)
    assert reach is not None, f"{'.'.join(connection)} is a connection: say in REACH how to reach it"
    parent = await reach.seed(Seeding(admin, manager, db, clock()))
    query, fixed = reach.document(), {"parent": parent} if parent else {}

    async def read(**page: Any) -> dict:
        data = await admin.execute(query, {**fixed, **page})
        for step in reach.path:
            data = data[step]
        return data

    everything = await read(first=100)
    total, cursors, ids = (
        everything["totalCount"],
        [e["cursor"] for e in everything["edges"]],
        _ids(everything),
    )
    assert len(ids) == total >= 5, everything

    # The last two: in the connection's order, with more before them.
    last = await read(last=2)
    assert (_ids(last), last["totalCount"], _flags(last)) == (ids[-2:], total, (True, False))
    assert (last["pageInfo"]["startCursor"], last["pageInfo"]["endCursor"]) == (cursors[-2], cursors[-1])
    # The two just before the fifth: more before them, and the fifth after.
    window = await read(last=2, before=cursors[4])
    assert (_ids(window), window["totalCount"], _flags(window)) == (ids[2:4], total, (True, True))
    assert (window["pageInfo"]["startCursor"], window["pageInfo"]["endCursor"]) == (cursors[2], cursors[3])
    # More than there are before the fourth: the three there are, none before them.
    wide = await read(last=10, before=cursors[3])
    assert (_ids(wide), _flags(wide)) == (ids[:3], (False, True))
    # Before the first: nothing, and no cursors.
    none = await read(last=2, before=cursors[0])
    assert (none["edges"], none["totalCount"], _flags(none)) == ([], total, (False, True))
    assert (none["pageInfo"]["startCursor"], none["pageInfo"]["endCursor"]) == (None, None)
    # Between two cursors: the last two of the three between them.
    between = await read(last=2, after=cursors[0], before=cursors[4])
    assert (_ids(between), _flags(between)) == (ids[2:4], (True, True))
    # Page by page from the end back to the start: every item once, in order.
    page = await read(last=2)
    seen = _ids(page)
    while page["pageInfo"]["hasPreviousPage"]:
        page = await read(last=2, before=page["pageInfo"]["startCursor"])
        seen = _ids(page) + seen
    assert seen == ids

    # Refused, naming the argument.
    [both] = await admin.errors(query, {**fixed, "first": 2, "last": 2})
    assert (both["extensions"], both["message"]) == (
        {"code": "VALIDATION", "field": "last"},
        "pass first or last, not both",
    )
    for size in (-1, 101):
        [bounded] = await admin.errors(query, {**fixed, "last": size})
        assert (bounded["extensions"], bounded["message"]) == (
            {"code": "BAD_USER_INPUT", "field": "last"},
            "last must be between 0 and 100",
        )
    [forged] = await admin.errors(query, {**fixed, "last": 2, "before": "forged"})
    assert forged["extensions"] == {"code": "VALIDATION", "field": "before"}


async def test_an_empty_list_pages_backward_to_nothing(admin) -> None:
    empty = (await admin.execute(root("customers", seed=_customers).document(), {"last": 5}))["customers"]
    assert (empty["edges"], empty["totalCount"], _flags(empty)) == ([], 0, (False, False))
    customer = await new_customer(admin, "Lin Xiaoyu")
    reach = on("Customer", ("purchases",), _customer_with_purchases)
    none = (await admin.execute(reach.document(), {"parent": customer, "last": 5}))["node"]["purchases"]
    assert (none["edges"], none["totalCount"], _flags(none)) == ([], 0, (False, False))


async def test_before_alone_is_the_default_page_just_before_it(admin) -> None:
    for n in range(25):
        await new_customer(admin, f"Customer {n:02}")
    query = root("customers", seed=_customers).document()
    everything = (await admin.execute(query, {"first": 25}))["customers"]
    ids, cursors = _ids(everything), [e["cursor"] for e in everything["edges"]]
    before = (await admin.execute(query, {"before": cursors[22]}))["customers"]
    assert (_ids(before), _flags(before)) == (ids[2:22], (True, True))  # 20, the default page
