"""Complaint use cases: file an item from any channel, route it, work it through its
states, read it. Reads go through the access policy (the complaints of the customers a
viewer's dossiers cover: all for ADMIN, CX_AGENT and ANALYST, a manager's book, none for
a partner); every move is one update conditional on the status it starts from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from domain.complaints import (
    DEFAULT_COMPENSATION_LIMIT,
    STATS_DAYS_MAX,
    STATS_READERS,
    Complaint,
    ComplaintAction,
    ComplaintStatus,
    CustomerNeed,
    Filing,
    HistoryEntry,
    ImprovementAction,
    applicable_policy,
    applied_targets,
    check_compensation,
    check_filing,
    check_improvement,
    check_move,
    check_satisfaction,
    check_text,
    clock_changes,
    compensation_status,
    starting_clocks,
)
from domain.errors import BadArgument, Forbidden, NotFound, Problem, ValidationFailed
from domain.events import EventType
from domain.lifecycle import Actor
from domain.money import Money
from domain.records import FeedbackKind
from domain.tiers import ValueTier, value_tier
from domain.users import Role, User
from repositories.complaints import ComplaintFilter, money_doc
from repositories.pagination import Page, Paging
from repositories.transactions import in_transaction
from resolvers import events
from resolvers.access import shown_complaint
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt
from resolvers.users import check_users

#: Roles that file and work complaints (a manager only within their book).
HANDLERS = frozenset({Role.ADMIN, Role.CX_AGENT, Role.ACCOUNT_MANAGER})


def may_handle_complaints(viewer: User) -> bool:
    return viewer.role in HANDLERS


def _actor(ctx: Context) -> Actor:
    v = ctx.viewer
    return Actor(id=v.id, name=v.name, role=v.role.value)


def _check_handler(ctx: Context) -> None:
    if not may_handle_complaints(ctx.viewer):
        raise Forbidden("your role may not handle complaints")


# --- reading -----------------------------------------------------------------------------


async def complaints_by_ids(ctx: Context, ids: list[str]) -> list[Complaint | None]:
    return await ctx.complaint_by_id.load_many(ids)


async def list_complaints(ctx: Context, where: ComplaintFilter, paging: Paging) -> Page[Complaint]:
    access = await ctx.access()
    page = await ctx.complaints.page(replace(where, scope=access.dossiers, now=ctx.clock()), paging)
    page = replace(page, items=[(cursor, shown_complaint(access, c)) for cursor, c in page.items])
    for _, complaint in page.items:
        ctx.complaint_by_id.prime(complaint.id, complaint)
    return page


# --- filing ------------------------------------------------------------------------------


async def file_complaint(ctx: Context, filing: Filing) -> Outcome[Complaint]:
    async def work() -> Complaint:
        _check_handler(ctx)
        now = ctx.clock()
        clean = check_filing(filing, now)
        access = await ctx.access()
        customer = await ctx.customers.get(
            clean.customer_id, access.dossiers if _in_book(ctx) else access.customers
        )
        grade = None
        if clean.key_account_id is not None:
            account = await ctx.key_accounts.get(clean.key_account_id, access.dossiers)
            if account.customer_id != customer.id:
                raise ValidationFailed(
                    [Problem(ValidationFailed.code, "this key account is not the customer's", "keyAccountId")]
                )
            grade = account.grade.value
        vip = value_tier(customer.figures, ctx.value_rules.tiers) is ValueTier.VIP
        policy = applicable_policy(await ctx.complaints.policies(), clean.severity, grade, vip=vip)
        targets = applied_targets(policy)
        received = clean.received_at or now
        complaint = Complaint(
            id=str(ObjectId()),
            customer_id=customer.id,
            key_account_id=clean.key_account_id,
            channel=clean.channel,
            kind=clean.kind,
            category=clean.category,
            severity=clean.severity,
            summary=clean.summary or "",
            description=clean.description,
            department_at_fault=clean.department_at_fault,
            received_at=received,
            status=ComplaintStatus.OPEN,
            department_id=await ctx.complaints.department_for(clean.category),
            owner_id=None,
            policy_name=policy.name if policy else "default",
            calendar=policy.calendar if policy else None,
            targets=targets,
            clocks=starting_clocks(targets, received),
            pauses=[],
            history=[HistoryEntry(ComplaintAction.FILE, None, ComplaintStatus.OPEN, now, _actor(ctx))],
        )

        async def record(session: AsyncClientSession) -> Complaint:
            filed = await ctx.complaints.file(complaint, now, session)
            await ctx.complaint_stats.filed(filed, session)
            await _announce(ctx, session, EventType.COMPLAINT_FILED, filed, now, {"to": filed.status.value})
            return filed

        return await in_transaction(ctx.db, record)

    return await attempt(work())


async def _announce(
    ctx: Context,
    session: AsyncClientSession,
    type: EventType,
    complaint: Complaint,
    now: datetime,
    detail: dict[str, str],
) -> None:
    await events.record(
        ctx.db,
        session,
        type,
        now,
        complaint.customer_id,
        key_account_id=complaint.key_account_id,
        complaint_id=complaint.id,
        owner_id=complaint.owner_id,
        department_id=complaint.department_id,
        detail=detail,
    )


def _in_book(ctx: Context) -> bool:
    """A manager files only for their book's customers (others may file for anyone)."""
    return ctx.viewer.role is Role.ACCOUNT_MANAGER


