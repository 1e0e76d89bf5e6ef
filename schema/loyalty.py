"""GraphQL shape of loyalty: a customer's points account (balance, ledger, lots), the ledger
entries and lots, referrals, coupons, and the mutations that move them. Calls resolvers;
never queries."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from domain import coupons as coupon_domain
from domain import loyalty as domain
from domain.coupons import CouponTarget, IssueRequest
from domain.lifecycle import Actor as DomainActor
from domain.loyalty import AwardRequest, RedemptionRequest
from resolvers import coupons as coupon_use_cases
from resolvers import loyalty as use_cases
from resolvers.coupons import Issued
from resolvers.loaders import PageRequest
from resolvers.loyalty import PointsMoved
from resolvers.outcome import Outcome
from schema.customers import Actor
from schema.errors import UserError, respond, user_errors
from schema.money import Money, MoneyInput
from schema.node import InputIds, Node, global_id, node_type
from schema.pagination import Connection, opened
from schema.permissions import CanWriteCustomers

if TYPE_CHECKING:
    from schema.customers import Customer
    from schema.journeys import Segment, ValueTier
    from schema.records import Purchase

PointsAwardReason = domain.PointsAwardReason
strawberry.enum(
    PointsAwardReason,
    name="PointsAwardReason",
    description="Why points were earned. PURCHASE (per purchased unit) and REFERRAL (the referred "
    "customer's first purchase) are earned from facts; the others are awarded by staff (awardPoints).",
)
LoyaltyEntryKind = domain.EntryKind
strawberry.enum(LoyaltyEntryKind, name="LoyaltyEntryKind", description="EARN (+), REDEEM (-), EXPIRE (-).")
ReferralStatus = domain.ReferralStatus
strawberry.enum(ReferralStatus, name="ReferralStatus")
CouponStatus = coupon_domain.CouponStatus
strawberry.enum(CouponStatus, name="CouponStatus", description="As of now (the service's clock).")

READERS = "ADMIN, CX_AGENT; ACCOUNT_MANAGER for their book's customers"
TEXT = (
    "Free text about the customer: personal data (null for those who read the customer masked; "
    "erased on request)."
)


def _actor(actor: DomainActor | None) -> Actor | None:
    if actor is None:
        return None
    return Actor(id=strawberry.ID(actor.id), name=actor.name, role=actor.role)


@node_type
@strawberry.type(
    description="Points credited at once, held until spent or expired; spent soonest-expiry first."
)
class PointsLot(Node):
    points: int = strawberry.field(description="As credited.")
    remaining: int = strawberry.field(description="What is left: not spent, not expired.")
    reason: PointsAwardReason
    earned_at: datetime
    available_at: datetime = strawberry.field(description="From when the points can be spent.")
    expires_at: datetime = strawberry.field(description="What is left then expires (the points-expiry job).")

    @classmethod
    def from_domain(cls, lot: domain.Lot) -> PointsLot:
        return cls(
            id=global_id("PointsLot", lot.id),
            points=lot.points,
            remaining=lot.remaining,
            reason=lot.reason,
            earned_at=lot.earned_at,
            available_at=lot.available_at,
            expires_at=lot.expires_at,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[PointsLot | None]:
        found = await info.context.loyalty.lot_by_id.load_many(ids)
        return [cls.from_domain(lot) if lot else None for lot in found]


@strawberry.type(description="Points a redemption or an expiry took from one lot.")
class LotShare:
    points: int
    _lot_id: strawberry.Private[str]

    @strawberry.field
    async def lot(self, info: strawberry.Info) -> PointsLot | None:
        found = await info.context.loyalty.lot_by_id.load(self._lot_id)
        return PointsLot.from_domain(found) if found else None


@node_type
@strawberry.type(description="One line of the append-only points ledger.")
class LoyaltyEntry(Node):
    seq: int = strawberry.field(description="The customer's entries in the order they were written: 1, 2, …")
    kind: LoyaltyEntryKind
    points: int = strawberry.field(description="Signed: positive for EARN, negative for REDEEM and EXPIRE.")
    balance_after: int
    at: datetime = strawberry.field(
        description="When it took effect: a purchase's time for its points, a lot's expiry for EXPIRE."
    )
    award_reason: PointsAwardReason | None = strawberry.field(description="EARN only.")
    note: str | None = strawberry.field(description="An award's note. " + TEXT)
    actor: Actor | None = strawberry.field(
        description="Who wrote it; `system` for purchases, referrals, expiry."
    )
    from_lots: list[LotShare] = strawberry.field(description="REDEEM and EXPIRE: the lots taken from.")
    _domain: strawberry.Private[domain.LedgerEntry]

    @strawberry.field(
        description="EARN: the award reason (PURCHASE, ACTIVITY, …); REDEEM: the reason given (free text, "
        "personal data: null where masked or erased); EXPIRE: EXPIRED."
    )
    def reason(self) -> str | None:
        entry = self._domain
        if entry.kind is domain.EntryKind.EARN:
            return entry.award_reason.value if entry.award_reason else None
        if entry.kind is domain.EntryKind.EXPIRE:
            return "EXPIRED"
        return entry.text

    @strawberry.field(description="EARN: the lot the points are held in.")
    async def lot(self, info: strawberry.Info) -> PointsLot | None:
        if (lot_id := self._domain.lot_id) is None:
            return None
        found = await info.context.loyalty.lot_by_id.load(lot_id)
        return PointsLot.from_domain(found) if found else None

    @strawberry.field(description="Purchase points: the purchase that earned them.")
    async def purchase(
        self, info: strawberry.Info
    ) -> Annotated[Purchase, strawberry.lazy("schema.records")] | None:
        from schema.records import Purchase

        if (purchase_id := self._domain.purchase_id) is None:
            return None
        found = await info.context.loyalty.purchase_by_id.load(purchase_id)
        return Purchase.from_domain(found) if found else None

    @strawberry.field(description="Referral points: the customer whose first purchase verified the referral.")
    async def referred_customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        from schema.customers import Customer

        if (customer_id := self._domain.referred_customer_id) is None:
            return None
        found = await info.context.customer_by_id.load(customer_id)
        return Customer.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, entry: domain.LedgerEntry) -> LoyaltyEntry:
        return cls(
            id=global_id("LoyaltyEntry", entry.id),
            seq=entry.seq,
            kind=entry.kind,
            points=entry.points,
            balance_after=entry.balance_after,
            at=entry.at,
            award_reason=entry.award_reason,
            note=entry.text if entry.kind is domain.EntryKind.EARN else None,
            actor=_actor(entry.actor),
            from_lots=[LotShare(points=s.points, _lot_id=s.lot_id) for s in entry.shares],
            _domain=entry,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[LoyaltyEntry | None]:
        found = await info.context.loyalty.entry_by_id.load_many(ids)
        return [cls.from_domain(e) if e else None for e in found]


@node_type
@strawberry.type(
    description="An old customer brought a new one: verified by the new customer's first purchase, "
    "which earns the referrer the referral points (RAPPORT_POINTS_REFERRAL)."
)
class Referral(Node):
    status: ReferralStatus
    recorded_at: datetime
    verified_at: datetime | None
    _domain: strawberry.Private[domain.Referral]

    @strawberry.field(description="The customer brought in.")
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        return await _customer(info, self._domain.customer_id)

    @strawberry.field(description="The customer who brought them.")
    async def referrer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        return await _customer(info, self._domain.referrer_id)

    @classmethod
    def from_domain(cls, referral: domain.Referral) -> Referral:
        return cls(
            id=global_id("Referral", referral.customer_id),
            status=referral.status,
            recorded_at=referral.recorded_at,
            verified_at=referral.verified_at,
            _domain=referral,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Referral | None]:
        found = await info.context.loyalty.referral_by_customer_id.load_many(ids)
        return [cls.from_domain(r) if r else None for r in found]


async def _customer(info: strawberry.Info, customer_id: str) -> Customer | None:
    from schema.customers import Customer

    found = await info.context.customer_by_id.load(customer_id)
    return Customer.from_domain(found) if found else None


@strawberry.type(
    description="A customer's points. `balance` is what the ledger adds up to (expiry is written by the "
    "points-expiry job); `available` is what can be redeemed now."
)
class LoyaltyAccount:
    balance: int
    earned: int
    redeemed: int
    expired: int
    _customer_id: strawberry.Private[str]

    @strawberry.field(description="Points that can be redeemed now: lots available and not expired.")
    async def available(self, info: strawberry.Info) -> int:
        points: int = await info.context.loyalty.available_by_customer_id.load(self._customer_id)
        return points

    @strawberry.field(description="The ledger, newest first (append-only).")
    async def ledger(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[LoyaltyEntry]:
        loader = info.context.loyalty.entries_by_customer_id
        page = await loader.load(PageRequest(self._customer_id, first, opened(info, after)))
        return Connection.of(page, LoyaltyEntry.from_domain, info.context.cursors)

    @strawberry.field(
        description="Lots with points left, soonest expiry first: what a redemption spends first."
    )
    async def lots(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[PointsLot]:
        loader = info.context.loyalty.lots_by_customer_id
        page = await loader.load(PageRequest(self._customer_id, first, opened(info, after)))
        return Connection.of(page, PointsLot.from_domain, info.context.cursors)

    @strawberry.field(description="Who referred this customer, if anyone did.")
    async def referral(self, info: strawberry.Info) -> Referral | None:
        found = await info.context.loyalty.referral_by_customer_id.load(self._customer_id)
        return Referral.from_domain(found) if found else None

    @classmethod
    def of(cls, account: domain.LoyaltyAccount | None) -> LoyaltyAccount | None:
        if account is None:
            return None
        return cls(
            balance=account.balance,
            earned=account.earned,
            redeemed=account.redeemed,
            expired=account.expired,
            _customer_id=account.customer_id,
        )


async def loyalty_of(info: strawberry.Info, customer_id: str) -> LoyaltyAccount | None:
    """Customer.loyalty: null where the viewer may not read it."""
    return LoyaltyAccount.of(await info.context.loyalty.account_by_customer_id.load(customer_id))


@node_type
@strawberry.type(description="A single-use coupon with a value and a validity window [validFrom, validTo).")
class Coupon(Node):
    value: Money
    valid_from: datetime
    valid_to: datetime = strawberry.field(description="Exclusive: from then on the coupon is expired.")
    issued_at: datetime
    issued_by: Actor
    redeemed_at: datetime | None
    redeemed_by: Actor | None
    _domain: strawberry.Private[coupon_domain.Coupon]

    @strawberry.field
    def status(self, info: strawberry.Info) -> CouponStatus:
        return self._domain.status(info.context.clock())

    @strawberry.field
    async def customer(
        self, info: strawberry.Info
    ) -> Annotated[Customer, strawberry.lazy("schema.customers")] | None:
        return await _customer(info, self._domain.customer_id)

    @classmethod
    def from_domain(cls, coupon: coupon_domain.Coupon) -> Coupon:
        issued_by = _actor(coupon.issued_by)
        assert issued_by is not None
        return cls(
            id=global_id("Coupon", coupon.id),
            value=Money(amount=coupon.value.amount, currency=coupon.value.currency),
            valid_from=coupon.valid_from,
            valid_to=coupon.valid_to,
            issued_at=coupon.issued_at,
            issued_by=issued_by,
            redeemed_at=coupon.redeemed_at,
            redeemed_by=_actor(coupon.redeemed_by),
            _domain=coupon,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Coupon | None]:
        found = await info.context.loyalty.coupon_by_id.load_many(ids)
        return [cls.from_domain(c) if c else None for c in found]


async def coupons_of(
    info: strawberry.Info, customer_id: str, first: int | None, after: str | None
) -> Connection[Coupon]:
    """Customer.coupons: empty where the viewer may not read the customer's loyalty."""
    loader = info.context.loyalty.coupons_by_customer_id
    page = await loader.load(PageRequest(customer_id, first, opened(info, after)))
    return Connection.of(page, Coupon.from_domain, info.context.cursors)


