"""Reports over the whole base on small data sets computed by hand: the RFM segments today,
on a past day and tomorrow, and the customers in each; the KPIs of a period; experience by
journey stage and by channel with its hotspots."""

from __future__ import annotations

from datetime import timedelta

from tests.api.journeys import EXPERIENCE, KPIS, SEGMENTS, buy, ids_where, line, move, new_customer, touch
from tests.conftest import T0

ORDER = ["HIGH_VALUE_LOYAL", "POTENTIAL", "NEW", "AT_RISK", "CANNOT_LOSE", "DORMANT"]


def shares(customers: int, **segments: tuple[int, str]) -> list[dict]:
    """The expected distribution among `customers` buyers: every segment in its order, empty
    ones with 0."""
    return [
        {
            "segment": s,
            "count": segments.get(s, (0, "0"))[0],
            "share": round(segments[s][0] / customers, 4) if s in segments else 0.0,
            "totalSpend": segments.get(s, (0, "0"))[1],
        }
        for s in ORDER
    ]


async def test_segments_today_in_the_past_and_tomorrow(agent, analyst, clock) -> None:
    # Who bought what how many days before T0 (2026-11-22): (days ago, amount).
    histories = {
        "Huang": [(140, "500"), (130, "500"), (120, "500"), (110, "500"), (100, "500"), (90, "500")],
        "Chen": [(160, "1000"), (150, "1000"), (140, "1000"), (130, "1000"), (120, "1000"), (91, "1000")],
        "An": [(250, "200"), (180, "300")],
        "Niu": [(5, "79.90")],
        "Ning": [(60, "4000")],
        "Pan": [(70, "400"), (50, "400"), (30, "400")],
        "Du": [(300, "1000"), (200, "9000")],
        "Ding": [(181, "50")],
    }
    ids = {}
    for name, purchases in histories.items():
        ids[name] = await new_customer(agent, name)
        for i, (days, amount) in enumerate(purchases):
            await buy(agent, ids[name], T0 - timedelta(days=days), f"{name}-{i}", line("ITEM", 1, amount))
    await new_customer(agent, "Never Bought")  # not in any segment, nor in the base counted

    # Today. R: <=30 days 5, <=90 4, <=180 3; F: >=6 purchases 4, >=3 3, >=2 2; M: >=3000 4,
    # >=1000 3, >=300 2. Huang 90 days, 6, 3000: R4 F4 M4 loyal. Chen 91 days, 6, 6000: R3
    # F4 M4 cannot lose. An 180 days: R3 at risk (not yet dormant). Niu, Ning one purchase
    # within 90 days: new (Ning's 4000 does not make one purchase loyal). Pan 30 days, 3
    # purchases: potential. Du 200 days, Ding 181: dormant.
    today = (await analyst.execute(SEGMENTS))["segments"]
    assert today == shares(
        8,
        HIGH_VALUE_LOYAL=(1, "3000"),
        POTENTIAL=(1, "1200"),
        NEW=(2, "4079.90"),
        AT_RISK=(1, "500"),
        CANNOT_LOSE=(1, "6000"),
        DORMANT=(2, "10050"),
    )
    members = {
        "HIGH_VALUE_LOYAL": {"Huang"},
        "POTENTIAL": {"Pan"},
        "NEW": {"Niu", "Ning"},
        "AT_RISK": {"An"},
        "CANNOT_LOSE": {"Chen"},
        "DORMANT": {"Du", "Ding"},
    }
    for segment, names in members.items():
        assert await ids_where(analyst, segment=segment) == {ids[n] for n in names}, segment
    huang = "query($id: ID!) { customer(id: $id) { rfm { recency frequency monetary r f m segment } } }"
    assert (await analyst.execute(huang, {"id": ids["Huang"]}))["customer"]["rfm"] == {
        "recency": 90,
        "frequency": 6,
        "monetary": "3000",
        "r": 4,
        "f": 4,
        "m": 4,
        "segment": "HIGH_VALUE_LOYAL",
    }

    # 60 days ago, from the purchases made by then: Huang (30 days, 6, 3000) and Chen (31
    # days, 6, 6000) loyal; Ning (bought that day) and Pan (10 days, one purchase) new; An
    # (120 days), Du (140) and Ding (121) at risk; Niu had not bought yet.
    past = (await analyst.execute(SEGMENTS, {"asOf": (T0 - timedelta(days=60)).date().isoformat()}))[
        "segments"
    ]
    assert past == shares(7, HIGH_VALUE_LOYAL=(2, "9000"), NEW=(2, "4400"), AT_RISK=(3, "10550"))
    # 100 days ago: Huang (0 days, 5, 2500), Chen (20 days, 5, 5000) and An (80 days, 2)
    # potential; Du at risk (100 days); Ding new (81 days, one purchase).
    older = (await analyst.execute(SEGMENTS, {"asOf": (T0 - timedelta(days=100)).date().isoformat()}))[
        "segments"
    ]
    assert older == shares(5, POTENTIAL=(3, "8000"), NEW=(1, "50"), AT_RISK=(1, "10000"))

    before_anyone = (await analyst.execute(SEGMENTS, {"asOf": "2020-01-01"}))["segments"]
    # No buyer yet: every count 0 and no share (of nobody).
    assert {(s["count"], s["share"], s["totalSpend"]) for s in before_anyone} == {(0, None, "0")}

    # Tomorrow everyone is a day further away: Huang slips to cannot lose (91 days), An
    # becomes dormant (181), Pan stays potential (31 days: R4).
    tomorrow = (T0 + timedelta(days=1)).date().isoformat()
    expected_tomorrow = shares(
        8,
        POTENTIAL=(1, "1200"),
        NEW=(2, "4079.90"),
        CANNOT_LOSE=(2, "9000"),
        DORMANT=(3, "10550"),
    )
    assert (await analyst.execute(SEGMENTS, {"asOf": tomorrow}))["segments"] == expected_tomorrow
    clock.advance(timedelta(days=1))
    assert (await analyst.execute(SEGMENTS))["segments"] == expected_tomorrow
    assert await ids_where(analyst, segment="CANNOT_LOSE") == {ids["Huang"], ids["Chen"]}
    assert await ids_where(analyst, segment="DORMANT") == {ids["An"], ids["Du"], ids["Ding"]}
    assert await ids_where(analyst, segment="HIGH_VALUE_LOYAL") == set()


