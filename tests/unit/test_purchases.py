"""Recording a purchase (domain/purchases.py, domain.md §1, §2): the lines and the totals they add up
to, every refusal naming its field, the retry fingerprint, and the lifecycle move a purchase proves."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from domain.errors import ValidationFailed
from domain.lifecycle import LifecycleAction, LifecycleStage
from domain.money import Money
from domain.purchases import (
    LINES_MAX,
    CheckedPurchase,
    PurchaseRequest,
    check_purchase,
    lifecycle_effect,
    purchase_reason,
)
from domain.records import Channel, PurchaseLine

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CNY = "CNY"


def request(*lines: PurchaseLine, **changes: object) -> PurchaseRequest:
    made = PurchaseRequest(
        customer_id="c1",
        purchased_at=NOW - timedelta(hours=2),
        lines=lines or (PurchaseLine("LATTE-L", 2, Decimal("32.00"), 10),),
        idempotency_key="order-1001",
        channel=Channel.STORE,
    )
    return replace(made, **changes)  # type: ignore[arg-type]


def checked(req: PurchaseRequest) -> CheckedPurchase:
    return check_purchase(req, NOW, CNY)


def refused_fields(req: PurchaseRequest) -> list[str | None]:
    with pytest.raises(ValidationFailed) as refused:
        checked(req)
    return [p.field for p in refused.value.problems]


# --- totals -------------------------------------------------------------------------------------


def test_the_amount_is_the_sum_of_unit_price_times_quantity_exactly() -> None:
    purchase = checked(
        request(
            PurchaseLine("CANDY", 3, Decimal("0.10"), 1),  # 0.30, not 0.30000000000000004
            PurchaseLine("CAKE", 2, Decimal("19.99"), 25),  # 39.98
            PurchaseLine("GIFT-CARD", 1, Decimal("100.0001"), 0),  # 100.0001
        )
    )
    assert purchase.amount == Money(Decimal("140.2801"), CNY)
    assert purchase.units == 6
    assert purchase.points == 3 * 1 + 2 * 25
    assert purchase.lines == (
        PurchaseLine("CANDY", 3, Decimal("0.10"), 1),
        PurchaseLine("CAKE", 2, Decimal("19.99"), 25),
        PurchaseLine("GIFT-CARD", 1, Decimal("100.0001"), 0),
    )


def test_the_checked_purchase_keeps_what_was_asked() -> None:
    purchase = checked(request())
    assert purchase.customer_id == "c1"
    assert purchase.purchased_at == NOW - timedelta(hours=2)
    assert purchase.channel is Channel.STORE
    assert purchase.idempotency_key == "order-1001"
    assert (purchase.amount, purchase.units, purchase.points) == (Money(Decimal("64.00"), CNY), 2, 20)


def test_a_free_line_and_a_line_without_points_are_fine() -> None:
    purchase = checked(request(PurchaseLine("SAMPLE", 1, Decimal("0"), 0)))
    assert (purchase.amount, purchase.units, purchase.points) == (Money(Decimal("0"), CNY), 1, 0)


def test_skus_and_the_key_are_stored_without_surrounding_spaces() -> None:
    purchase = checked(request(PurchaseLine("  LATTE-L ", 1, Decimal("32"), 0), idempotency_key=" k-1 "))
    assert purchase.lines[0].sku == "LATTE-L"
    assert purchase.idempotency_key == "k-1"


def test_the_currency_may_be_named_if_it_is_the_deployments() -> None:
    assert checked(request(currency="CNY")).amount.currency == CNY
    assert checked(request(currency=" cny ")).amount.currency == CNY


def test_a_purchase_made_just_now_or_ten_years_ago_is_accepted() -> None:
    assert checked(request(purchased_at=NOW)).purchased_at == NOW
    ten_years = NOW - timedelta(days=3650)
    assert checked(request(purchased_at=ten_years)).purchased_at == ten_years


def test_exactly_100_lines_are_accepted() -> None:
    lines = [PurchaseLine(f"SKU-{i}", 1, Decimal("1.00")) for i in range(LINES_MAX)]
    purchase = checked(request(*lines))
    assert (LINES_MAX, purchase.units, purchase.amount.amount) == (100, 100, Decimal("100.00"))


# --- refusals -----------------------------------------------------------------------------------

OK = PurchaseLine("LATTE-L", 1, Decimal("32.00"))


@pytest.mark.parametrize(
    ("req", "fields"),
    [
        (replace(request(), lines=()), ["lines"]),
        (request(OK, PurchaseLine("CAKE", 0, Decimal("19.99"))), ["lines[1].quantity"]),
        (request(OK, PurchaseLine("CAKE", -2, Decimal("19.99"))), ["lines[1].quantity"]),
        (request(OK, PurchaseLine("CAKE", 100_001, Decimal("19.99"))), ["lines[1].quantity"]),
        (request(PurchaseLine("CAKE", 1, Decimal("19.99999"))), ["lines[0].unitPrice"]),
        (request(PurchaseLine("CAKE", 1, Decimal("-0.01"))), ["lines[0].unitPrice"]),
        (request(PurchaseLine("CAKE", 1, Decimal("NaN"))), ["lines[0].unitPrice"]),
        (request(PurchaseLine("CAKE", 1, Decimal("1E+15"))), ["lines[0].unitPrice"]),
        (request(PurchaseLine("CAKE", 1, Decimal("1"), -1)), ["lines[0].pointsPerUnit"]),
        (request(PurchaseLine("CAKE", 1, Decimal("1"), 100_001)), ["lines[0].pointsPerUnit"]),
        (request(PurchaseLine("   ", 1, Decimal("1")), OK), ["lines[0].sku"]),
        (request(PurchaseLine("", 1, Decimal("1"))), ["lines[0].sku"]),
        (request(PurchaseLine("S" * 65, 1, Decimal("1"))), ["lines[0].sku"]),
        (request(PurchaseLine("CA\x00KE", 1, Decimal("1"))), ["lines[0].sku"]),
        (request(PurchaseLine("CAKE\n2", 1, Decimal("1"))), ["lines[0].sku"]),
        (request(PurchaseLine("CAKE\u202e", 1, Decimal("1"))), ["lines[0].sku"]),
        (request(purchased_at=NOW + timedelta(seconds=1)), ["purchasedAt"]),
        (request(purchased_at=NOW - timedelta(days=3651)), ["purchasedAt"]),
        (request(currency="EUR"), ["currency"]),
        (request(currency="   "), ["currency"]),
        (request(idempotency_key=""), ["idempotencyKey"]),
        (request(idempotency_key="   "), ["idempotencyKey"]),
        (request(idempotency_key="k" * 201), ["idempotencyKey"]),
        (request(*[OK] * (LINES_MAX + 1)), ["lines"]),
    ],
    ids=[
        "no lines",
        "quantity 0",
        "negative quantity",
        "quantity too large",
        "price with 5 decimals",
        "negative price",
        "price not a number",
        "price with 16 digits",
        "negative points",
        "too many points",
        "blank sku",
        "empty sku",
        "sku of 65 characters",
        "sku with a NUL",
        "sku with a line break",
        "sku with a direction override",
        "purchased in the future",
        "purchased more than ten years ago",
        "another currency",
        "blank currency",
        "empty key",
        "blank key",
        "key too long",
        "101 lines",
    ],
)
def test_every_refusal_names_its_field(req: PurchaseRequest, fields: list[str]) -> None:
    assert refused_fields(req) == fields


def test_a_sku_of_64_characters_is_accepted() -> None:
    assert checked(request(PurchaseLine("S" * 64, 1, Decimal("1")))).lines[0].sku == "S" * 64


def test_the_currency_refusal_says_which_currency_is_recorded() -> None:
    with pytest.raises(ValidationFailed) as refused:
        checked(request(currency="EUR"))
    assert "CNY" in refused.value.problems[0].message


def test_every_problem_is_reported_at_once() -> None:
    bad = request(
        PurchaseLine("", 0, Decimal("-1"), -5),
        OK,
        PurchaseLine("CAKE", 1, Decimal("1.23456")),
        idempotency_key="  ",
        currency="USD",
        purchased_at=NOW + timedelta(days=1),
    )
    assert refused_fields(bad) == [
        "idempotencyKey",
        "currency",
        "purchasedAt",
        "lines[0].sku",
        "lines[0].quantity",
        "lines[0].unitPrice",
        "lines[0].pointsPerUnit",
        "lines[2].unitPrice",
    ]


# --- the retry fingerprint ----------------------------------------------------------------------


def fingerprint(req: PurchaseRequest) -> str:
    return checked(req).fingerprint


def test_equivalent_requests_have_the_same_fingerprint() -> None:
    base = fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5)))
    assert fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10.0"), 5))) == base
    assert fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10"), 5))) == base
    assert fingerprint(request(PurchaseLine(" CAKE ", 2, Decimal("10.0000"), 5))) == base
    assert fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), currency="CNY")) == base
    # the key is what a retry repeats, not part of what it asks for
    assert fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), idempotency_key="x")) == base


@pytest.mark.parametrize(
    "changed",
    [
        request(PurchaseLine("CAKE", 3, Decimal("10.00"), 5)),
        request(PurchaseLine("CAKE", 2, Decimal("10.01"), 5)),
        request(PurchaseLine("CAKE", 2, Decimal("1.00"), 5)),
        request(PurchaseLine("CAKE", 2, Decimal("100"), 5)),
        request(PurchaseLine("CAKES", 2, Decimal("10.00"), 5)),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 6)),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), PurchaseLine("TEA", 1, Decimal("3"))),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), customer_id="c2"),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), channel=Channel.APP),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), channel=None),
        request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5), purchased_at=NOW - timedelta(hours=1)),
    ],
    ids=[
        "quantity",
        "price by a cent",
        "price a tenth",
        "price ten times",
        "sku",
        "points",
        "another line",
        "customer",
        "channel",
        "no channel",
        "time",
    ],
)
def test_different_requests_have_different_fingerprints(changed: PurchaseRequest) -> None:
    assert fingerprint(changed) != fingerprint(request(PurchaseLine("CAKE", 2, Decimal("10.00"), 5)))


def test_the_same_instant_in_another_offset_has_the_same_fingerprint() -> None:
    at = NOW - timedelta(hours=2)
    in_shanghai = at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert in_shanghai == at
    assert fingerprint(request(purchased_at=in_shanghai)) == fingerprint(request(purchased_at=at))


# --- the lifecycle move a purchase proves -------------------------------------------------------

S, A = LifecycleStage, LifecycleAction


EFFECTS = [
    (S.PROSPECT, 0, A.ACQUIRE),
    (S.PROSPECT, 2, A.ACQUIRE),  # imported history without the ACQUIRE move
    (S.ACQUIRED, 0, None),  # acquired by hand before any purchase: this is the first
    (S.ACQUIRED, 1, A.ACTIVATE),
    (S.ACQUIRED, 4, A.ACTIVATE),
    (S.ACTIVE, 1, None),
    (S.ACTIVE, 9, None),
    (S.RETAINED, 9, None),
    (S.AT_RISK, 3, None),  # retention is a person's or the scan's move, not a purchase's
    (S.LAPSED, 1, A.WIN_BACK),
    (S.LAPSED, 12, A.WIN_BACK),
]


@pytest.mark.parametrize(("stage", "orders_before", "expected"), EFFECTS)
def test_the_move_a_purchase_makes_in_every_stage(
    stage: LifecycleStage, orders_before: int, expected: LifecycleAction | None
) -> None:
    assert lifecycle_effect(stage, orders_before) is expected


def test_the_table_above_has_every_stage() -> None:
    assert {stage for stage, _, _ in EFFECTS} == set(S)


def test_the_reason_recorded_for_a_purchase_move_names_the_purchase() -> None:
    assert purchase_reason(A.ACQUIRE, "p1") == "first purchase (purchase p1)"
    assert purchase_reason(A.ACTIVATE, "p2") == "second purchase (purchase p2)"
    assert purchase_reason(A.WIN_BACK, "p3") == "purchase after lapsing (purchase p3)"
    assert purchase_reason(A.RETAIN, "p4") == "purchase (purchase p4)"
