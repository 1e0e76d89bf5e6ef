"""Coupon use cases: issue one to a customer, or one to every customer of a segment or value
tier in one transaction (once per idempotency key), and redeem one once."""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from domain.coupons import Coupon, CouponUsed, IssueRequest, check_issue, refusal
from domain.errors import IdempotencyKeyReused, NotFound, ValidationFailed
from domain.rfm import segment_areas
from domain.validation import IDEMPOTENCY_KEY_MAX, Problems
from repositories.coupons import coupon_document
from repositories.customers import CustomerFilter
from repositories.documents import DUPLICATE_KEY
from repositories.transactions import in_transaction
from resolvers.context import Context
from resolvers.loyalty import staff
from resolvers.outcome import Outcome, attempt


def _reused() -> IdempotencyKeyReused:
    return IdempotencyKeyReused(
        "this idempotencyKey was used for a different request; use a new key", "idempotencyKey"
    )


@dataclass(frozen=True)
class Issued:
    """What an issue made: the coupon when it went to one customer, and how many in all."""

    coupon: Coupon | None
    count: int


async def _replayed_issue(ctx: Context, key: str | None, fingerprint: str, single: bool) -> Issued | None:
    if key is None:
        return None
    found = await ctx.loyalty.coupons.issued_with_key(key)
    if found is None:
        return None
    first, stored, count = found
    if stored != fingerprint:
        raise _reused()
    return Issued(first if single else None, count)


async def issue_coupon(ctx: Context, request: IssueRequest) -> Outcome[Issued]:
    async def work() -> Issued:
        now, rules = ctx.clock(), ctx.value_rules
        checked = check_issue(request, now, rules.currency)
        target, key = checked.target, checked.idempotency_key
        access = await ctx.access()
        if target.customer_id is not None:
            await ctx.customers.get(target.customer_id, access.customers)
        if (first := await _replayed_issue(ctx, key, checked.fingerprint, not target.bulk)) is not None:
            return first
        if target.customer_id is not None:
            customers = [target.customer_id]
        else:
            limit = rules.loyalty.coupon_issue_max
            where = CustomerFilter(
                value_tier=target.value_tier,
                segment_areas=segment_areas(target.segment, now.date(), rules.rfm)
                if target.segment
                else None,
                scope=access.customers,
            )
            customers = await ctx.customers.ids(where, limit + 1)
            if len(customers) > limit:
                field = "segment" if target.segment else "valueTier"
                problems = Problems()
                problems.add(field, f"more than {limit} customers: one issue reaches at most {limit}")
                raise ValidationFailed(problems.problems)
        coupons = [
            Coupon(
                str(ObjectId()),
                customer,
                checked.value,
                checked.valid_from,
                checked.valid_to,
                now,
                staff(ctx),
            )
            for customer in customers
        ]
        docs = [coupon_document(c, key, checked.fingerprint if key else None) for c in coupons]

        async def write(session: AsyncClientSession) -> None:
            await ctx.loyalty.coupons.issue(docs, session)

        try:
            await in_transaction(ctx.db, write)
        except (DuplicateKeyError, BulkWriteError) as error:
            if isinstance(error, BulkWriteError) and not _duplicate(error):
                raise
            # A retry racing the first request: answer what the first one issued.
            if (first := await _replayed_issue(ctx, key, checked.fingerprint, not target.bulk)) is None:
                raise
            return first
        return Issued(coupons[0] if not target.bulk else None, len(coupons))

    return await attempt(work())


def _duplicate(error: BulkWriteError) -> bool:
    return any(e.get("code") == DUPLICATE_KEY for e in error.details.get("writeErrors", []))


def _check_key(key: str | None) -> str:
    problems = Problems()
    clean = problems.text(key, "idempotencyKey", required=True, limit=IDEMPOTENCY_KEY_MAX)
    problems.raise_if_any()
    assert clean is not None
    return clean


async def redeem_coupon(ctx: Context, coupon_id: str, idempotency_key: str) -> Outcome[Coupon]:
    """Use a coupon once, inside its window. A retry with the same key answers the
    redemption; another redemption is COUPON_USED; outside the window COUPON_NOT_YET_VALID
    or COUPON_EXPIRED."""

    async def replayed(key: str) -> Coupon | None:
        found = await ctx.loyalty.coupons.redeemed_with_key(key)
        if found is not None and found.id != coupon_id:
            raise _reused()
        return found

    async def work() -> Coupon:
        key = _check_key(idempotency_key)
        [coupon] = await ctx.loyalty.coupon_by_id.load_many([coupon_id])
        if coupon is None:
            raise NotFound("no coupon with this id", "couponId")
        if (first := await replayed(key)) is not None:
            return first
        now = ctx.clock()
        try:
            redeemed = await ctx.loyalty.coupons.redeem(coupon_id, now, staff(ctx), key)
        except DuplicateKeyError:
            redeemed = await replayed(key)  # the same key raced itself
        if redeemed is not None:
            return redeemed
        if (first := await replayed(key)) is not None:
            return first
        current = await ctx.loyalty.coupons.get(coupon_id) or coupon
        raise refusal(current, now) or CouponUsed("the coupon was redeemed", "couponId")

    return await attempt(work())
