"""Visit use cases: file the report of a visit, tick its follow-ups off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.access import EVERYTHING
from domain.errors import BadArgument, ErrorCode, NotFound
from domain.key_accounts import FollowUp, VisitFindings, VisitLog, check_visit, next_visit_due
from domain.validation import Problems
from repositories.pagination import Page
from repositories.transactions import in_transaction
from resolvers.context import Context
from resolvers.key_accounts import editable_account
from resolvers.outcome import Outcome, attempt
from resolvers.users import check_users


async def visits_by_ids(ctx: Context, ids: list[str]) -> list[VisitLog | None]:
    return await ctx.visits.by_ids(ids, (await ctx.access()).dossiers)


async def follow_ups_by_ids(ctx: Context, ids: list[str]) -> list[tuple[VisitLog, FollowUp] | None]:
    """Each follow-up with its visit, if the caller can see the visit's account."""
    visits = await ctx.visits.by_follow_up_ids(ids, (await ctx.access()).dossiers)
    found: list[tuple[VisitLog, FollowUp] | None] = []
    for follow_up_id, visit in zip(ids, visits, strict=True):
        follow_up = next((f for f in visit.follow_ups if f.id == follow_up_id), None) if visit else None
        found.append((visit, follow_up) if visit and follow_up else None)
    return found


#: How far ahead the open follow-ups are listed at most (a year).
FOLLOW_UP_WINDOW_DAYS_MAX = 366


async def list_open_follow_ups(
    ctx: Context, due_within_days: int | None, first: int | None, after: str | None
) -> Page[tuple[VisitLog, FollowUp]]:
    """Open follow-ups in the viewer's dossiers due within N days (0: the overdue ones),
    soonest first."""
    days = FOLLOW_UP_WINDOW_DAYS_MAX if due_within_days is None else due_within_days
    if not 0 <= days <= FOLLOW_UP_WINDOW_DAYS_MAX:
        raise BadArgument(f"dueWithinDays is from 0 to {FOLLOW_UP_WINDOW_DAYS_MAX}", "dueWithinDays")
    access = await ctx.access()
    return await ctx.visits.open_follow_ups(ctx.clock() + timedelta(days=days), access.dossiers, first, after)


@dataclass(frozen=True)
class FollowUpRequest:
    action: str | None
    owner_id: str | None
    due_at: datetime | None
    done: bool = False


@dataclass(frozen=True)
class VisitReport:
    key_account_id: str
    visited_at: datetime
    visitor_ids: list[str]
    contact_ids: list[str]
    purpose: str | None
    findings: VisitFindings
    follow_ups: list[FollowUpRequest]
    next_visit_at: datetime | None


async def _check_contacts_met(ctx: Context, account_id: str, contact_ids: list[str]) -> None:
    contacts = await ctx.contact_by_id.load_many(contact_ids)
    problems = Problems()
    for i, contact in enumerate(contacts):
        if contact is None:
            problems.add(f"contactIds[{i}]", "no contact with this id", ErrorCode.NOT_FOUND)
        elif contact.key_account_id != account_id:
            problems.add(f"contactIds[{i}]", "not a contact of this account")
    problems.raise_if_any()


async def log_visit(ctx: Context, report: VisitReport) -> Outcome[VisitLog]:
    async def work() -> VisitLog:
        now = ctx.clock()
        purpose, findings, actions = check_visit(
            report.visited_at,
            now,
            report.purpose,
            report.findings,
            [(f.action, f.owner_id, f.due_at) for f in report.follow_ups],
            report.next_visit_at,
            (len(report.visitor_ids), len(report.contact_ids)),
        )
        account = await editable_account(ctx, report.key_account_id)
        visitors = list(dict.fromkeys(report.visitor_ids or [ctx.viewer.id]))
        named = [(v, f"visitorIds[{report.visitor_ids.index(v)}]") for v in report.visitor_ids]
        named += [
            (f.owner_id, f"followUps[{i}].ownerId") for i, f in enumerate(report.follow_ups) if f.owner_id
        ]
        await check_users(ctx, named)
        await _check_contacts_met(ctx, account.id, report.contact_ids)
        visit = VisitLog(
            id=str(ObjectId()),
            key_account_id=account.id,
            visited_at=report.visited_at,
            visitor_ids=visitors,
            contact_ids=list(dict.fromkeys(report.contact_ids)),
            purpose=purpose,
            findings=findings,
            follow_ups=[
                FollowUp(
                    id=str(ObjectId()),
                    action=action,
                    owner_id=f.owner_id or "",
                    due_at=f.due_at or now,
                    done_at=now if f.done else None,
                )
                for f, action in zip(report.follow_ups, actions, strict=True)
            ],
            next_visit_at=report.next_visit_at,
            logged_by=ctx.viewer.id,
            created_at=now,
        )

        async def record(session: AsyncClientSession) -> VisitLog:
            await ctx.visits.add(visit, session)
            # The plan follows the latest visit by date (a back-filled older report
            # does not move it); racing loggers retry the whole transaction.
            latest = await ctx.visits.latest(account.id, session)
            current = await ctx.key_accounts.get(account.id, EVERYTHING, session=session)  # checked above
            assert latest is not None
            due = next_visit_due(
                current.grade, ctx.visit_cadence, current.created_at, latest.visited_at, latest.next_visit_at
            )
            await ctx.key_accounts.record_visit_plan(
                account.id, latest.visited_at, latest.next_visit_at, due, session
            )
            return visit

        return await in_transaction(ctx.db, record)

    return await attempt(work())


async def complete_follow_up(ctx: Context, follow_up_id: str) -> Outcome[tuple[VisitLog, FollowUp]]:
    async def work() -> tuple[VisitLog, FollowUp]:
        [found] = await follow_ups_by_ids(ctx, [follow_up_id])
        if found is None:
            raise NotFound("no follow-up with this id", "followUpId")
        await editable_account(ctx, found[0].key_account_id, "followUpId")
        visit = await ctx.visits.complete_follow_up(follow_up_id, ctx.clock(), (await ctx.access()).dossiers)
        return visit, next(f for f in visit.follow_ups if f.id == follow_up_id)

    return await attempt(work())
