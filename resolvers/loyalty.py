"""Loyalty points: earned from purchases (in the purchase's transaction, through
resolvers.effects), awarded, redeemed and referred; each credit or debit is one
transaction of ledger entry, lots and balance, and each write that a client sends takes
an idempotency key. Reads go through the access policy: points are activity about a
customer, read by whoever reads the customer's purchases (`Access.activity`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from domain.access import Access
from domain.customers import Customer
from domain.errors import Duplicate, IdempotencyKeyReused
from domain.lifecycle import Actor
from domain.loyalty import (
    AwardRequest,
    CheckedRequest,
    EntryKind,
    InsufficientPoints,
    LedgerEntry,
    Lot,
    LoyaltyAccount,
    LoyaltyRules,
    PointsAwardReason,
    RedemptionRequest,
    Referral,
    ReferralStatus,
    allocate,
    check_award,
    check_redemption,
    check_referral,
    lot_times,
)
from domain.records import Purchase
from repositories.coupons import CouponRepository
from repositories.loyalty import LoyaltyRepository
from repositories.pagination import Page
from repositories.transactions import in_transaction
from resolvers.access import shown_entry
from resolvers.loaders import BatchLoader, ChildPagesLoader
from resolvers.outcome import Outcome, attempt

if TYPE_CHECKING:
    from domain.coupons import Coupon
    from resolvers.context import Context

#: Who credits what a fact earns (a purchase, a verified referral) and who expires points
#: (the same name resolvers.journeys gives the system's stage moves).
SYSTEM = Actor(id="system", name="system", role="SYSTEM")


def staff(ctx: Context) -> Actor:
    viewer = ctx.viewer
    return Actor(id=viewer.id, name=viewer.name, role=viewer.role.value)


@dataclass(frozen=True)
class PointsMoved:
    """The entry an award or redemption wrote (the first one, on a retry) and whose
    account it moved."""

    entry: LedgerEntry
    customer_id: str


# --- earning from facts (inside the purchase's transaction) ----------------------------------


async def credit(
    repo: LoyaltyRepository,
    customer_id: str,
    points: int,
    reason: PointsAwardReason,
    at: datetime,
    rules: LoyaltyRules,
    session: AsyncClientSession,
    *,
    actor: Actor = SYSTEM,
    text: str | None = None,
    purchase_id: str | None = None,
    referred_customer_id: str | None = None,
    idempotency_key: str | None = None,
    fingerprint: str | None = None,
    origin: str | None = None,
    recorded_at: datetime | None = None,
) -> LedgerEntry:
    """One lot of `points` and its EARN entry, in `session`'s transaction."""
    entry_id = str(ObjectId())
    available_at, expires_at = lot_times(at, reason, rules)
    lot = Lot(entry_id, customer_id, points, points, reason, at, available_at, expires_at)
    entry = LedgerEntry(
        id=entry_id,
        customer_id=customer_id,
        seq=0,  # numbered by the balance document
        kind=EntryKind.EARN,
        points=points,
        balance_after=0,
        at=at,
        award_reason=reason,
        text=text,
        purchase_id=purchase_id,
        referred_customer_id=referred_customer_id,
        actor=actor,
        recorded_at=recorded_at or at,
    )
    return await repo.credit(
        entry, lot, session, idempotency_key=idempotency_key, fingerprint=fingerprint, origin=origin
    )


async def earn_for_purchase(
    db: AsyncDatabase[dict[str, Any]],
    rules: LoyaltyRules,
    purchase: Purchase,
    customer: Customer,
    session: AsyncClientSession,
) -> None:
    """What a recorded purchase earns, in its transaction: its points (Σ points per unit x
    quantity) as one lot, once per purchase (origin `purchase:<id>`); and when it is the
    customer's first purchase, it verifies their pending referral and the referrer earns
    the referral points (once per referred customer). Credited as of the purchase's time."""
    repo = LoyaltyRepository(db)
    at = purchase.purchased_at
    if purchase.points > 0:
        await credit(
            repo,
            customer.id,
            purchase.points,
            PointsAwardReason.PURCHASE,
            at,
            rules,
            session,
            purchase_id=purchase.id,
            origin=f"purchase:{purchase.id}",
        )
    if customer.figures.orders == 1:
        referral = await repo.verify_referral(customer.id, purchase.id, at, session)
        if referral is not None and rules.referral_points > 0:
            await credit(
                repo,
                referral.referrer_id,
                rules.referral_points,
                PointsAwardReason.REFERRAL,
                at,
                rules,
                session,
                referred_customer_id=customer.id,
                origin=f"referral:{customer.id}",
            )


# --- awards and redemptions -------------------------------------------------------------------


async def _replayed(repo: LoyaltyRepository, checked: CheckedRequest) -> LedgerEntry | None:
    """The entry the key wrote before, or None; the same key with another request is
    refused (replaying the first answer would hide that this one was never carried out)."""
    found = await repo.by_idempotency_key(checked.idempotency_key)
    if found is None:
        return None
    entry, fingerprint = found
    if fingerprint != checked.fingerprint:
        raise IdempotencyKeyReused(
            "this idempotencyKey was used for a different request; use a new key", "idempotencyKey"
        )
    return entry


