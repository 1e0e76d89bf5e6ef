"""Demo loyalty data: points ledgers (earned, redeemed, expired) and coupons (active, used,
expired) for the demo customers already in the database.

Deterministic (a seeded generator over the customers in id order, fixed ids) and
idempotent (documents already there are skipped), written in bulk. Each ledger is played
through the real rules (domain.loyalty: lots, soonest-expiring-first spending, expiry of
what is left), so every balance is what its ledger adds up to, as the service keeps it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from domain.coupons import Coupon
from domain.lifecycle import Actor, LifecycleStage
from domain.loyalty import (
    EntryKind,
    InsufficientPoints,
    LedgerEntry,
    Lot,
    LoyaltyAccount,
    LoyaltyRules,
    PointsAwardReason,
    after_shares,
    allocate,
    expiries,
    lot_times,
)
from domain.money import Money
from repositories.coupons import CouponRepository, coupon_document
from repositories.customers import CustomerRepository
from repositories.loyalty import LoyaltyRepository, balance_document, entry_document, lot_document

SYSTEM = Actor(id="system", name="system", role="SYSTEM")
STAFF = Actor(id="demo-data", name="Demo data", role="ADMIN")
GIFTS = ["tea set", "coffee voucher", "tote bag", "free delivery", "birthday cake", "cinema tickets"]
AWARDS = [
    (PointsAwardReason.ACTIVITY, "customer appreciation day"),
    (PointsAwardReason.QUESTIONNAIRE, "8-day experience questionnaire"),
    (PointsAwardReason.PROFILE_COMPLETION, "profile completed"),
    (PointsAwardReason.ADJUSTMENT, "goodwill after a late delivery"),
]


def _id(prefix: str, customer: int, n: int) -> ObjectId:
    return ObjectId(f"{prefix}{customer:010x}{n:012x}")


@dataclass
class _Ledger:
    """One customer's ledger as it is played: entries, lots and the running account."""

    customer_id: str
    number: int
    entries: list[LedgerEntry] = field(default_factory=list)
    lots: list[Lot] = field(default_factory=list)
    account: LoyaltyAccount = field(init=False)

    def __post_init__(self) -> None:
        self.account = LoyaltyAccount(self.customer_id)

    def _append(self, entry: LedgerEntry, total: str) -> None:
        account = self.account
        self.account = replace(
            account,
            balance=account.balance + entry.points,
            entries=account.entries + 1,
            **{total: getattr(account, total) + abs(entry.points)},
        )
        self.entries.append(replace(entry, seq=self.account.entries, balance_after=self.account.balance))

    def _next_id(self) -> str:
        return str(_id("10", self.number, len(self.entries) + 1))

    def expire_until(self, moment: datetime) -> None:
        for share in expiries(self.lots, moment):
            lot = next(x for x in self.lots if x.id == share.lot_id)
            self.lots = after_shares(self.lots, [share])
            entry = LedgerEntry(
                self._next_id(),
                self.customer_id,
                0,
                EntryKind.EXPIRE,
                -share.points,
                0,
                lot.expires_at,
                shares=(share,),
                actor=SYSTEM,
                recorded_at=lot.expires_at,
            )
            self._append(entry, "expired")

    def earn(
        self, points: int, reason: PointsAwardReason, at: datetime, rules: LoyaltyRules, note: str | None
    ) -> None:
        self.expire_until(at)
        entry_id = self._next_id()
        available_at, expires_at = lot_times(at, reason, rules)
        self.lots.append(
            Lot(entry_id, self.customer_id, points, points, reason, at, available_at, expires_at)
        )
        actor = SYSTEM if reason is PointsAwardReason.PURCHASE else STAFF
        entry = LedgerEntry(
            entry_id,
            self.customer_id,
            0,
            EntryKind.EARN,
            points,
            0,
            at,
            award_reason=reason,
            text=note,
            actor=actor,
            recorded_at=at,
        )
        self._append(entry, "earned")

    def redeem(self, points: int, at: datetime, gift: str) -> None:
        self.expire_until(at)
        try:
            shares = allocate(self.lots, points, at)
        except InsufficientPoints:
            return  # the desk would have refused it
        self.lots = after_shares(self.lots, shares)
        entry = LedgerEntry(
            self._next_id(),
            self.customer_id,
            0,
            EntryKind.REDEEM,
            -points,
            0,
            at,
            text=gift,
            shares=tuple(shares),
            actor=STAFF,
            recorded_at=at,
        )
        self._append(entry, "redeemed")