# --- moves -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    action: ComplaintAction
    to_status: ComplaintStatus | None = None  # None: stays where it is
    note: str | None = None
    set_fields: dict[str, Any] | None = None
    pause: str | None = None
    also: Callable[[AsyncClientSession], Awaitable[None]] | None = None  # written in the same transaction


async def _workable(ctx: Context, complaint_id: str) -> Complaint:
    _check_handler(ctx)
    access = await ctx.access()
    return await ctx.complaints.get(complaint_id, access.dossiers)


async def _apply(ctx: Context, complaint: Complaint, move: Move, expected_version: int | None) -> Complaint:
    check_move(move.action, complaint.status)
    now = ctx.clock()
    to_status = move.to_status or complaint.status
    pause = move.pause
    if complaint.status is ComplaintStatus.WAITING_ON_CUSTOMER and to_status is not complaint.status:
        pause = "end"  # leaving the wait resumes the clocks
    entry = HistoryEntry(move.action, complaint.status, to_status, now, _actor(ctx), move.note)

    async def record(session: AsyncClientSession) -> Complaint:
        # The move and the running totals it changes, together or not at all.
        moved = await ctx.complaints.move(
            complaint,
            expected_version,
            entry,
            now,
            set_fields=move.set_fields,
            clocks=clock_changes(move.action, complaint, now),
            pause=pause,
            session=session,
        )
        await ctx.complaint_stats.moved(complaint, moved, now, session)
        if move.also is not None:
            await move.also(session)
        detail = {"action": move.action.value, "from": complaint.status.value, "to": moved.status.value}
        await _announce(ctx, session, EventType.COMPLAINT_MOVED, moved, now, detail)
        return moved

    return await in_transaction(ctx.db, record)


async def move_complaint(
    ctx: Context, complaint_id: str, expected_version: int | None, decide: Any
) -> Outcome[Complaint]:
    """Load the item the caller may work, let `decide(complaint)` say the move (it may
    raise a validation problem or FORBIDDEN), and apply it conditionally."""

    async def work() -> Complaint:
        complaint = await _workable(ctx, complaint_id)
        move = await decide(complaint)
        return await _apply(ctx, complaint, move, expected_version)

    return await attempt(work())


async def acknowledge(
    ctx: Context, complaint_id: str, response: str, version: int | None
) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        return Move(
            ComplaintAction.ACKNOWLEDGE, ComplaintStatus.ACKNOWLEDGED, check_text(response, "response")
        )

    return await move_complaint(ctx, complaint_id, version, decide)


async def start_work(ctx: Context, complaint_id: str, version: int | None) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        return Move(ComplaintAction.START_WORK, ComplaintStatus.IN_PROGRESS)

    return await move_complaint(ctx, complaint_id, version, decide)


async def wait_on_customer(
    ctx: Context, complaint_id: str, reason: str, version: int | None
) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        note = check_text(reason, "reason")
        return Move(
            ComplaintAction.WAIT_ON_CUSTOMER, ComplaintStatus.WAITING_ON_CUSTOMER, note, pause="start"
        )

    return await move_complaint(ctx, complaint_id, version, decide)


async def resolve(
    ctx: Context,
    complaint_id: str,
    resolution: str,
    root_cause: str | None,
    compensation: Money | None,
    version: int | None,
    limit: Decimal = DEFAULT_COMPENSATION_LIMIT,
) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        text = check_text(resolution, "resolution")
        cause = check_text(root_cause, "rootCause", required=False)
        check_compensation(compensation)
        fields: dict[str, Any] = {"resolution": text, "rootCause": cause}
        if compensation is not None and compensation.amount > 0:
            status = compensation_status(compensation, limit)
            fields["compensation"] = {**(money_doc(compensation) or {}), "status": status}
            if status == "PENDING_APPROVAL":
                return Move(ComplaintAction.HOLD_FOR_APPROVAL, ComplaintStatus.PENDING_APPROVAL, text, fields)
        return Move(ComplaintAction.RESOLVE, ComplaintStatus.RESOLVED, text, fields)

    return await move_complaint(ctx, complaint_id, version, decide)


async def approve_compensation(ctx: Context, complaint_id: str, version: int | None) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        if ctx.viewer.role is not Role.ADMIN:
            raise Forbidden("only an ADMIN may approve a compensation above the handler's limit")
        return Move(
            ComplaintAction.APPROVE_COMPENSATION,
            ComplaintStatus.RESOLVED,
            None,
            {"compensation.status": "GRANTED"},
        )

    return await move_complaint(ctx, complaint_id, version, decide)