# --- mutations -----------------------------------------------------------------------------------

KEY = "Send the same key when retrying: the retry answers the first result and nothing is written twice."


@strawberry.input
class AwardPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description=f"1 to {domain.POINTS_MAX:,}.")
    reason: PointsAwardReason = strawberry.field(
        description="ACTIVITY, QUESTIONNAIRE, PROFILE_COMPLETION or ADJUSTMENT (PURCHASE and REFERRAL are earned)."
    )
    idempotency_key: str = strawberry.field(description=KEY)
    note: str | None = strawberry.field(default=None, description="What for (up to 200 characters).")


@strawberry.input
class RedeemPointsInput:
    customer_id: strawberry.ID
    points: int = strawberry.field(description=f"1 to {domain.POINTS_MAX:,}.")
    reason: str = strawberry.field(description="What the points were spent on (up to 200 characters).")
    idempotency_key: str = strawberry.field(description=KEY)


@strawberry.type
class PointsPayload:
    entry: LoyaltyEntry | None = strawberry.field(
        description="The entry written (on a retry, the first one)."
    )
    loyalty: LoyaltyAccount | None = strawberry.field(description="The customer's account now.")
    errors: list[UserError]


@strawberry.input
class RecordReferralInput:
    customer_id: strawberry.ID = strawberry.field(description="The new customer (no purchase yet).")
    referrer_id: strawberry.ID = strawberry.field(
        description="The customer who brought them (with a purchase)."
    )