async def test_kpis_and_experience_of_a_period(agent, analyst, clock) -> None:
    """The period is 2026-11-23..24, between a day before (T0) and a day after it."""
    names = ["c1", "c2", "c3", "c4", "c5", "c6"]
    c = {n: await new_customer(agent, n) for n in names}
    keys = iter(range(1000))

    async def bought(customer: str, amount: str = "10") -> None:
        await buy(agent, customer, clock(), f"k{next(keys)}", line("ITEM", 1, amount))

    async def touched(channel: str, stage: str, **rating) -> None:
        await touch(agent, c["c1"], clock(), channel=channel, stage=stage, **rating)

    # The day before (T0): c1 and c4 ACQUIRED, c2 and c3 ACTIVE, c5 LAPSED, c6 a PROSPECT.
    for customer in ("c1", "c2", "c2", "c3", "c3", "c4", "c5"):
        await bought(c[customer])
    await move(agent, c["c5"], "LAPSE")
    await touched("CHAT", "PRE_SALE", satisfaction=1)  # outside the period

    # Day 1 of the period: c1 activated, c6 acquired, c5 won back, c3 lapsed.
    clock.advance(timedelta(days=1))
    await bought(c["c1"], "120")
    await bought(c["c6"], "45.5")
    await bought(c["c5"], "300")
    await move(agent, c["c3"], "LAPSE")
    await touched("PHONE", "AFTER_SALE", satisfaction=5)
    await touched("PHONE", "AFTER_SALE", satisfaction=2)  # negative: (3 - 2) / 2 = 0.5
    await touched("CHAT", "PRE_SALE", nps=10)
    await touched("CHAT", "PRE_SALE", nps=3)  # negative: (7 - 3) / 7 = 0.571
    await touched("STORE", "IN_SALE", satisfaction=4, nps=8)
    # Day 2: c6 activated, c7 new and acquired.
    clock.advance(timedelta(days=1))
    await bought(c["c6"], "54.57")
    c["c7"] = await new_customer(agent, "c7")
    await bought(c["c7"], "80")
    await touched("PHONE", "AFTER_SALE", satisfaction=1)  # negative: 1.0
    await touched("CHAT", "AFTER_SALE", sentiment="NEGATIVE")  # negative: 0.5
    await touched("STORE", "IN_SALE", satisfaction=3, nps=9)
    await touched("EMAIL", "PRE_SALE")
    await touched("STORE", "IN_SALE", satisfaction=2, nps=7, sentiment="NEGATIVE")  # negative: 0.5
    # The day after: c4 activated, another bad call; neither counts.
    clock.advance(timedelta(days=1))
    await bought(c["c4"], "999")
    await touched("PHONE", "AFTER_SALE", satisfaction=1)

    period = {"from": "2026-11-23", "to": "2026-11-24"}
    kpis = (await analyst.execute(KPIS, period))["kpis"]
    assert kpis == {
        # Satisfaction answers 5, 2, 4, 1, 3, 2: two of six are 4-5.
        "satisfactionRate": {"value": 0.3333, "numerator": 2, "denominator": 6},
        # NPS answers 10, 3, 8, 9, 7: 2 promoters, 1 detractor of 5: 100 * (2 - 1) / 5.
        "nps": 20.0,
        "npsAnswers": 5,
        # Activated (c1, c6) / ACQUIRED at the start (c1, c4) + acquired during (c6, c7).
        "repurchaseRate": {"value": 0.5, "numerator": 2, "denominator": 4},
        # Lapsed (c3) / active at the start (c1, c2, c3, c4).
        "churnRate": {"value": 0.25, "numerator": 1, "denominator": 4},
        # Active at the end (c1, c2, c4, c5, c6, c7) - acquired (c6, c7) - won back (c5) = 3, of 4.
        "retentionRate": {"value": 0.75, "numerator": 3, "denominator": 4},
        "newCustomers": 2,
        "wonBack": 1,
        "orders": 5,
        "revenue": "600.07",  # 120 + 45.5 + 300 + 54.57 + 80
        "averageOrderValue": "120.01",  # 120.014
    }

    by_stage = (await analyst.execute(EXPERIENCE, {**period, "groupBy": "STAGE"}))["experience"]
    assert by_stage == {
        "groupBy": "STAGE",
        "groups": [
            figures("AFTER_SALE", 4, 2.6667, (1, 3), None, 0, 3),  # 5, 2, 1 and a negative sentiment
            figures("IN_SALE", 3, 3.0, (1, 3), 33.3, 3, 1),  # 4, 3, 2; NPS 8, 9, 7
            figures("PRE_SALE", 3, None, (0, 0), 0.0, 2, 1),  # NPS 10, 3 and an unrated inquiry
        ],
        "overall": figures("ALL", 10, 2.8333, (2, 6), 20.0, 5, 5),
        "hotspots": [
            # AFTER_SALE: 3 of the 5 negatives, (0.5 + 1.0 + 0.5) / 3 each: 0.6 x 0.6667 = 0.4.
            hotspot("AFTER_SALE", 3, 0.6, 0.6667, 0.4),
            # One each: PRE_SALE's (0.571) is worse than IN_SALE's (0.5).
            hotspot("PRE_SALE", 1, 0.2, 0.571, 0.1142),
            hotspot("IN_SALE", 1, 0.2, 0.5, 0.1),
        ],
    }
    by_channel = (await analyst.execute(EXPERIENCE, {**period, "groupBy": "CHANNEL"}))["experience"]
    assert by_channel == {
        "groupBy": "CHANNEL",
        "groups": [
            figures("CHAT", 3, None, (0, 0), 0.0, 2, 2),
            figures("EMAIL", 1, None, (0, 0), None, 0, 0),
            figures("PHONE", 3, 2.6667, (1, 3), None, 0, 2),
            figures("STORE", 3, 3.0, (1, 3), 33.3, 3, 1),  # the purchases there count no touchpoints
        ],
        "overall": figures("ALL", 10, 2.8333, (2, 6), 20.0, 5, 5),
        "hotspots": [
            hotspot("PHONE", 2, 0.4, 0.75, 0.3),  # (0.5 + 1.0) / 2
            hotspot("CHAT", 2, 0.4, 0.5355, 0.2142),  # (0.571 + 0.5) / 2
            hotspot("STORE", 1, 0.2, 0.5, 0.1),
        ],
    }

    # A period with nothing in it has no ratios rather than zeros.
    empty = (await analyst.execute(KPIS, {"from": "2020-01-01", "to": "2020-01-31"}))["kpis"]
    assert empty["satisfactionRate"] == {"value": None, "numerator": 0, "denominator": 0}
    assert (empty["nps"], empty["averageOrderValue"]) == (None, None)
    assert (empty["orders"], empty["revenue"]) == (0, "0")
    [backwards] = await analyst.errors(KPIS, {"from": "2026-11-24", "to": "2026-11-23"})
    assert backwards["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}
    [too_long] = await analyst.errors(
        EXPERIENCE, {"from": "2016-01-01", "to": "2026-11-24", "groupBy": "STAGE"}
    )
    assert too_long["extensions"] == {"code": "BAD_USER_INPUT", "field": "to"}


def figures(key, touchpoints, average, satisfied, nps, nps_answers, negatives) -> dict:
    numerator, denominator = satisfied
    return {
        "key": key,
        "touchpoints": touchpoints,
        "averageSatisfaction": average,
        "satisfactionRate": {
            "value": round(numerator / denominator, 4) if denominator else None,
            "numerator": numerator,
            "denominator": denominator,
        },
        "nps": nps,
        "npsAnswers": nps_answers,
        "negatives": negatives,
    }


def hotspot(key, negatives, frequency, impact, concentration) -> dict:
    return {
        "key": key,
        "negatives": negatives,
        "frequency": frequency,
        "impact": impact,
        "concentration": concentration,
    }
