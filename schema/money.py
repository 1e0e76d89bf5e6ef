"""Money on the wire: a decimal string amount and an ISO 4217 currency."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from domain.money import Money as DomainMoney


@strawberry.type
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, money: DomainMoney | None) -> Money | None:
        return None if money is None else cls(amount=money.amount, currency=money.currency)


@strawberry.input
class MoneyInput:
    amount: Decimal
    currency: str

    def to_domain(self) -> DomainMoney:
        return DomainMoney(amount=self.amount, currency=self.currency.strip().upper())