@strawberry.type
class ReferralPayload:
    referral: Referral | None
    errors: list[UserError]


@strawberry.input(description="To one customer (customerId) or to every customer of a segment or value tier.")
class IssueCouponInput:
    value: MoneyInput = strawberry.field(description="In the deployment's currency.")
    valid_from: datetime
    valid_to: datetime = strawberry.field(description="Exclusive; at most five years after validFrom.")
    customer_id: strawberry.ID | None = None
    segment: Annotated[Segment, strawberry.lazy("schema.journeys")] | None = strawberry.field(
        default=None, description="Every customer in this RFM segment today."
    )
    value_tier: Annotated[ValueTier, strawberry.lazy("schema.journeys")] | None = strawberry.field(
        default=None, description="Every customer of this value tier."
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description=KEY + " Required for a segment or tier (one coupon per customer per key)."
    )


@strawberry.type
class IssueCouponPayload:
    coupon: Coupon | None = strawberry.field(description="The coupon, when issued to one customer.")
    issued_count: int = strawberry.field(description="Coupons this issue made (one per customer).")
    errors: list[UserError]


@strawberry.input
class RedeemCouponInput:
    coupon_id: strawberry.ID
    idempotency_key: str = strawberry.field(description=KEY)


@strawberry.type
class CouponPayload:
    coupon: Coupon | None
    errors: list[UserError]


