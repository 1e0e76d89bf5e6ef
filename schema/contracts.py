"""GraphQL shape of a key account's service contracts."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain import key_accounts as domain
from resolvers import contracts as use_cases
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond
from schema.money import Money, MoneyInput
from schema.node import InputIds, Node, global_id, node_type
from schema.permissions import CanKeepDossiers


@node_type
@strawberry.type
class ServiceContract(Node):
    content: str
    starts_on: date
    ends_on: date
    fees: Money
    confidentiality: bool = strawberry.field(description="Has a confidentiality clause.")
    created_at: datetime

    @strawberry.field(description="Days until it ends (negative once ended).")
    def days_to_expiry(self, info: strawberry.Info) -> int:
        return (self.ends_on - info.context.clock().date()).days

    @classmethod
    def from_domain(cls, c: domain.ServiceContract) -> ServiceContract:
        return cls(
            id=global_id("ServiceContract", c.id),
            content=c.content,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            fees=Money(amount=c.fees.amount, currency=c.fees.currency),
            confidentiality=c.confidentiality,
            created_at=c.created_at,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[ServiceContract | None]:
        found = await use_cases.contracts_by_ids(info.context, ids)
        return [cls.from_domain(c) if c else None for c in found]


@strawberry.input
class AddServiceContractInput:
    key_account_id: strawberry.ID
    content: str
    starts_on: date
    ends_on: date
    fees: MoneyInput
    confidentiality: bool = False


@strawberry.type
class ServiceContractPayload:
    contract: ServiceContract | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.ServiceContract]) -> ServiceContractPayload:
        return payload(cls, "contract", outcome, ServiceContract.from_domain)


@strawberry.type
class ContractMutations:
    @strawberry.mutation(permission_classes=[CanKeepDossiers])
    async def add_service_contract(
        self, info: strawberry.Info, input: AddServiceContractInput
    ) -> ServiceContractPayload:
        async def use_case() -> Outcome[domain.ServiceContract]:
            ids = InputIds()
            account_id = ids.one(input.key_account_id, "KeyAccount", "keyAccountId")
            ids.check()
            return await use_cases.add_service_contract(
                info.context,
                account_id,
                input.content,
                input.starts_on,
                input.ends_on,
                input.fees.to_domain(),
                input.confidentiality,
            )

        return await respond(ServiceContractPayload.of, use_case)
