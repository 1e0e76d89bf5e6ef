"""Key-account use cases: open and keep a dossier, its contacts and network, visits and
contracts. Need-to-know: a caller sees only the accounts domain.key_accounts lets them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bson import ObjectId

from domain.customers import CustomerKind
from domain.errors import BadArgument, Forbidden, NotFound, Problem, ValidationFailed
from domain.key_accounts import (
    Category,
    CompanyProfile,
    Contact,
    FollowUp,
    Grade,
    GradeChange,
    KeyAccount,
    Relationship,
    ServiceContract,
    VisitFindings,
    VisitLog,
    check_company_profile,
    check_contact,
    check_contract,
    check_grade_change,
    check_link,
    check_visit,
    may_edit,
    may_open_key_accounts,
    may_see,
    next_visit_due,
)
from domain.money import Money
from domain.users import Role
from repositories.key_accounts import KeyAccountFilter
from repositories.pagination import Page
from repositories.transactions import in_transaction
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt

MANAGER_ROLES = (Role.ACCOUNT_MANAGER, Role.ADMIN)


def _problem(field_path: str, message: str) -> ValidationFailed:
    return ValidationFailed([Problem(ValidationFailed.code, message, field_path)])


async def _editable(ctx: Context, key_account_id: str, field_path: str = "keyAccountId") -> KeyAccount:
    """The account, if the caller may change it. Unseen accounts are not found."""
    account = await ctx.key_accounts.get(key_account_id, field_path)
    if not may_see(ctx.viewer, account):
        raise NotFound("no key account with this id", field_path)
    if not may_edit(ctx.viewer, account):
        raise Forbidden("you may not change this key account")
    return account


async def _check_users(ctx: Context, ids: Sequence[str], field_path: str, roles=None) -> None:
    users = await ctx.user_by_id.load_many(list(ids))
    problems = [
        Problem(
            ValidationFailed.code,
            "no such user" + (" with a manager role" if roles else ""),
            f"{field_path}[{i}]",
        )
        for i, user in enumerate(users)
        if user is None or (roles and user.role not in roles)
    ]
    if problems:
        raise ValidationFailed(problems)


# --- reading -----------------------------------------------------------------------------


async def key_accounts_by_ids(ctx: Context, ids: list[str]) -> list[KeyAccount | None]:
    found = await ctx.key_account_by_id.load_many(ids)
    return [a if a and may_see(ctx.viewer, a) else None for a in found]


async def key_account_by_id(ctx: Context, key_account_id: str) -> KeyAccount | None:
    [found] = await key_accounts_by_ids(ctx, [key_account_id])
    return found


@dataclass(frozen=True)
class KeyAccountQuery:
    manager_id: str | None = None
    grade: Grade | None = None
    visit_overdue: bool | None = None
    contract_ends_within_days: int | None = None


async def list_key_accounts(
    ctx: Context, query: KeyAccountQuery, first: int | None, after: str | None
) -> Page[KeyAccount]:
    now = ctx.clock()
    only_ids = None
    if query.contract_ends_within_days is not None:
        if query.contract_ends_within_days < 0:
            raise BadArgument("contractEndsWithinDays cannot be negative")
        today = now.date()
        only_ids = await ctx.contracts.key_accounts_with_contracts_ending(
            today, today + timedelta(days=query.contract_ends_within_days)
        )
    where = KeyAccountFilter(
        manager_id=query.manager_id,
        grade=query.grade,
        visit_overdue=query.visit_overdue,
        now=now,
        only_ids=only_ids,
        visible_to_member=ctx.viewer.id if ctx.viewer.role is Role.ACCOUNT_MANAGER else None,
    )
    page = await ctx.key_accounts.page(where, first, after)
    for _, account in page.items:
        ctx.key_account_by_id.prime(account.id, account)  # relation fields below need not reload it
    return page


async def _visible(ctx: Context, items: list[Any]) -> list[Any]:
    """Items of key accounts the caller can see (None for the others)."""
    accounts = await ctx.key_account_by_id.load_many([i.key_account_id if i else "" for i in items])
    return [i if i and a and may_see(ctx.viewer, a) else None for i, a in zip(items, accounts, strict=True)]


async def contacts_by_ids(ctx: Context, ids: list[str]) -> list[Contact | None]:
    return await _visible(ctx, await ctx.contact_by_id.load_many(ids))


async def visits_by_ids(ctx: Context, ids: list[str]) -> list[VisitLog | None]:
    return await _visible(ctx, await ctx.visits.by_ids(ids))


async def contracts_by_ids(ctx: Context, ids: list[str]) -> list[ServiceContract | None]:
    return await _visible(ctx, await ctx.contracts.by_ids(ids))


# --- the dossier -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenKeyAccount:
    customer_id: str
    grade: Grade
    category: Category
    industry: str | None
    manager_id: str
    profile: CompanyProfile = field(default_factory=CompanyProfile)


async def create_key_account(ctx: Context, request: OpenKeyAccount) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        if not may_open_key_accounts(ctx.viewer):
            raise Forbidden("your role may not open key accounts")
        check_company_profile(request.profile, request.industry)
        customer = await ctx.customers.get(request.customer_id)
        if customer.kind is not CustomerKind.ORGANIZATION:
            raise _problem("customerId", "a key account is an organisation customer")
        await _check_users(ctx, [request.manager_id], "managerId", MANAGER_ROLES)
        now = ctx.clock()
        return await ctx.key_accounts.create(
            customer_id=customer.id,
            grade=request.grade,
            category=request.category,
            industry=request.industry and request.industry.strip(),
            manager_id=request.manager_id,
            profile=request.profile,
            next_visit_due_at=next_visit_due(request.grade, ctx.visit_cadence, now, None, None),
            now=now,
        )

    return await attempt(work())


async def update_key_account(
    ctx: Context, key_account_id: str, expected_version: int, changes: dict[str, Any]
) -> Outcome[KeyAccount]:
    """changes: any of category, industry, profile (a whole CompanyProfile)."""

    async def work() -> KeyAccount:
        account = await _editable(ctx, key_account_id)
        profile = changes.get("profile", account.company_profile)
        check_company_profile(profile, changes.get("industry"))
        if "category" in changes and changes["category"] is None:
            raise _problem("category", "category cannot be cleared")
        clean = dict(changes)
        if "industry" in changes:
            clean["industry"] = (changes["industry"] or "").strip() or None
        return await ctx.key_accounts.update_profile(account, expected_version, clean, ctx.clock())

    return await attempt(work())


async def change_grade(
    ctx: Context, key_account_id: str, expected_version: int, grade: Grade, reason: str
) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        account = await _editable(ctx, key_account_id)
        why = check_grade_change(account.grade, grade, reason)
        now = ctx.clock()
        change = GradeChange(account.grade, grade, now, ctx.viewer.id, ctx.viewer.name, why)
        due = next_visit_due(
            grade, ctx.visit_cadence, account.created_at, account.last_visit_at, account.planned_next_visit_at
        )
        return await ctx.key_accounts.change_grade(account, expected_version, change, due)

    return await attempt(work())


async def assign_manager(
    ctx: Context, key_account_id: str, expected_version: int, manager_id: str
) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        account = await _editable(ctx, key_account_id)
        await _check_users(ctx, [manager_id], "managerId", MANAGER_ROLES)
        return await ctx.key_accounts.assign_manager(account, expected_version, manager_id, ctx.clock())

    return await attempt(work())


async def set_team(
    ctx: Context, key_account_id: str, expected_version: int, member_ids: list[str]
) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        account = await _editable(ctx, key_account_id)
        members = list(dict.fromkeys(member_ids))
        await _check_users(ctx, members, "memberIds")
        return await ctx.key_accounts.assign_team(account, expected_version, members, ctx.clock())

    return await attempt(work())


# --- contacts and their network ----------------------------------------------------------


async def add_contact(ctx: Context, key_account_id: str, fields: dict[str, Any]) -> Outcome[Contact]:
    async def work() -> Contact:
        clean = check_contact(fields, ctx.clock().date(), creating=True)
        account = await _editable(ctx, key_account_id)
        return await ctx.contacts.add(account.id, clean, ctx.clock())

    return await attempt(work())


async def _editable_contact(ctx: Context, contact_id: str, field_path: str = "contactId") -> Contact:
    contact = await ctx.contacts.get(contact_id, field_path)
    await _editable(ctx, contact.key_account_id, field_path)
    return contact


async def update_contact(
    ctx: Context, contact_id: str, expected_version: int, fields: dict[str, Any]
) -> Outcome[Contact]:
    async def work() -> Contact:
        clean = check_contact(fields, ctx.clock().date(), creating=False)
        contact = await _editable_contact(ctx, contact_id)
        return await ctx.contacts.update(contact, expected_version, clean, ctx.clock())

    return await attempt(work())


async def remove_contact(ctx: Context, contact_id: str) -> Outcome[Contact]:
    """Removes the contact and its relationships in one transaction; returns what was removed."""

    async def work() -> Contact:
        contact = await _editable_contact(ctx, contact_id)
        await in_transaction(ctx.db, lambda session: ctx.contacts.remove(contact.id, session))
        return contact

    return await attempt(work())


async def _visible_contact(ctx: Context, contact_id: str) -> Contact | None:
    [contact] = await contacts_by_ids(ctx, [contact_id])
    return contact


async def link_contacts(
    ctx: Context, from_id: str, to_id: str, relationship: Relationship, note: str | None
) -> Outcome[Contact]:
    """Relate two contacts (possibly of two accounts, e.g. a supplier); returns the first."""

    async def work() -> Contact:
        source, target = await _visible_contact(ctx, from_id), await _visible_contact(ctx, to_id)
        check_link(source, target)
        assert source is not None and target is not None
        await _editable(ctx, source.key_account_id, "fromContactId")
        clean_note = (note or "").strip() or None
        if clean_note and len(clean_note) > 2000:
            raise _problem("note", "note is longer than 2000 characters")
        await ctx.contacts.link(source.id, target.id, relationship, clean_note, ctx.clock())
        return source

    return await attempt(work())


async def unlink_contacts(ctx: Context, relationship_id: str) -> Outcome[Contact]:
    async def work() -> Contact:
        from_id, _ = await ctx.contacts.relationship_ends(relationship_id)
        source = await _editable_contact(ctx, from_id, "relationshipId")
        await ctx.contacts.unlink(relationship_id)
        return source

    return await attempt(work())


# --- visits --------------------------------------------------------------------------------


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


async def log_visit(ctx: Context, report: VisitReport) -> Outcome[VisitLog]:
    async def work() -> VisitLog:
        now = ctx.clock()
        purpose = check_visit(
            report.visited_at,
            now,
            report.purpose,
            report.findings.satisfaction,
            [(f.action, f.owner_id, f.due_at) for f in report.follow_ups],
            report.next_visit_at,
        )
        account = await _editable(ctx, report.key_account_id)
        visitors = list(dict.fromkeys(report.visitor_ids or [ctx.viewer.id]))
        await _check_users(ctx, visitors, "visitorIds")
        await _check_users(ctx, [f.owner_id for f in report.follow_ups if f.owner_id], "followUps.ownerId")
        contacts = await ctx.contact_by_id.load_many(report.contact_ids)
        strangers = [
            Problem(ValidationFailed.code, "not a contact of this account", f"contactIds[{i}]")
            for i, c in enumerate(contacts)
            if c is None or c.key_account_id != account.id
        ]
        if strangers:
            raise ValidationFailed(strangers)
        visit = VisitLog(
            id=str(ObjectId()),
            key_account_id=account.id,
            visited_at=report.visited_at,
            visitor_ids=visitors,
            contact_ids=list(dict.fromkeys(report.contact_ids)),
            purpose=purpose,
            findings=VisitFindings(
                needs=[n.strip() for n in report.findings.needs if n.strip()],
                satisfaction=report.findings.satisfaction,
                issues=[i.strip() for i in report.findings.issues if i.strip()],
            ),
            follow_ups=[
                FollowUp(
                    id=str(ObjectId()),
                    action=f.action.strip(),  # type: ignore[union-attr]
                    owner_id=f.owner_id,  # type: ignore[arg-type]
                    due_at=f.due_at,  # type: ignore[arg-type]
                    done_at=now if f.done else None,
                )
                for f in report.follow_ups
            ],
            next_visit_at=report.next_visit_at,
            logged_by=ctx.viewer.id,
            created_at=now,
        )

        async def record(session) -> VisitLog:
            await ctx.visits.add(visit, session)
            # The plan follows the latest visit by date (a back-filled older report
            # does not move it); racing loggers retry the whole transaction.
            latest = await ctx.visits.latest(account.id, session)
            current = await ctx.key_accounts.get(account.id, session=session)
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


async def complete_follow_up(ctx: Context, visit_id: str, follow_up_id: str) -> Outcome[VisitLog]:
    async def work() -> VisitLog:
        visit = await ctx.visits.get(visit_id)
        await _editable(ctx, visit.key_account_id, "visitId")
        return await ctx.visits.complete_follow_up(visit_id, follow_up_id, ctx.clock())

    return await attempt(work())


# --- contracts -------------------------------------------------------------------------------


async def add_service_contract(
    ctx: Context,
    key_account_id: str,
    content: str,
    starts_on: date,
    ends_on: date,
    fees: Money,
    confidentiality: bool,
) -> Outcome[ServiceContract]:
    async def work() -> ServiceContract:
        clean = check_contract(content, starts_on, ends_on, fees)
        account = await _editable(ctx, key_account_id)
        contract = ServiceContract(
            id=str(ObjectId()),
            key_account_id=account.id,
            content=clean,
            starts_on=starts_on,
            ends_on=ends_on,
            fees=fees,
            confidentiality=confidentiality,
            created_at=ctx.clock(),
        )
        return await ctx.contracts.add(contract)

    return await attempt(work())
