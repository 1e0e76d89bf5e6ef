"""Key-account use cases: open, read and keep a dossier. Need-to-know: a caller sees only
the accounts domain.key_accounts lets them; an account they may not see is not found."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from domain.customers import CustomerKind
from domain.errors import BadArgument, Duplicate, Forbidden, Problem, ValidationFailed
from domain.key_accounts import (
    Category,
    CompanyProfile,
    Grade,
    GradeChange,
    KeyAccount,
    check_company_profile,
    check_grade_change,
    check_industry,
    check_team,
    may_edit,
    may_open_key_accounts,
    next_visit_due,
)
from domain.users import Role
from repositories.key_accounts import KeyAccountFilter
from repositories.pagination import Page
from resolvers.access import shown_key_account
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt
from resolvers.users import check_users

MANAGER_ROLES = (Role.ACCOUNT_MANAGER, Role.ADMIN)
#: contractEndsWithinDays looks at most ten years ahead.
CONTRACT_WINDOW_DAYS_MAX = 3650


async def editable_account(ctx: Context, key_account_id: str, field_path: str = "keyAccountId") -> KeyAccount:
    """The account, if the caller may change it. An account out of their scope is not
    found, with the same message as one that does not exist."""
    access = await ctx.access()
    account = await ctx.key_accounts.get(key_account_id, access.dossiers, field_path)
    if not may_edit(ctx.viewer, account):
        raise Forbidden("you may not change this key account")
    return account


# --- reading -----------------------------------------------------------------------------


async def key_accounts_by_ids(ctx: Context, ids: list[str]) -> list[KeyAccount | None]:
    return await ctx.key_account_by_id.load_many(ids)


async def key_account_by_id(ctx: Context, key_account_id: str) -> KeyAccount | None:
    return await ctx.key_account_by_id.load(key_account_id)


@dataclass(frozen=True)
class KeyAccountQuery:
    manager_id: str | None = None
    grade: Grade | None = None
    visit_overdue: bool | None = None
    contract_ends_within_days: int | None = None
    visit_due_within_days: int | None = None


#: The longest look ahead for visits due (a year: the longest cadence is half of one).
VISIT_DUE_WINDOW_DAYS_MAX = 366


async def list_key_accounts(
    ctx: Context, query: KeyAccountQuery, first: int | None, after: str | None
) -> Page[KeyAccount]:
    access = await ctx.access()
    now = ctx.clock()
    only_ids = None
    if (days := query.contract_ends_within_days) is not None:
        if not 0 <= days <= CONTRACT_WINDOW_DAYS_MAX:
            raise BadArgument(
                f"contractEndsWithinDays is from 0 to {CONTRACT_WINDOW_DAYS_MAX}",
                "filter.contractEndsWithinDays",
            )
        today = now.date()
        only_ids = await ctx.contracts.key_accounts_with_contracts_ending(today, today + timedelta(days=days))
    due_before = None
    if (days := query.visit_due_within_days) is not None:
        if not 0 <= days <= VISIT_DUE_WINDOW_DAYS_MAX:
            raise BadArgument(
                f"visitDueWithinDays is from 0 to {VISIT_DUE_WINDOW_DAYS_MAX}", "filter.visitDueWithinDays"
            )
        due_before = now + timedelta(days=days)
    where = KeyAccountFilter(
        manager_id=query.manager_id,
        visit_due_before=due_before,
        grade=query.grade,
        visit_overdue=query.visit_overdue,
        now=now,
        only_ids=only_ids,
        scope=access.dossiers,
    )
    page = await ctx.key_accounts.page(where, first, after)
    page = replace(page, items=[(cursor, shown_key_account(access, a)) for cursor, a in page.items])
    for _, account in page.items:
        ctx.key_account_by_id.prime(account.id, account)  # relation fields below need not reload it
    return page


# --- keeping the dossier -----------------------------------------------------------------


def _problem(field_path: str, message: str) -> ValidationFailed:
    return ValidationFailed([Problem(ValidationFailed.code, message, field_path)])


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
        profile = check_company_profile(request.profile, request.industry)
        access = await ctx.access()
        customer = await ctx.customers.get(request.customer_id, access.customers)
        if customer.kind is not CustomerKind.ORGANIZATION:
            raise _problem("customerId", "a key account is an organisation customer")
        await check_users(ctx, [(request.manager_id, "managerId")], MANAGER_ROLES)
        now = ctx.clock()
        if existing := await ctx.key_accounts.account_of_customer(customer.id):
            # Only someone who may read that account learns that it exists.
            if access.dossiers.admits(key_account_id=existing):
                raise Duplicate("this customer already has a key account", "customerId")
            raise Forbidden("you may not open a key account for this customer")
        return await ctx.key_accounts.create(
            customer_id=customer.id,
            grade=request.grade,
            category=request.category,
            industry=check_industry(request.industry),
            manager_id=request.manager_id,
            profile=profile,
            next_visit_due_at=next_visit_due(request.grade, ctx.visit_cadence, now, None, None),
            now=now,
        )

    return await attempt(work())


async def update_key_account(
    ctx: Context, key_account_id: str, expected_version: int, changes: dict[str, Any]
) -> Outcome[KeyAccount]:
    """changes: any of category, industry, profile (a whole CompanyProfile)."""

    async def work() -> KeyAccount:
        if "category" in changes and changes["category"] is None:
            raise _problem("category", "category cannot be cleared")
        clean = dict(changes)
        if "profile" in changes:
            clean["profile"] = check_company_profile(changes["profile"], None)
        if "industry" in changes:
            clean["industry"] = check_industry(changes["industry"])
        account = await editable_account(ctx, key_account_id, "id")
        return await ctx.key_accounts.update_profile(account, expected_version, clean, ctx.clock())

    return await attempt(work())


async def change_grade(
    ctx: Context, key_account_id: str, expected_version: int, grade: Grade, reason: str
) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        account = await editable_account(ctx, key_account_id)
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
        account = await editable_account(ctx, key_account_id)
        await check_users(ctx, [(manager_id, "managerId")], MANAGER_ROLES)
        return await ctx.key_accounts.assign_manager(account, expected_version, manager_id, ctx.clock())

    return await attempt(work())


async def set_team(
    ctx: Context, key_account_id: str, expected_version: int, member_ids: list[str]
) -> Outcome[KeyAccount]:
    async def work() -> KeyAccount:
        members = check_team(member_ids)
        account = await editable_account(ctx, key_account_id)
        await check_users(ctx, [(m, f"memberIds[{member_ids.index(m)}]") for m in members])
        return await ctx.key_accounts.assign_team(account, expected_version, members, ctx.clock())

    return await attempt(work())
