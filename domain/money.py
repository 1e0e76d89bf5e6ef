"""Money: a decimal amount with an ISO 4217 currency. Never a float."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_CURRENCY = re.compile(r"^[A-Z]{3}$")

#: Digits an amount may have before and after the decimal point: a quadrillion in any
#: currency, to the ten-thousandth, fits Decimal128 exactly with room to add up.
INTEGER_DIGITS_MAX = 15
SCALE_MAX = 4


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
    if money.amount != 0 and money.amount.adjusted() >= INTEGER_DIGITS_MAX:
        return f"amount has at most {INTEGER_DIGITS_MAX} digits before the decimal point"
    exponent = money.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > SCALE_MAX:
        return f"amount has at most {SCALE_MAX} decimal places"
    return None
