"""A customer's data on request: everything held about them (export), or their personal
data removed everywhere at once (erasure, which cannot be undone)."""

from __future__ import annotations

from typing import Any

from domain.access import EVERYTHING
from domain.customers import Customer, check_reason
from domain.errors import InvalidTransition
from repositories.holdings import CUSTOMER_DATA
from repositories.personal_data import Erasure, PersonalDataRepository
from repositories.transactions import in_transaction
from resolvers.context import Context
from resolvers.outcome import Outcome, attempt


def _personal_data(ctx: Context) -> PersonalDataRepository:
    return PersonalDataRepository(ctx.db, CUSTOMER_DATA)


async def export_customer_data(ctx: Context, customer_id: str) -> dict[str, Any] | None:
    """One document: the customer and, by collection, every record held about them."""
    [customer] = await ctx.customers.by_ids([customer_id], EVERYTHING)
    if customer is None:
        return None
    return {
        "customerId": customer_id,
        "exportedAt": ctx.clock().isoformat(),
        "collections": await _personal_data(ctx).export(customer.id),
    }


async def erase_customer(ctx: Context, customer_id: str, reason: str) -> Outcome[Customer]:
    async def work() -> Customer:
        why = check_reason(reason)
        customer = await ctx.customers.get(customer_id, EVERYTHING)
        viewer = ctx.viewer
        erasure = Erasure(
            at=ctx.clock(),
            actor={"id": viewer.id, "name": viewer.name, "role": viewer.role.value},
            reason=why,
        )
        erased = await in_transaction(
            ctx.db, lambda session: _personal_data(ctx).erase(customer.id, erasure, session)
        )
        if not erased:
            raise InvalidTransition("this customer's personal data is already erased", "customerId")
        return await ctx.customers.get(customer.id, EVERYTHING)

    return await attempt(work())