async def _once(
    ctx: Context, checked: CheckedRequest, write: Callable[[AsyncClientSession], Awaitable[LedgerEntry]]
) -> PointsMoved:
    """Write once per idempotency key: a retry (even one racing the first request, which
    collides on the key's unique index, or finds the points already spent by it) answers
    the entry the first one wrote."""
    access = await ctx.access()
    await ctx.customers.get(checked.customer_id, access.customers)
    repo = ctx.loyalty.repo
    if (first := await _replayed(repo, checked)) is None:
        try:
            first = await in_transaction(ctx.db, write)
        except (DuplicateKeyError, InsufficientPoints):
            if (first := await _replayed(repo, checked)) is None:
                raise
    return PointsMoved(shown_entry(access, first), checked.customer_id)


async def award_points(ctx: Context, request: AwardRequest) -> Outcome[PointsMoved]:
    async def work() -> PointsMoved:
        checked = check_award(request)
        reason, now = checked.award_reason, ctx.clock()
        assert reason is not None

        async def write(session: AsyncClientSession) -> LedgerEntry:
            return await credit(
                ctx.loyalty.repo,
                checked.customer_id,
                checked.points,
                reason,
                now,
                ctx.value_rules.loyalty,
                session,
                actor=staff(ctx),
                text=checked.text,
                idempotency_key=checked.idempotency_key,
                fingerprint=checked.fingerprint,
            )

        return await _once(ctx, checked, write)

    return await attempt(work())


async def redeem_points(ctx: Context, request: RedemptionRequest) -> Outcome[PointsMoved]:
    """Spend points from the soonest-expiring lots; more than is available is
    INSUFFICIENT_POINTS and writes nothing. Racing redemptions conflict on the lots and
    the balance document and are retried on fresh data, so they never overspend."""

    async def work() -> PointsMoved:
        checked = check_redemption(request)
        now = ctx.clock()

        async def write(session: AsyncClientSession) -> LedgerEntry:
            repo = ctx.loyalty.repo
            lots = await repo.open_lots(checked.customer_id, session)
            shares = allocate(lots, checked.points, now)
            entry = LedgerEntry(
                id=str(ObjectId()),
                customer_id=checked.customer_id,
                seq=0,
                kind=EntryKind.REDEEM,
                points=-checked.points,
                balance_after=0,
                at=now,
                text=checked.text,
                shares=tuple(shares),
                actor=staff(ctx),
                recorded_at=now,
            )
            return await repo.debit(
                entry,
                lots,
                session,
                idempotency_key=checked.idempotency_key,
                fingerprint=checked.fingerprint,
            )

        return await _once(ctx, checked, write)

    return await attempt(work())


# --- referrals --------------------------------------------------------------------------------


class _Raced(Exception):
    """The customer changed between the check and the write (bought, or was referred)."""


async def record_referral(ctx: Context, customer_id: str, referrer_id: str) -> Outcome[Referral]:
    """An old customer brought a new one: recorded now, verified (and the referrer's points
    earned) when the new customer's first purchase is recorded. A customer is referred
    once; recording the same referral again answers it."""

    async def decide() -> Referral:
        access = await ctx.access()
        customer = await ctx.customers.get(customer_id, access.customers)
        referrer = await ctx.customers.get(referrer_id, access.customers, "referrerId")
        known = (await ctx.loyalty.repo.referrals([customer_id])).get(customer_id)
        if known is not None:
            if known.referrer_id != referrer_id:
                raise Duplicate("the customer was referred by another customer", "customerId")
            return known
        check_referral(customer.id, referrer.id, customer.figures.orders, referrer.figures.orders)
        referral = Referral(customer_id, referrer_id, ReferralStatus.PENDING, ctx.clock(), staff(ctx))

        async def write(session: AsyncClientSession) -> Referral:
            if not await ctx.customers.mark_referred(customer_id, referrer_id, session):
                raise _Raced()
            await ctx.loyalty.repo.record_referral(referral, session)
            return referral

        return await in_transaction(ctx.db, write)

    async def work() -> Referral:
        try:
            return await decide()
        except (_Raced, DuplicateKeyError):
            return await decide()  # decided again on what the other write left

    return await attempt(work())


# --- reads ------------------------------------------------------------------------------------


def _empty(after: str | None) -> Page[Any]:
    async def zero() -> int:
        return 0

    return Page(items=[], has_next_page=False, has_previous_page=after is not None, count_total=zero)


