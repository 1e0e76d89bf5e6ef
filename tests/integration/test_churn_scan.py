"""Churn risk: explained by its signals on the customer, filtered on, and acted on by the
churn-scan job, which flags an active customer above the threshold AT_RISK, lapses one
with no purchase for more than 180 days, and changes nothing when run again."""

from __future__ import annotations

from datetime import timedelta

from server.jobs import job_runner
from tests.api.complaints import file_complaint
from tests.api.dossier import payload
from tests.api.journeys import KPIS, buy, ids_where, line, new_customer, touch, value_of
from tests.api.test_complaints import ACKNOWLEDGE, FOLLOW_UP, RESOLVE
from tests.conftest import T0

SYSTEM = {"id": "system", "name": "system", "role": "SYSTEM"}


def signals(purchase_gap: float, engagement_drop: float, recent_complaints: float, low_satisfaction: float):
    return [
        {"name": "purchase_gap", "weight": 0.4, "value": purchase_gap},
        {"name": "engagement_drop", "weight": 0.2, "value": engagement_drop},
        {"name": "recent_complaints", "weight": 0.2, "value": recent_complaints},
        {"name": "low_satisfaction", "weight": 0.2, "value": low_satisfaction},
    ]


async def test_churn_risk_is_explained_and_the_scan_acts_on_it_once(
    agent, analyst, db, clock, settings
) -> None:
    def days_ago(n: int):
        return T0 - timedelta(days=n)

    async def customer_buying(name: str, *days: int) -> str:
        customer = await new_customer(agent, name)
        for i, n in enumerate(days):
            await buy(agent, customer, days_ago(n), f"{name}-{i}", line("ITEM", 1, "500"))
        return customer

    # Kong buys every 30 days and last bought 60 days ago: (60 / 30 - 1) / 2 = 0.5.
    kong = await customer_buying("Kong", 90, 60)
    risk = (await value_of(agent, kong))["churnRisk"]
    assert risk == {"score": 0.2, "signals": signals(0.5, 0, 0, 0), "scoredAt": T0.isoformat()}
    # A complaint whose fix did not hold: one recent complaint and one bad outcome, of 3.
    complaint = await file_complaint(agent, kong)
    await payload(agent, ACKNOWLEDGE, {"id": complaint["id"], "response": "sorry"})
    await payload(agent, RESOLVE, {"id": complaint["id"], "resolution": "replaced"})
    closed = await payload(agent, FOLLOW_UP, {"id": complaint["id"], "satisfaction": 2, "fixHeld": False})
    assert closed["complaint"]["status"] == "CLOSED"
    await touch(agent, kong, days_ago(50), satisfaction=4)
    risk = (await value_of(agent, kong))["churnRisk"]
    assert risk["signals"] == signals(0.5, 0, 0.6667, 0)  # one touchpoint, 50 days within the default 90
    assert risk["score"] == 0.3333  # 0.4 x 0.5 + 0.2 x 0.6667
    # A very unhappy answer 40 days ago, 10 days after the one before: the touchpoints have
    # stopped for four of their rhythms ((40 / 10 - 1) / 2, at most 1) and the latest
    # answer is a 1 ((4 - 1) / 3).
    await touch(agent, kong, days_ago(40), satisfaction=1)
    risk = (await value_of(agent, kong))["churnRisk"]
    assert risk["signals"] == signals(0.5, 1.0, 0.6667, 1.0)
    assert risk["score"] == 0.7333  # 0.2 + 0.2 + 0.1333 + 0.2

    ma = await customer_buying("Ma", 200, 181)  # ACTIVE, last bought 181 days ago
    bai = await customer_buying("Bai", 180)  # ACQUIRED, last bought 180 days ago: not yet
    qian = await customer_buying("Qian", 10, 5)  # ACTIVE and buying
    await new_customer(agent, "Never Bought")
    assert (await value_of(agent, ma))["churnRisk"]["score"] == 0.4  # far past 3 rhythms of 19 days
    assert (await value_of(agent, bai))["churnRisk"]["score"] == 0.2  # 180 days against the default 90
    assert (await value_of(agent, qian))["churnRisk"]["score"] == 0.0

    assert await ids_where(analyst, churnRiskAbove=0.6) == {kong}
    assert await ids_where(analyst, churnRiskAbove=0.3) == {kong, ma}
    assert await ids_where(analyst, churnRiskAbove=0.7333) == set()  # above, not at
    assert await ids_where(analyst, churnRiskAbove=0) == {kong, ma, bai}
    [error] = await analyst.errors("query { customers(filter: { churnRiskAbove: 1.5 }) { totalCount } }")
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "filter.churnRiskAbove"}

    runner = job_runner(db, clock, settings)
    first = await runner.run("churn-scan")
    assert first.status.value == "SUCCEEDED"
    assert (first.result.examined, first.result.changed) == (4, 2)
    assert first.result.summary == "1 lapsed, 1 flagged at risk, 4 scored"
    flagged = await value_of(agent, kong)
    assert flagged["lifecycleStage"] == "AT_RISK"
    assert flagged["lifecycleHistory"][-1] == {
        "action": "FLAG_AT_RISK",
        "from": "ACTIVE",
        "to": "AT_RISK",
        "at": T0.isoformat(),
        "reason": "churn risk 0.73: purchase_gap 0.50 (weight 0.4), engagement_drop 1.00 (weight 0.2), "
        "low_satisfaction 1.00 (weight 0.2), recent_complaints 0.67 (weight 0.2)",
        "actor": SYSTEM,
    }
    lapsed = await value_of(agent, ma)
    assert lapsed["lifecycleStage"] == "LAPSED"
    assert lapsed["lifecycleHistory"][-1] == {
        "action": "LAPSE",
        "from": "ACTIVE",
        "to": "LAPSED",
        "at": T0.isoformat(),
        "reason": f"no purchase for 181 days (since {days_ago(181).date().isoformat()})",
        "actor": SYSTEM,
    }
    assert (await value_of(agent, bai))["lifecycleStage"] == "ACQUIRED"
    assert (await value_of(agent, qian))["lifecycleStage"] == "ACTIVE"
    day = {"from": T0.date().isoformat(), "to": T0.date().isoformat()}
    churn = (await analyst.execute(KPIS, day))["kpis"]["churnRate"]
    assert churn == {"value": None, "numerator": 1, "denominator": 0}  # the base was empty before T0

    # Run again: nothing left to do.
    everyone = (kong, ma, bai, qian)
    before = [await value_of(agent, c) for c in everyone]
    rollups = await db["lifecycle_rollups"].find().sort("_id").to_list()
    again = await runner.run("churn-scan")
    assert (again.status.value, again.result.changed, again.result.examined) == ("SUCCEEDED", 0, 4)
    assert [await value_of(agent, c) for c in everyone] == before
    assert await db["lifecycle_rollups"].find().sort("_id").to_list() == rollups

    # A day later Bai's last purchase is 181 days old.
    clock.advance(timedelta(days=1))
    later = await runner.run("churn-scan")
    assert later.result.changed == 1
    assert (await value_of(agent, bai))["lifecycleStage"] == "LAPSED"
    assert (await runner.run("churn-scan")).result.changed == 0
