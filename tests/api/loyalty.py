"""GraphQL documents and helpers for the loyalty and coupon tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.tokens import issue_token
from tests.api.dossier import payload
from tests.api.queries import CREATE_CUSTOMER

ENTRY = """id seq kind points balanceAfter reason awardReason note at
  actor { name role } fromLots { points lot { id } } lot { id points remaining expiresAt }"""

PAYLOAD = f"""entry {{ {ENTRY} }} loyalty {{ balance available earned redeemed expired }}
  errors {{ code message field }}"""

AWARD = f"""mutation($input: AwardPointsInput!) {{ awardPoints(input: $input) {{ {PAYLOAD} }} }}"""
REDEEM = f"""mutation($input: RedeemPointsInput!) {{ redeemPoints(input: $input) {{ {PAYLOAD} }} }}"""

LOYALTY = f"""query($id: ID!, $first: Int, $after: String) {{ customer(id: $id) {{ id
  loyalty {{ balance available earned redeemed expired
    ledger(first: $first, after: $after) {{ totalCount edges {{ node {{ {ENTRY} }} }}
      pageInfo {{ hasNextPage endCursor }} }}
    lots(first: 20) {{ totalCount edges {{ node {{ id points remaining reason earnedAt availableAt expiresAt }} }} }}
    referral {{ id status verifiedAt referrer {{ id }} customer {{ id }} }} }} }} }}"""

RECORD_PURCHASE = """mutation($input: RecordPurchaseInput!) { recordPurchase(input: $input) {
  purchase { id points units } errors { code message field } } }"""

RECORD_REFERRAL = """mutation($input: RecordReferralInput!) { recordReferral(input: $input) {
  referral { id status recordedAt verifiedAt customer { id } referrer { id } } errors { code message field } } }"""

COUPON = "id value { amount currency } validFrom validTo status issuedAt redeemedAt redeemedBy { name } customer { id }"
ISSUE_COUPON = f"""mutation($input: IssueCouponInput!) {{ issueCoupon(input: $input) {{
  coupon {{ {COUPON} }} issuedCount errors {{ code message field }} }} }}"""
REDEEM_COUPON = f"""mutation($input: RedeemCouponInput!) {{ redeemCoupon(input: $input) {{
  coupon {{ {COUPON} }} errors {{ code message field }} }} }}"""
COUPONS = f"""query($id: ID!) {{ customer(id: $id) {{ coupons(first: 50) {{ totalCount
  edges {{ node {{ {COUPON} }} }} }} }} }}"""


def key() -> str:
    return uuid.uuid4().hex


async def new_customer(caller, name: str = "Lin Xiaoyu", **fields) -> str:
    result = await payload(caller, CREATE_CUSTOMER, {"name": name, **fields})
    assert result["errors"] == [], result["errors"]
    return result["customer"]["id"]


async def award(caller, customer: str, points: int, reason: str = "ACTIVITY", **extra) -> dict:
    input_ = {"customerId": customer, "points": points, "reason": reason, "idempotencyKey": key(), **extra}
    return await payload(caller, AWARD, input_)


async def redeem(caller, customer: str, points: int, reason: str = "tea set", **extra) -> dict:
    input_ = {"customerId": customer, "points": points, "reason": reason, "idempotencyKey": key(), **extra}
    return await payload(caller, REDEEM, input_)


async def purchase(
    caller, customer: str, at: datetime, lines: list[dict], idempotency_key: str | None = None
) -> dict:
    input_ = {
        "customerId": customer,
        "purchasedAt": at.isoformat(),
        "channel": "STORE",
        "lines": lines,
        "idempotencyKey": idempotency_key or key(),
    }
    result = await payload(caller, RECORD_PURCHASE, input_)
    assert result["errors"] == [], result["errors"]
    return result["purchase"]


async def loyalty(caller, customer: str, first: int = 20) -> dict | None:
    return (await caller.execute(LOYALTY, {"id": customer, "first": first}))["customer"]["loyalty"]


async def later(clock, delta: timedelta, db, *callers) -> None:
    """Move the clock on by `delta`; the callers' tokens (90 days) are renewed, as staff
    renew theirs."""
    clock.advance(delta)
    for caller in callers:
        [user] = await UserRepository(db).by_ids([caller.local_user_id])
        assert user is not None
        caller.token = await issue_token(
            UserRepository(db), TokenRepository(db), user.name, user.role, user.partner_id, clock()
        )