async def _points_payload(info: strawberry.Info, outcome: Outcome[PointsMoved]) -> PointsPayload:
    moved = outcome.value
    if moved is None:
        return PointsPayload(entry=None, loyalty=None, errors=user_errors(outcome.problems))
    account = await info.context.loyalty.account(moved.customer_id)
    return PointsPayload(
        entry=LoyaltyEntry.from_domain(moved.entry),
        loyalty=LoyaltyAccount.of(account),
        errors=user_errors(outcome.problems),
    )


def _points_outcome(outcome: Outcome[PointsMoved]) -> Outcome[PointsMoved]:
    return outcome


@strawberry.type
class LoyaltyMutations:
    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Award points (a lot that expires after RAPPORT_POINTS_LIFETIME_DAYS), once per idempotencyKey.",
    )
    async def award_points(self, info: strawberry.Info, input: AwardPointsInput) -> PointsPayload:
        async def use_case() -> Outcome[PointsMoved]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            request = AwardRequest(customer_id, input.points, input.reason, input.idempotency_key, input.note)
            return await use_cases.award_points(info.context, request)

        outcome = await respond(_points_outcome, use_case)
        return await _points_payload(info, outcome)

    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Redeem points from the soonest-expiring lots, once per idempotencyKey; more than is "
        "available is INSUFFICIENT_POINTS and writes nothing.",
    )
    async def redeem_points(self, info: strawberry.Info, input: RedeemPointsInput) -> PointsPayload:
        async def use_case() -> Outcome[PointsMoved]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            request = RedemptionRequest(customer_id, input.points, input.reason, input.idempotency_key)
            return await use_cases.redeem_points(info.context, request)

        outcome = await respond(_points_outcome, use_case)
        return await _points_payload(info, outcome)

    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Record that an existing customer brought a new one; the referrer earns the referral "
        "points when the new customer's first purchase is recorded.",
    )
    async def record_referral(self, info: strawberry.Info, input: RecordReferralInput) -> ReferralPayload:
        async def use_case() -> Outcome[domain.Referral]:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            referrer_id = ids.one(input.referrer_id, "Customer", "referrerId")
            ids.check()
            return await use_cases.record_referral(info.context, customer_id, referrer_id)

        def of(outcome: Outcome[domain.Referral]) -> ReferralPayload:
            value = outcome.value
            return ReferralPayload(
                referral=Referral.from_domain(value) if value else None, errors=user_errors(outcome.problems)
            )

        return await respond(of, use_case)

    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Issue a coupon to a customer, or one to every customer of a segment or value tier "
        "(in one transaction, once per idempotencyKey).",
    )
    async def issue_coupon(self, info: strawberry.Info, input: IssueCouponInput) -> IssueCouponPayload:
        async def use_case() -> Outcome[Issued]:
            ids = InputIds()
            customer_id = ids.optional(input.customer_id, "Customer", "customerId")
            ids.check()
            request = IssueRequest(
                target=CouponTarget(customer_id, input.segment, input.value_tier),
                value=input.value.to_domain(),
                valid_from=input.valid_from,
                valid_to=input.valid_to,
                idempotency_key=input.idempotency_key,
            )
            return await coupon_use_cases.issue_coupon(info.context, request)

        def of(outcome: Outcome[Issued]) -> IssueCouponPayload:
            value = outcome.value
            return IssueCouponPayload(
                coupon=Coupon.from_domain(value.coupon) if value and value.coupon else None,
                issued_count=value.count if value else 0,
                errors=user_errors(outcome.problems),
            )

        return await respond(of, use_case)

    @strawberry.mutation(
        permission_classes=[CanWriteCustomers],
        description="Use a coupon once, inside its window: COUPON_USED, COUPON_NOT_YET_VALID or COUPON_EXPIRED "
        "otherwise; a retry with the same idempotencyKey answers the redemption.",
    )
    async def redeem_coupon(self, info: strawberry.Info, input: RedeemCouponInput) -> CouponPayload:
        async def use_case() -> Outcome[coupon_domain.Coupon]:
            ids = InputIds()
            coupon_id = ids.one(input.coupon_id, "Coupon", "couponId")
            ids.check()
            return await coupon_use_cases.redeem_coupon(info.context, coupon_id, input.idempotency_key)

        def of(outcome: Outcome[coupon_domain.Coupon]) -> CouponPayload:
            value = outcome.value
            return CouponPayload(
                coupon=Coupon.from_domain(value) if value else None, errors=user_errors(outcome.problems)
            )

        return await respond(of, use_case)
