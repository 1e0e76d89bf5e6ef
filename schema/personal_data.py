"""GraphQL shape of a data subject's requests: export and erasure (ADMIN)."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from resolvers import personal_data as use_cases
from schema.customers import CustomerPayload
from schema.errors import respond
from schema.node import InputIds, argument_id
from schema.permissions import CanExportAndErase


@strawberry.type
class PersonalDataQueries:
    @strawberry.field(
        permission_classes=[CanExportAndErase],
        description="Everything held about a customer, as one JSON document: the customer and, "
        "by collection, every record about them (ADMIN). Null for an unknown id.",
    )
    async def export_customer_data(self, info: strawberry.Info, customer_id: strawberry.ID) -> JSON | None:
        customer = argument_id(customer_id, "Customer", "customerId")
        return await use_cases.export_customer_data(info.context, customer)  # type: ignore[return-value]


@strawberry.input
class EraseCustomerInput:
    customer_id: strawberry.ID
    reason: str = strawberry.field(
        description="Why (e.g. the request's reference); kept with the erasure, so do not name the customer."
    )


@strawberry.type
class PersonalDataMutations:
    @strawberry.mutation(
        permission_classes=[CanExportAndErase],
        description="Remove a customer's personal data everywhere it is held (ADMIN). Purchases, "
        "complaints and the customer's record stay, anonymised, so counts and sums do not "
        "change. Audited; cannot be undone; a second erasure is INVALID_TRANSITION.",
    )
    async def erase_customer(self, info: strawberry.Info, input: EraseCustomerInput) -> CustomerPayload:
        async def use_case() -> Any:
            ids = InputIds()
            customer_id = ids.one(input.customer_id, "Customer", "customerId")
            ids.check()
            return await use_cases.erase_customer(info.context, customer_id, input.reason)

        return await respond(CustomerPayload.of, use_case)
