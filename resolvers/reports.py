"""Reports over the whole base (ADMIN, CX_AGENT, ANALYST): the RFM segment distribution,
experience by journey stage or channel, and the KPIs of a period. Each reads running
totals kept on write (repositories.rollups); the same figures from the raw events are
here too (`raw=True`), for a segment distribution in the past, for the benchmark's
side-by-side and for the tests that hold the two to the same answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from typing import Any

from domain.access import may_read_reports
from domain.errors import BadArgument, Forbidden
from domain.experience import (
    ACTIVE_STAGES,
    ExperienceTotals,
    Hotspot,
    Kpis,
    LifecycleTotals,
    hotspots,
    kpis,
)
from domain.lifecycle import LifecycleAction, LifecycleStage
from domain.rfm import SegmentShare, distribution
from repositories.rollups import add_into, experience_cells, plain, rfm_cells_up_to
from resolvers.context import Context

#: A report covers at most this many days (month rollups keep a long period cheap).
PERIOD_DAYS_MAX = 3660


class ExperienceGrouping(Enum):
    STAGE = "STAGE"
    CHANNEL = "CHANNEL"


def _check_reader(ctx: Context) -> None:
    if not may_read_reports(ctx.viewer):
        raise Forbidden("your role may not read reports over the customer base")


def check_period(first: date, last: date) -> None:
    if last < first:
        raise BadArgument("to must not be before from", "to")
    if (last - first).days >= PERIOD_DAYS_MAX:
        raise BadArgument(f"a period covers at most {PERIOD_DAYS_MAX} days", "to")


def _start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


# --- segments ----------------------------------------------------------------------------------


async def segments(ctx: Context, as_of: date | None, *, raw: bool = False) -> tuple[date, list[SegmentShare]]:
    """The distribution on `as_of` (default today). Today and later read the RFM cells kept
    on write; a day in the past is recomputed from the purchases made up to it."""
    _check_reader(ctx)
    today = ctx.clock().date()
    day = as_of or today
    rules = ctx.value_rules.rfm
    if day >= today and not raw:
        cells = await rfm_cells_up_to(ctx.rfm_cells, day)
    else:
        cells = await ctx.records.rfm_cells_as_of(_start(min(day, today) + timedelta(days=1)), rules)
    return day, distribution(cells, day, rules)


# --- experience --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExperienceGroup:
    key: str
    totals: ExperienceTotals


@dataclass(frozen=True)
class ExperienceReport:
    groups: list[ExperienceGroup]
    hotspots: list[Hotspot]
    overall: ExperienceTotals


async def _experience_totals(ctx: Context, first: date, last: date, raw: bool) -> dict[str, Any]:
    if not raw:
        return await ctx.experience_rollups.between(first, last)
    start, end = _start(first), _start(last + timedelta(days=1))
    totals: dict[str, Any] = {}
    for doc in await ctx.touchpoints.totals_by_day_channel_stage(start, end):
        key = doc["_id"]
        add_into(totals, {"cells": {key["channel"]: {key["stage"]: plain(doc)}}})
    for doc in await ctx.records.totals_by_day_and_channel(start, end):
        key = doc["_id"]
        add_into(totals, {"cells": {key["channel"] or "UNKNOWN": {"IN_SALE": plain(doc)}}})
    return totals


async def experience(
    ctx: Context, first: date, last: date, grouping: ExperienceGrouping, *, raw: bool = False
) -> ExperienceReport:
    _check_reader(ctx)
    check_period(first, last)
    cells = experience_cells(await _experience_totals(ctx, first, last, raw))
    grouped: dict[str, ExperienceTotals] = {}
    for (channel, stage), totals in cells.items():
        key = stage if grouping is ExperienceGrouping.STAGE else channel
        grouped[key] = grouped.get(key, ExperienceTotals()) + totals
    touched = {k: g for k, g in grouped.items() if g.touchpoints}
    overall = sum(touched.values(), ExperienceTotals())
    return ExperienceReport(
        groups=[ExperienceGroup(k, touched[k]) for k in sorted(touched)],
        hotspots=hotspots(touched),
        overall=overall,
    )


# --- KPIs -------------------------------------------------------------------------------------------


def _count(values: Mapping[str, Any], *stages: LifecycleStage) -> int:
    return sum(int(values.get(s.value, 0)) for s in stages)


async def _lifecycle_totals(ctx: Context, first: date, last: date, raw: bool) -> LifecycleTotals:
    if raw:
        moves: dict[str, int] = {}
        start, end = first.isoformat(), last.isoformat()
        for doc in await ctx.customers.lifecycle_moves_by_day():
            if start <= doc["_id"]["day"] <= end:
                action = doc["_id"]["action"]
                moves[action] = moves.get(action, 0) + doc["moves"]
        at_start = await ctx.customers.stages_at(_start(first))
        at_end = await ctx.customers.stages_at(_start(last + timedelta(days=1)))
    else:
        moves = (await ctx.lifecycle_rollups.between(first, last)).get("actions", {})
        at_start = (await ctx.lifecycle_rollups.up_to(first - timedelta(days=1))).get("net", {})
        at_end = (await ctx.lifecycle_rollups.up_to(last)).get("net", {})
    return LifecycleTotals(
        acquired=moves.get(LifecycleAction.ACQUIRE.value, 0),
        activated=moves.get(LifecycleAction.ACTIVATE.value, 0),
        lapsed=moves.get(LifecycleAction.LAPSE.value, 0),
        won_back=moves.get(LifecycleAction.WIN_BACK.value, 0),
        acquired_at_start=_count(at_start, LifecycleStage.ACQUIRED),
        active_at_start=_count(at_start, *ACTIVE_STAGES),
        active_at_end=_count(at_end, *ACTIVE_STAGES),
    )


async def key_figures(
    ctx: Context, first: date, last: date, *, raw: bool = False
) -> tuple[Kpis, LifecycleTotals]:
    _check_reader(ctx)
    check_period(first, last)
    cells = experience_cells(await _experience_totals(ctx, first, last, raw))
    experience_totals = sum(cells.values(), ExperienceTotals())
    lifecycle = await _lifecycle_totals(ctx, first, last, raw)
    return kpis(experience_totals, lifecycle), lifecycle