async def record_follow_up(
    ctx: Context, complaint_id: str, satisfaction: int, fix_held: bool, version: int | None
) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        check_satisfaction(satisfaction)
        fields = {"followUp": {"satisfaction": satisfaction, "fixHeld": fix_held}}
        return Move(ComplaintAction.RECORD_FOLLOW_UP, ComplaintStatus.CLOSED, None, fields)

    return await move_complaint(ctx, complaint_id, version, decide)


async def reopen(ctx: Context, complaint_id: str, reason: str, version: int | None) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        return Move(ComplaintAction.REOPEN, ComplaintStatus.IN_PROGRESS, check_text(reason, "reason"))

    return await move_complaint(ctx, complaint_id, version, decide)


async def discard(ctx: Context, complaint_id: str, reason: str, version: int | None) -> Outcome[Complaint]:
    async def decide(_: Complaint) -> Move:
        return Move(ComplaintAction.DISCARD, ComplaintStatus.DISCARDED, check_text(reason, "reason"))

    return await move_complaint(ctx, complaint_id, version, decide)


async def assign(
    ctx: Context, complaint_id: str, department_id: str | None, owner_id: str | None, version: int | None
) -> Outcome[Complaint]:
    async def decide(complaint: Complaint) -> Move:
        fields: dict[str, Any] = {}
        if department_id is not None:
            if not await ctx.complaints.department_exists(department_id):
                raise NotFound("no department with this id", "departmentId")
            fields["departmentId"] = ObjectId(department_id)
        if owner_id is not None:
            await check_users(
                ctx, [(owner_id, "ownerId")], HANDLERS, "this user's role does not handle complaints"
            )
            fields["ownerId"] = ObjectId(owner_id)
        if not fields:
            raise ValidationFailed(
                [Problem(ValidationFailed.code, "give a departmentId, an ownerId or both", "departmentId")]
            )
        return Move(ComplaintAction.ASSIGN, None, None, fields)

    return await move_complaint(ctx, complaint_id, version, decide)


async def plan_improvement(
    ctx: Context,
    complaint_id: str,
    action: str,
    owner_id: str,
    due_at: datetime,
    training_case: bool,
    version: int | None,
) -> Outcome[Complaint]:
    """Turn a resolved complaint into an improvement action (and maybe a training case):
    the action and the item's history entry in one transaction."""

    async def decide(complaint: Complaint) -> Move:
        now = ctx.clock()
        text = check_improvement(action, due_at, now)
        await check_users(ctx, [(owner_id, "ownerId")])
        improvement = ImprovementAction(
            str(ObjectId()), complaint.id, text, owner_id, due_at, training_case, now
        )
        note = f"improvement: {text}" + (" (training case)" if training_case else "")

        async def write(session: AsyncClientSession) -> None:
            await ctx.complaints.add_improvement(improvement, complaint.customer_id, session)

        return Move(
            ComplaintAction.PLAN_IMPROVEMENT,
            None,
            note,
            {"trainingCase": training_case} if training_case else None,
            also=write,
        )

    return await move_complaint(ctx, complaint_id, version, decide)


async def record_need(ctx: Context, complaint_id: str, need: str, version: int | None) -> Outcome[Complaint]:
    """A demand suggestion becomes a need recorded on the customer (with the item's history)."""

    async def decide(complaint: Complaint) -> Move:
        if complaint.kind is not FeedbackKind.SUGGESTION_SERVICE_DEMAND:
            raise ValidationFailed(
                [
                    Problem(
                        ValidationFailed.code,
                        "only a SUGGESTION_SERVICE_DEMAND records a customer need",
                        "id",
                    )
                ]
            )
        text = check_text(need, "need")
        assert text is not None
        recorded = CustomerNeed(str(ObjectId()), complaint.customer_id, complaint.id, text, ctx.clock())

        async def write(session: AsyncClientSession) -> None:
            await ctx.complaints.add_need(recorded, session)

        return Move(ComplaintAction.RECORD_NEED, None, text, also=write)

    return await move_complaint(ctx, complaint_id, version, decide)


# --- figures -----------------------------------------------------------------------------


async def complaint_stats(ctx: Context, first_day: date, last_day: date) -> dict[str, Any]:
    """The running totals of the days in [first_day, last_day] (at most a year)."""
    if ctx.viewer.role.value not in STATS_READERS:
        raise Forbidden("your role may not read the complaint figures")
    if last_day < first_day:
        raise BadArgument("to must not be before from", "to")
    if (last_day - first_day).days >= STATS_DAYS_MAX:
        raise BadArgument(f"a period covers at most {STATS_DAYS_MAX} days", "to")
    return await ctx.complaint_stats.between(first_day, last_day)