def demo_ledger(
    rng: random.Random, number: int, customer_id: str, since: datetime, now: datetime, rules: LoyaltyRules
) -> _Ledger:
    """A customer's points over their time with the business: purchases and awards
    earn, some points are spent, older lots expire."""
    ledger = _Ledger(customer_id, number)
    at = since
    for _ in range(rng.randint(2, 12)):
        at = at + timedelta(days=rng.randint(5, 90), hours=rng.randint(0, 23))
        if at >= now:
            break
        roll = rng.random()
        if roll < 0.6:
            ledger.earn(rng.randint(1, 12) * 10, PointsAwardReason.PURCHASE, at, rules, None)
        elif roll < 0.8:
            reason, note = rng.choice(AWARDS)
            ledger.earn(rng.choice([20, 50, 100]), reason, at, rules, note)
        else:
            ledger.redeem(rng.choice([50, 100, 150]), at, rng.choice(GIFTS))
    ledger.expire_until(now)
    return ledger


def demo_coupons(rng: random.Random, number: int, customer_id: str, now: datetime) -> list[Coupon]:
    """A few coupons: running, used, lapsed, or starting soon."""
    coupons = []
    for n in range(rng.choice([0, 0, 1, 1, 2])):
        issued = now - timedelta(days=rng.randint(1, 120))
        starts = issued + timedelta(days=rng.choice([0, 0, 0, 200]))
        coupon = Coupon(
            id=str(_id("c1", number, n)),
            customer_id=customer_id,
            value=Money(Decimal(rng.choice([5, 10, 20, 50])), "CNY"),
            valid_from=starts,
            valid_to=starts + timedelta(days=rng.choice([30, 60, 90])),
            issued_at=issued,
            issued_by=STAFF,
        )
        if coupon.valid_from <= now and rng.random() < 0.4:
            used = coupon.valid_from + (min(coupon.valid_to, now) - coupon.valid_from) * rng.random()
            coupon = replace(coupon, redeemed_at=used, redeemed_by=STAFF)
        coupons.append(coupon)
    return coupons


#: Ledgers for at most the first this many customers: a larger demo base (`seed --customers
#: 10000`) keeps the default demo's ledgers and a thousand more, not ten thousand (the
#: embedded server takes some 10 ms to store a customer's ledger, lots and coupons).
DEMO_LOYALTY_CUSTOMERS = 1000


async def seed_demo_loyalty(
    db: AsyncDatabase,
    now: datetime,
    rules: LoyaltyRules | None = None,
    customers: int = DEMO_LOYALTY_CUSTOMERS,
) -> int:
    """Ledgers and coupons for the first `customers` customers in the database who are past
    PROSPECT (a few prospects earn for completing their profile); returns how many entries
    were added (0 when seeded before)."""
    rules = rules or LoyaltyRules()
    rng = random.Random(20261201)
    entries: list[dict[str, Any]] = []
    lots: list[dict[str, Any]] = []
    balances: list[dict[str, Any]] = []
    coupons: list[dict[str, Any]] = []
    number = -1
    async for customer in CustomerRepository(db).each(limit=customers):
        number += 1
        if customer.lifecycle_stage is LifecycleStage.PROSPECT:
            if rng.random() < 0.3:
                ledger = _Ledger(customer.id, number)
                ledger.earn(
                    50, PointsAwardReason.PROFILE_COMPLETION, customer.created_at, rules, "profile completed"
                )
                ledger.expire_until(now)
            else:
                continue
        else:
            ledger = demo_ledger(rng, number, customer.id, customer.created_at, now, rules)
        if not ledger.entries:
            continue
        entries.extend(entry_document(e) for e in ledger.entries)
        lots.extend(lot_document(lot) for lot in ledger.lots)
        balances.append(balance_document(ledger.account, ledger.entries[-1].recorded_at or now))
        coupons.extend(coupon_document(c, None, None) for c in demo_coupons(rng, number, customer.id, now))
    added = await LoyaltyRepository(db).insert_many(entries, lots, balances)
    await CouponRepository(db).insert_many(coupons)
    return added
