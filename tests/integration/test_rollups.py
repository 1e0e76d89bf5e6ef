"""The running totals kept on write equal those rebuilt from the raw records, after a
generated mix of purchases (retried, racing, back-dated) and touchpoints over several
days; and every report reads the same from the totals as from the raw pipelines."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from bson import Decimal128

from domain.users import Role, User
from repositories.users import UserRepository
from resolvers import reports
from resolvers.context import Context
from resolvers.reports import ExperienceGrouping
from resolvers.rollups import rebuild
from server.jobs import job_runner
from tests.api.complaints import file_complaint
from tests.api.journeys import move, new_customer, purchase_result, touch
from tests.conftest import T0

CHANNELS = ["PHONE", "EMAIL", "CHAT", "STORE", "APP", "WEBSITE"]
STAGES = ["PRE_SALE", "IN_SALE", "AFTER_SALE"]
TYPES = ["INQUIRY", "PURCHASE", "DELIVERY", "REVIEW", "SURVEY"]


def plain(value: Any) -> Any:
    """Stored totals as comparable numbers: Decimal128 to Decimal, counters at 0 left out
    (writes keep a counter an event touched; a rebuild only those that are not 0)."""
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, Mapping):
        kept = {k: plain(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v not in (0, {})}
    return value


async def figures(db) -> dict[str, Any]:
    found = {}
    async for doc in db["customers"].find({}, {"figures": 1}):
        shown = plain(doc.get("figures") or {})
        if "churnRisk" in shown:
            shown["churnRisk"].pop("scoredAt")
        found[str(doc["_id"])] = shown
    return found


async def totals(db, name: str) -> dict[str, Any]:
    return {doc["_id"]: plain(doc) async for doc in db[name].find()}


async def rfm_cells(db) -> dict[str, Any]:
    """Customers and spend per last-purchase day and cell, without the cells customers left
    (a move leaves 0 behind); a cell with nobody in it has no spend either."""
    found = {}
    async for doc in db["rfm_cells"].find():
        for cell, values in doc.get("cells", {}).items():
            customers, spend = values.get("customers", 0), plain(values.get("spend", Decimal(0)))
            if customers:
                found[(doc["_id"], cell)] = (customers, spend)
            else:
                assert spend == 0, (doc["_id"], cell, spend)
    return found


async def snapshot(db) -> dict[str, Any]:
    return {
        "figures": await figures(db),
        "experience": await totals(db, "experience_rollups"),
        "lifecycle": await totals(db, "lifecycle_rollups"),
        "rfm": await rfm_cells(db),
    }


async def test_the_totals_kept_on_write_equal_a_rebuild_and_the_raw_reports(
    agent, admin, db, clock, settings
) -> None:
    rng = random.Random(20261122)
    keys = count()
    customers = [await new_customer(agent, f"Customer {i}") for i in range(6)]

    def a_purchase(customer: str, *, back: float | None = None, key: str | None = None) -> dict:
        days = rng.uniform(0, 400) if back is None else back
        lines = [
            {
                "sku": rng.choice(["TEA", "CAKE", "MUG", "BEANS"]),
                "quantity": rng.randint(1, 5),
                "unitPrice": str(Decimal(rng.randint(1, 400_000)) / rng.choice([1, 100, 10_000])),
                "pointsPerUnit": rng.randint(0, 20),
            }
            for _ in range(rng.randint(1, 3))
        ]
        return {
            "customerId": customer,
            "purchasedAt": (clock() - timedelta(days=days)).isoformat(),
            "channel": rng.choice(CHANNELS),
            "lines": lines,
            "idempotencyKey": key or f"order-{next(keys)}",
        }

    async def recorded(input_: dict) -> dict:
        result = await purchase_result(agent, input_)
        assert result["errors"] == [], result["errors"]
        return result

    async def a_touchpoint(customer: str, *, back: float | None = None) -> None:
        days = rng.uniform(0, 400) if back is None else back
        rating: dict[str, Any] = {}
        if rng.random() < 0.6:
            rating["satisfaction"] = rng.randint(1, 5)
        if rng.random() < 0.5:
            rating["nps"] = rng.randint(0, 10)
        if rng.random() < 0.4:
            rating["sentiment"] = rng.choice(["POSITIVE", "NEUTRAL", "NEGATIVE"])
        await touch(
            agent,
            customer,
            clock() - timedelta(days=days),
            channel=rng.choice(CHANNELS),
            stage=rng.choice(STAGES),
            type=rng.choice(TYPES),
            **rating,
        )

    done_kinds: Counter[str] = Counter()
    for day in range(10):  # from 2026-11-22 into December: stage moves on many days, two months
        for _ in range(rng.randint(2, 5)):
            customer = rng.choice(customers)
            roll = rng.random()
            kind = (
                "purchase" if roll < 0.35 else "retry" if roll < 0.45 else "race" if roll < 0.55 else "touch"
            )
            done_kinds[kind] += 1
            if kind == "purchase":
                await recorded(a_purchase(customer))
            elif kind == "retry":  # the same request twice, recorded once
                input_ = a_purchase(customer)
                first, second = await recorded(input_), await recorded(input_)
                assert second["purchase"] == first["purchase"]
            elif kind == "race":  # purchases for one customer at once, one of them sent three times
                inputs = [a_purchase(customer) for _ in range(3)]
                results = await asyncio.gather(*[recorded(i) for i in [*inputs, inputs[0], inputs[0]]])
                assert len({r["purchase"]["id"] for r in results}) == 3
            else:
                await a_touchpoint(customer)
        if rng.random() < 0.3:
            await file_complaint(agent, rng.choice(customers))
        if day == 4:
            newcomer = await new_customer(agent, "Newcomer")
            customers.append(newcomer)
            # Two purchases at the same moment, racing: the first purchase is the lower id.
            same = rng.uniform(1, 10)
            await asyncio.gather(*[recorded(a_purchase(newcomer, back=same)) for _ in range(2)])
        if day == 7:  # a stage move by hand is counted too
            lapsable = []
            for c in customers:
                stage = (await agent.execute(STAGE, {"id": c}))["customer"]["lifecycleStage"]
                if stage in ("ACQUIRED", "ACTIVE"):
                    lapsable.append(c)
            await move(agent, rng.choice(lapsable), "LAPSE")
        clock.advance(timedelta(days=1, hours=rng.randint(0, 5)))
    # Score everyone at the same moment as the rebuild below (a touchpoint rescores).
    for customer in customers:
        await a_touchpoint(customer, back=rng.uniform(0, 3))
    assert min(done_kinds[k] for k in ("purchase", "retry", "race", "touch")) >= 2, done_kinds
    assert await db["purchases"].count_documents({}) > 20
    assert await db["lifecycle_rollups"].count_documents({"period": "month"}) == 2

    # Every report reads the same from the kept totals as from the raw records.
    user = await UserRepository(db).ensure_user("admin-tester", Role.ADMIN, None, clock())
    ctx = Context(
        viewer=User(id=user.id, name=user.name, role=Role.ADMIN),
        request_id="test",
        clock=clock,
        db=db,
        value_rules=settings.value_rules,
    )
    today = clock().date()
    for first, last in [
        (today - timedelta(days=400), today),
        (T0.date(), today),  # the stage moves
        (T0.date().replace(day=1), T0.date().replace(day=30)),  # one whole month
        (today - timedelta(days=100), today - timedelta(days=40)),
    ]:
        assert await reports.key_figures(ctx, first, last) == await reports.key_figures(
            ctx, first, last, raw=True
        ), (first, last)
        for grouping in ExperienceGrouping:
            from_totals = await reports.experience(ctx, first, last, grouping)
            assert from_totals == await reports.experience(ctx, first, last, grouping, raw=True), (
                first,
                last,
            )
    assert await reports.segments(ctx, None) == await reports.segments(ctx, None, raw=True)

    # Rebuilding from the raw records gives the totals the writes kept.
    kept = await snapshot(db)
    done = await rebuild(db, settings.value_rules, clock())
    assert done.customers == len(customers)
    rebuilt = await snapshot(db)
    assert rebuilt["figures"] == kept["figures"]
    assert rebuilt["experience"] == kept["experience"]
    assert rebuilt["lifecycle"] == kept["lifecycle"]
    assert rebuilt["rfm"] == kept["rfm"]
    # And the reports read the same after it.
    assert await reports.segments(ctx, None) == await reports.segments(ctx, None, raw=True)
    # The rebuild as a job (what `main.py rollups rebuild` runs): again the same totals.
    outcome = await job_runner(db, clock, settings).run("rollups-rebuild")
    assert (outcome.status.value, outcome.result.examined) == ("SUCCEEDED", len(customers))
    assert await snapshot(db) == kept


STAGE = "query($id: ID!) { customer(id: $id) { lifecycleStage } }"
