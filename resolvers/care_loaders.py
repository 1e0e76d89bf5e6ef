"""The per-request loaders of care records (`ctx.care`): plans, tasks and activities by id,
a customer's plans and a plan's tasks for every parent on a page in one query, and the
letter totals of the key accounts on a page. Reads go through the access policy: plans and
tasks are a customer's activity (domain.access `Access.activity`: ADMIN and CX_AGENT all, an
account manager their book, nobody else), masked like the customer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader

from domain.access import Access, mask, may_read_reports
from domain.care import CareActivity, CarePlan, CareTask, LetterTotals
from repositories import care as care_repository
from repositories.care import CareRepository
from repositories.care_activities import CareActivityRepository
from repositories.care_letters import LetterRepository
from repositories.pagination import Page
from resolvers.loaders import BatchLoader, ChildPagesLoader

if TYPE_CHECKING:
    from resolvers.context import Context


def shown_task(access: Access, task: CareTask) -> CareTask:
    """A task's outcome is what the customer said or did: masked like the customer."""
    return task if access.shows_customer(task.customer_id) else mask(task, care_repository.MASKED)


@dataclass(frozen=True)
class TasksRequest:
    plan_id: str
    first: int | None


@dataclass(frozen=True)
class TotalsRequest:
    key_account_id: str
    first: date
    last: date


class _TasksLoader(DataLoader[TasksRequest, list[CareTask]]):
    def __init__(self, loaders: CareLoaders) -> None:
        super().__init__()
        self._loaders = loaders

    async def batch_load_fn(self, requests: Sequence[TasksRequest]) -> list[list[CareTask]]:
        found: dict[TasksRequest, list[CareTask]] = {}
        for first in {r.first for r in requests}:
            plans = list(dict.fromkeys(r.plan_id for r in requests if r.first == first))
            tasks = await self._loaders.visible_tasks_of_plans(plans, first)
            found.update({TasksRequest(p, first): tasks.get(p, []) for p in plans})
        return [found[r] for r in requests]


class _TotalsLoader(DataLoader[TotalsRequest, list[LetterTotals]]):
    def __init__(self, letters: LetterRepository) -> None:
        super().__init__()
        self._letters = letters

    async def batch_load_fn(self, requests: Sequence[TotalsRequest]) -> list[list[LetterTotals]]:
        found: dict[TotalsRequest, list[LetterTotals]] = {}
        for first, last in {(r.first, r.last) for r in requests}:
            accounts = list(
                dict.fromkeys(r.key_account_id for r in requests if (r.first, r.last) == (first, last))
            )
            totals = await self._letters.totals(accounts, first, last)
            found.update({TotalsRequest(a, first, last): totals.get(a, []) for a in accounts})
        return [found[r] for r in requests]


class CareLoaders:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @cached_property
    def plans(self) -> CareRepository:
        return CareRepository(self._ctx.db)

    @cached_property
    def activities(self) -> CareActivityRepository:
        return CareActivityRepository(self._ctx.db)

    @cached_property
    def letters(self) -> LetterRepository:
        return LetterRepository(self._ctx.db)

    async def _access(self) -> Access:
        return await self._ctx.access()

    async def visible_plans(self, ids: Sequence[str]) -> list[CarePlan | None]:
        access = await self._access()
        return await self.plans.plans_by_ids(ids, access.activity)

    async def visible_tasks(self, ids: Sequence[str]) -> list[CareTask | None]:
        access = await self._access()
        found = await self.plans.tasks_by_ids(ids, access.activity)
        return [shown_task(access, t) if t else None for t in found]

    async def visible_tasks_of_plans(
        self, plan_ids: list[str], first: int | None
    ) -> dict[str, list[CareTask]]:
        """Plans come from a scoped read, so their tasks are the viewer's to read."""
        access = await self._access()
        found = await self.plans.tasks_by_plans(plan_ids, first)
        return {p: [shown_task(access, t) for t in tasks] for p, tasks in found.items()}

    async def _plan_pages(
        self, ids: Sequence[str], first: int | None, after: str | None
    ) -> dict[str, Page[Any]]:
        access = await self._access()
        readable = [i for i in ids if access.activity.admits(customer_id=i)]
        pages = await self.plans.plan_pages_by_customer(readable, first, after) if readable else {}
        empty: Page[Any] = Page(
            items=[], has_next_page=False, has_previous_page=after is not None, count_total=_zero
        )
        return {i: pages.get(i) or empty for i in ids}

    async def _plan_counts(self, ids: Sequence[str]) -> dict[str, int]:
        access = await self._access()
        readable = [i for i in ids if access.activity.admits(customer_id=i)]
        counts = await self.plans.plan_counts_by_customer(readable) if readable else {}
        return {i: counts.get(i, 0) for i in ids}

    async def visible_activities(self, ids: Sequence[str]) -> list[CareActivity | None]:
        if not may_read_reports(self._ctx.viewer):
            return [None for _ in ids]
        return await self.activities.by_ids(ids)

    @cached_property
    def plan_by_id(self) -> BatchLoader[str, CarePlan | None]:
        return BatchLoader(self.visible_plans)

    @cached_property
    def task_by_id(self) -> BatchLoader[str, CareTask | None]:
        return BatchLoader(self.visible_tasks)

    @cached_property
    def activity_by_id(self) -> BatchLoader[str, CareActivity | None]:
        return BatchLoader(self.visible_activities)

    @cached_property
    def plans_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            self._plan_pages, self._plan_counts, prime=lambda plan: self.plan_by_id.prime(plan.id, plan)
        )

    @cached_property
    def tasks_by_plan_id(self) -> _TasksLoader:
        return _TasksLoader(self)

    @cached_property
    def letter_totals_by_key_account_id(self) -> _TotalsLoader:
        return _TotalsLoader(self.letters)


async def _zero() -> int:
    return 0