class LoyaltyReads:
    """A request's loyalty reads: the loaders of accounts, ledgers, lots, coupons and
    referrals, each one round trip per relation level, within `Access.activity` (loyalty
    is activity about a customer, on the same need-to-know as purchases). Created once
    per request (`Context.loyalty`)."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    @cached_property
    def repo(self) -> LoyaltyRepository:
        return LoyaltyRepository(self._ctx.db)

    @cached_property
    def coupons(self) -> CouponRepository:
        return CouponRepository(self._ctx.db)

    async def _readable(self, ids: Sequence[str]) -> tuple[Access, list[str]]:
        access = await self._ctx.access()
        return access, [i for i in ids if access.activity.admits(customer_id=i)]

    async def _accounts(self, ids: Sequence[str]) -> list[LoyaltyAccount | None]:
        _, readable = await self._readable(ids)
        found = await self.repo.accounts(readable) if readable else {}
        return [found.get(i, LoyaltyAccount(i)) if i in readable else None for i in ids]

    async def _available(self, ids: Sequence[str]) -> list[int]:
        _, readable = await self._readable(ids)
        found = await self.repo.available(readable, self._ctx.clock()) if readable else {}
        return [found.get(i, 0) for i in ids]

    async def _entry_pages(self, ids: Sequence[str], first: int | None, after: str | None) -> Any:
        access, readable = await self._readable(ids)
        pages = await self.repo.entry_pages(readable, first, after) if readable else {}
        return {
            k: replace(pages[k], items=[(c, shown_entry(access, e)) for c, e in pages[k].items])
            if k in pages
            else _empty(after)
            for k in ids
        }

    async def _counted(
        self, count: Callable[[list[str]], Awaitable[dict[str, int]]], ids: Sequence[str]
    ) -> Any:
        _, readable = await self._readable(ids)
        counts = await count(readable) if readable else {}
        return {k: counts.get(k, 0) for k in ids}

    async def _pages(
        self,
        fetch: Callable[[list[str], int | None, str | None], Awaitable[dict[str, Page[Any]]]],
        ids: Sequence[str],
        first: int | None,
        after: str | None,
    ) -> Any:
        _, readable = await self._readable(ids)
        pages = await fetch(readable, first, after) if readable else {}
        return {k: pages.get(k) or _empty(after) for k in ids}

    async def _entries(self, ids: Sequence[str]) -> list[LedgerEntry | None]:
        access = await self._ctx.access()
        found = await self.repo.entries_by_ids(ids, access.activity)
        return [shown_entry(access, e) if e else None for e in found]

    async def _lots(self, ids: Sequence[str]) -> list[Lot | None]:
        return await self.repo.lots_by_ids(ids, (await self._ctx.access()).activity)

    async def _coupons(self, ids: Sequence[str]) -> list[Coupon | None]:
        return await self.coupons.by_ids(ids, (await self._ctx.access()).activity)

    async def _referrals(self, ids: Sequence[str]) -> list[Referral | None]:
        _, readable = await self._readable(ids)
        found = await self.repo.referrals(readable) if readable else {}
        return [found.get(i) for i in ids]

    async def _purchases(self, ids: Sequence[str]) -> list[Purchase | None]:
        return await self._ctx.records.purchases_by_ids(ids, (await self._ctx.access()).activity)

    @cached_property
    def account_by_customer_id(self) -> BatchLoader[str, LoyaltyAccount | None]:
        """None where the viewer may not read the customer's loyalty."""
        return BatchLoader(self._accounts)

    @cached_property
    def available_by_customer_id(self) -> BatchLoader[str, int]:
        return BatchLoader(self._available)

    @cached_property
    def entries_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            self._entry_pages,
            lambda ids: self._counted(self.repo.entry_counts, ids),
            prime=lambda e: self.entry_by_id.prime(e.id, e),
        )

    @cached_property
    def lots_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            lambda ids, first, after: self._pages(self.repo.lot_pages, ids, first, after),
            lambda ids: self._counted(self.repo.lot_counts, ids),
            prime=lambda lot: self.lot_by_id.prime(lot.id, lot),
        )

    @cached_property
    def coupons_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            lambda ids, first, after: self._pages(self.coupons.pages_by_customer, ids, first, after),
            lambda ids: self._counted(self.coupons.counts_by_customer, ids),
            prime=lambda c: self.coupon_by_id.prime(c.id, c),
        )

    @cached_property
    def entry_by_id(self) -> BatchLoader[str, LedgerEntry | None]:
        return BatchLoader(self._entries)

    @cached_property
    def lot_by_id(self) -> BatchLoader[str, Lot | None]:
        return BatchLoader(self._lots)

    @cached_property
    def coupon_by_id(self) -> BatchLoader[str, Coupon | None]:
        return BatchLoader(self._coupons)

    @cached_property
    def referral_by_customer_id(self) -> BatchLoader[str, Referral | None]:
        return BatchLoader(self._referrals)

    @cached_property
    def purchase_by_id(self) -> BatchLoader[str, Purchase | None]:
        return BatchLoader(self._purchases)

    async def account(self, customer_id: str) -> LoyaltyAccount | None:
        """The account as it is now (a mutation's payload reads it after its write)."""
        self.account_by_customer_id.clear(customer_id)
        self.available_by_customer_id.clear(customer_id)
        return await self.account_by_customer_id.load(customer_id)
