"""Money: a decimal amount with an ISO 4217 currency. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


def money_problem(money: Money, *, allow_negative: bool = False) -> str | None:
    """Why this is not an acceptable amount, or None."""
    if not _CURRENCY.match(money.currency):
        return "currency must be a 3-letter ISO 4217 code, e.g. CNY"
    if not money.amount.is_finite():
        return "amount must be a finite number"
    if money.amount < 0 and not allow_negative:
        return "amount cannot be negative"
    if -money.amount.as_tuple().exponent > 4:  # type: ignore[operator]
        return "amount has at most 4 decimal places"
    return None
