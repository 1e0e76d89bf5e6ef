"""GraphQL shape of the reports over the whole base: segments, experience, KPIs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

import strawberry

from domain.experience import ExperienceTotals
from domain.experience import Ratio as DomainRatio
from resolvers import reports as use_cases
from resolvers.reports import ExperienceGrouping
from schema.journeys import Segment

strawberry.enum(ExperienceGrouping, name="ExperienceGrouping")

READERS = "ADMIN, CX_AGENT, ANALYST."


@strawberry.type(
    description="A figure and the counts it was computed from (value null when the denominator is 0)."
)
class Ratio:
    value: float | None
    numerator: int
    denominator: int

    @classmethod
    def of(cls, r: DomainRatio) -> Ratio:
        return cls(value=r.value, numerator=r.numerator, denominator=r.denominator)


@strawberry.type
class SegmentShare:
    segment: Segment
    count: int
    share: float | None = strawberry.field(description="Of the customers with a purchase by asOf.")
    total_spend: Decimal = strawberry.field(description="Their lifetime spend, in the deployment's currency.")


@strawberry.type(description="Experience figures of one group (a journey stage or a channel).")
class ExperienceFigures:
    key: str
    touchpoints: int
    average_satisfaction: float | None = strawberry.field(description="Mean of the 1-5 answers.")
    satisfaction_rate: Ratio = strawberry.field(description="Share of 4-5 among satisfaction answers.")
    nps: float | None = strawberry.field(
        description="% promoters (9-10) minus % detractors (0-6), -100..100."
    )
    nps_answers: int
    negatives: int = strawberry.field(
        description="Negative experiences: satisfaction 1-2, NPS 0-6 or negative sentiment."
    )

    @classmethod
    def of(cls, key: str, t: ExperienceTotals) -> ExperienceFigures:
        return cls(
            key=key,
            touchpoints=t.touchpoints,
            average_satisfaction=t.average_satisfaction,
            satisfaction_rate=Ratio.of(t.satisfaction_rate),
            nps=t.nps,
            nps_answers=t.nps_answers,
            negatives=t.negatives,
        )


@strawberry.type(
    description="Where negative experiences concentrate: concentration = impact x frequency, frequency being "
    "the group's share of all negative experiences of the period and impact their mean intensity (0-1)."
)
class ExperienceHotspot:
    key: str
    negatives: int
    frequency: float
    impact: float
    concentration: float


@strawberry.type
class ExperienceReport:
    group_by: ExperienceGrouping
    groups: list[ExperienceFigures]
    overall: ExperienceFigures
    hotspots: list[ExperienceHotspot] = strawberry.field(description="Most concentrated first.")


@strawberry.type(description="The KPIs of a period (README: Journeys and value, for each formula).")
class Kpis:
    satisfaction_rate: Ratio
    nps: float | None
    nps_answers: int
    repurchase_rate: Ratio = strawberry.field(
        description="Customers activated (a second purchase) / customers ACQUIRED at the start plus acquired during."
    )
    churn_rate: Ratio = strawberry.field(description="Customers lapsed / active customers at the start.")
    retention_rate: Ratio = strawberry.field(
        description="(Active at the end - acquired during) / active at the start."
    )
    new_customers: int = strawberry.field(description="Customers acquired in the period.")
    won_back: int
    orders: int
    revenue: Decimal
    average_order_value: Decimal | None


FromArgument = Annotated[date, strawberry.argument(name="from")]


@strawberry.type
class ReportQueries:
    @strawberry.field(
        description="The RFM segment distribution on asOf (default today), every segment in order, computed in "
        "MongoDB from running totals; a day in the past is recomputed from the purchases made by then. "
        f"{READERS}"
    )
    async def segments(self, info: strawberry.Info, as_of: date | None = None) -> list[SegmentShare]:
        _, shares = await use_cases.segments(info.context, as_of)
        return [
            SegmentShare(segment=s.segment, count=s.count, share=s.share, total_spend=s.total_spend)
            for s in shares
        ]

    @strawberry.field(
        description=f"Experience for the days from..to (UTC) by journey stage or channel. {READERS}"
    )
    async def experience(
        self, info: strawberry.Info, from_: FromArgument, to: date, group_by: ExperienceGrouping
    ) -> ExperienceReport:
        report = await use_cases.experience(info.context, from_, to, group_by)
        return ExperienceReport(
            group_by=group_by,
            groups=[ExperienceFigures.of(g.key, g.totals) for g in report.groups],
            overall=ExperienceFigures.of("ALL", report.overall),
            hotspots=[
                ExperienceHotspot(
                    key=h.key,
                    negatives=h.negatives,
                    frequency=h.frequency,
                    impact=h.impact,
                    concentration=h.concentration,
                )
                for h in report.hotspots
            ],
        )

    @strawberry.field(description=f"The KPIs of the days from..to (UTC). {READERS}")
    async def kpis(self, info: strawberry.Info, from_: FromArgument, to: date) -> Kpis:
        k, lifecycle = await use_cases.key_figures(info.context, from_, to)
        return Kpis(
            satisfaction_rate=Ratio.of(k.satisfaction_rate),
            nps=k.nps,
            nps_answers=k.nps_answers,
            repurchase_rate=Ratio.of(k.repurchase_rate),
            churn_rate=Ratio.of(k.churn_rate),
            retention_rate=Ratio.of(k.retention_rate),
            new_customers=k.new_customers,
            won_back=lifecycle.won_back,
            orders=k.orders,
            revenue=k.revenue,
            average_order_value=k.average_order_value,
        )
