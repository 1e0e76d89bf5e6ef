"""GraphQL shape of key-account dossiers: the account, its company profile and grade,
and the queries and mutations that open and keep it. Its parts (contacts, visits,
contracts) have their own modules; relation fields resolve through loaders."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.permission import BasePermission

from domain import key_accounts as domain
from domain.key_accounts import CompanyProfile as DomainCompanyProfile
from resolvers import key_accounts as use_cases
from resolvers.loaders import PageRequest
from resolvers.outcome import Outcome
from schema.complaints import Complaint
from schema.contacts import Contact
from schema.contracts import ServiceContract
from schema.customers import Customer
from schema.errors import UserError, payload, respond, sent_fields
from schema.money import Money, MoneyInput
from schema.node import InputIds, Node, argument_id, global_id, node_type
from schema.pagination import Connection, opened
from schema.permissions import CanKeepDossiers, CanReadDossiers
from schema.records import Purchase
from schema.users import User, related_users
from schema.visits import VisitLog

if TYPE_CHECKING:
    from schema.care import KeyAccountSatisfaction

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Grade = domain.Grade
strawberry.enum(Grade, name="Grade", description="A strategic, B key, C standard.")
KeyAccountCategory = domain.Category
strawberry.enum(KeyAccountCategory, name="KeyAccountCategory")


async def _child_page(
    info: strawberry.Info, loader: Any, parent_id: str, first: int | None, after: str | None, to_node: Any
) -> Any:
    page = await loader.load(PageRequest(parent_id, first, opened(info, after)))
    return Connection.of(page, to_node, info.context.cursors)


@strawberry.type
class CompanyProfile:
    legal_representative: str | None = strawberry.field(description="A person's name: null for ANALYST.")
    size: str | None
    main_products: list[str]
    annual_revenue: Money | None
    profit_or_loss: Money | None
    person_in_charge: str | None = strawberry.field(description="A person's name: null for ANALYST.")

    @classmethod
    def from_domain(cls, p: DomainCompanyProfile) -> CompanyProfile:
        return cls(
            legal_representative=p.legal_representative,
            size=p.size,
            main_products=p.main_products,
            annual_revenue=Money.of(p.annual_revenue),
            profit_or_loss=Money.of(p.profit_or_loss),
            person_in_charge=p.person_in_charge,
        )


@strawberry.input
class CompanyProfileInput:
    legal_representative: str | None = None
    size: str | None = strawberry.field(default=None, description="e.g. '500-1000 employees'")
    main_products: list[str] | None = None
    annual_revenue: MoneyInput | None = None
    profit_or_loss: MoneyInput | None = None
    person_in_charge: str | None = None

    def to_domain(self) -> DomainCompanyProfile:
        return DomainCompanyProfile(
            legal_representative=self.legal_representative,
            size=self.size,
            main_products=self.main_products or [],
            annual_revenue=self.annual_revenue.to_domain() if self.annual_revenue else None,
            profit_or_loss=self.profit_or_loss.to_domain() if self.profit_or_loss else None,
            person_in_charge=self.person_in_charge,
        )


@strawberry.type
class GradeChange:
    from_: Grade = strawberry.field(name="from")
    to: Grade
    at: datetime
    actor_name: str
    reason: str


@node_type
@strawberry.type
class KeyAccount(Node):
    grade: Grade
    category: KeyAccountCategory
    industry: str | None
    company_profile: CompanyProfile
    grade_history: list[GradeChange]
    last_visit_at: datetime | None
    next_visit_due_at: datetime = strawberry.field(
        description="The date agreed at the last visit, else the grade's cadence after it."
    )
    version: int
    created_at: datetime
    updated_at: datetime
    _domain: strawberry.Private[domain.KeyAccount]

    @strawberry.field
    def visit_overdue(self, info: strawberry.Info) -> bool:
        return self._domain.visit_overdue(info.context.clock())

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        found = await info.context.customer_by_id.load(self._domain.customer_id)
        return Customer.from_domain(found) if found else None

    @strawberry.field
    async def manager(self, info: strawberry.Info) -> User | None:
        found = await related_users(info, [self._domain.manager_id])
        return found[0] if found else None

    @strawberry.field
    async def team(self, info: strawberry.Info) -> list[User]:
        return await related_users(info, self._domain.team_ids)

    @strawberry.field
    async def contacts(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Contact]:
        return await _child_page(
            info, info.context.contacts_by_key_account_id, self._domain.id, first, after, Contact.from_domain
        )

    @strawberry.field(description="Visit logs, latest first.")
    async def visits(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[VisitLog]:
        return await _child_page(
            info, info.context.visits_by_key_account_id, self._domain.id, first, after, VisitLog.from_domain
        )

    @strawberry.field(description="Service contracts, soonest ending first.")
    async def contracts(self, info: strawberry.Info) -> list[ServiceContract]:
        found = await info.context.contracts_by_key_account_id.load(self._domain.id)
        return [ServiceContract.from_domain(c) for c in found]

    @strawberry.field(description="The account's complaint records, latest first.")
    async def complaints(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Complaint]:
        loader = info.context.complaints_by_customer_id
        return await _child_page(info, loader, self._domain.customer_id, first, after, Complaint.from_domain)

    @strawberry.field(
        description="Complaint records not yet resolved, closed or discarded (one query for the page)."
    )
    async def open_complaint_count(self, info: strawberry.Info) -> int:
        loader = info.context.open_complaint_count_by_customer_id
        count: int = await loader.load(self._domain.customer_id)
        return count

    @strawberry.field(description="Purchase and pickup records, latest first.")
    async def purchases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Purchase]:
        loader = info.context.purchases_by_customer_id
        return await _child_page(info, loader, self._domain.customer_id, first, after, Purchase.from_domain)

    @strawberry.field(
        description="Consultation/satisfaction letters per period starting between from and to, against the "
        "targets (one query for every account on the page)."
    )
    async def satisfaction(
        self, info: strawberry.Info, from_: Annotated[date, strawberry.argument(name="from")], to: date
    ) -> Annotated[KeyAccountSatisfaction, strawberry.lazy("schema.care")]:
        from schema.care import key_account_satisfaction

        return await key_account_satisfaction(info, self._domain.id, from_, to)

    @classmethod
    def from_domain(cls, a: domain.KeyAccount) -> KeyAccount:
        return cls(
            id=global_id("KeyAccount", a.id),
            grade=a.grade,
            category=a.category,
            industry=a.industry,
            company_profile=CompanyProfile.from_domain(a.company_profile),
            grade_history=[
                GradeChange(
                    from_=g.from_grade, to=g.to_grade, at=g.at, actor_name=g.actor_name, reason=g.reason
                )
                for g in a.grade_history
            ],
            last_visit_at=a.last_visit_at,
            next_visit_due_at=a.next_visit_due_at,
            version=a.version,
            created_at=a.created_at,
            updated_at=a.updated_at,
            _domain=a,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[KeyAccount | None]:
        found = await use_cases.key_accounts_by_ids(info.context, ids)
        return [cls.from_domain(a) if a else None for a in found]


@strawberry.input
class KeyAccountFilter:
    manager_id: strawberry.ID | None = strawberry.field(
        default=None, description="A manager's book (a User id)."
    )
    grade: Grade | None = None
    visit_overdue: bool | None = strawberry.field(default=None, description="Next visit is past due.")
    contract_ends_within_days: int | None = strawberry.field(
        default=None, description="Has a contract ending between today and N days from now (N ≤ 3650)."
    )
    visit_due_within_days: int | None = strawberry.field(
        default=None,
        description="Next visit due within N days from now (N ≤ 366), overdue ones included.",
    )


@strawberry.type
class KeyAccountQueries:
    @strawberry.field(permission_classes=[CanReadDossiers])
    async def key_account(self, info: strawberry.Info, id: strawberry.ID) -> KeyAccount | None:
        found = await use_cases.key_account_by_id(info.context, argument_id(id, "KeyAccount", "id"))
        return KeyAccount.from_domain(found) if found else None

    @strawberry.field(permission_classes=[CanReadDossiers], description="Accounts you can see, oldest first.")
    async def key_accounts(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        filter: KeyAccountFilter | None = None,
    ) -> Connection[KeyAccount]:
        where = filter or KeyAccountFilter()
        manager_id = where.manager_id
        query = use_cases.KeyAccountQuery(
            manager_id=None if manager_id is None else argument_id(manager_id, "User", "filter.managerId"),
            grade=where.grade,
            visit_overdue=where.visit_overdue,
            contract_ends_within_days=where.contract_ends_within_days,
            visit_due_within_days=where.visit_due_within_days,
        )
        page = await use_cases.list_key_accounts(info.context, query, first, opened(info, after))
        return Connection.of(page, KeyAccount.from_domain, info.context.cursors)


# --- inputs, payloads, mutations ----------------------------------------------------------


@strawberry.input
class CreateKeyAccountInput:
    customer_id: strawberry.ID = strawberry.field(description="An ORGANIZATION customer.")
    grade: Grade
    category: KeyAccountCategory
    manager_id: strawberry.ID = strawberry.field(description="A User id (see users).")
    industry: str | None = None
    company_profile: CompanyProfileInput | None = None


@strawberry.input(description="Only the fields sent change; companyProfile is replaced whole.")
class UpdateKeyAccountInput:
    id: strawberry.ID
    expected_version: int
    category: KeyAccountCategory | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    company_profile: CompanyProfileInput | None = strawberry.UNSET


@strawberry.input
class ChangeKeyAccountGradeInput:
    key_account_id: strawberry.ID
    expected_version: int
    grade: Grade
    reason: str


@strawberry.input
class AssignKeyAccountManagerInput:
    key_account_id: strawberry.ID
    expected_version: int
    manager_id: strawberry.ID


@strawberry.input
class AssignKeyAccountTeamInput:
    key_account_id: strawberry.ID
    expected_version: int
    member_ids: list[strawberry.ID]


@strawberry.type
class KeyAccountPayload:
    key_account: KeyAccount | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.KeyAccount]) -> KeyAccountPayload:
        return payload(cls, "key_account", outcome, KeyAccount.from_domain)


KEEP: list[type[BasePermission]] = [CanKeepDossiers]


@strawberry.type
class KeyAccountMutations:
    @strawberry.mutation(permission_classes=KEEP)
    async def create_key_account(
        self, info: strawberry.Info, input: CreateKeyAccountInput
    ) -> KeyAccountPayload:
        async def use_case() -> Outcome[domain.KeyAccount]:
            ids = InputIds()
            profile = input.company_profile
            request = use_cases.OpenKeyAccount(
                customer_id=ids.one(input.customer_id, "Customer", "customerId"),
                grade=input.grade,
                category=input.category,
                industry=input.industry,
                manager_id=ids.one(input.manager_id, "User", "managerId"),
                profile=profile.to_domain() if profile else DomainCompanyProfile(),
            )
            ids.check()
            return await use_cases.create_key_account(info.context, request)

        return await respond(KeyAccountPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP)
    async def update_key_account(
        self, info: strawberry.Info, input: UpdateKeyAccountInput
    ) -> KeyAccountPayload:
        async def use_case() -> Outcome[domain.KeyAccount]:
            ids = InputIds()
            account_id = ids.one(input.id, "KeyAccount", "id")
            ids.check()
            changes = sent_fields(input, ("category", "industry"))
            if input.company_profile is not strawberry.UNSET:
                profile = input.company_profile
                changes["profile"] = profile.to_domain() if profile else DomainCompanyProfile()
            return await use_cases.update_key_account(
                info.context, account_id, input.expected_version, changes
            )

        return await respond(KeyAccountPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=KEEP, description="Change the grade; the reason is kept in gradeHistory."
    )
    async def change_key_account_grade(
        self, info: strawberry.Info, input: ChangeKeyAccountGradeInput
    ) -> KeyAccountPayload:
        async def use_case() -> Outcome[domain.KeyAccount]:
            ids = InputIds()
            account_id = ids.one(input.key_account_id, "KeyAccount", "keyAccountId")
            ids.check()
            return await use_cases.change_grade(
                info.context, account_id, input.expected_version, input.grade, input.reason
            )

        return await respond(KeyAccountPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP)
    async def assign_key_account_manager(
        self, info: strawberry.Info, input: AssignKeyAccountManagerInput
    ) -> KeyAccountPayload:
        async def use_case() -> Outcome[domain.KeyAccount]:
            ids = InputIds()
            account_id = ids.one(input.key_account_id, "KeyAccount", "keyAccountId")
            manager_id = ids.one(input.manager_id, "User", "managerId")
            ids.check()
            return await use_cases.assign_manager(
                info.context, account_id, input.expected_version, manager_id
            )

        return await respond(KeyAccountPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP, description="Replace the account team.")
    async def assign_key_account_team(
        self, info: strawberry.Info, input: AssignKeyAccountTeamInput
    ) -> KeyAccountPayload:
        async def use_case() -> Outcome[domain.KeyAccount]:
            ids = InputIds()
            account_id = ids.one(input.key_account_id, "KeyAccount", "keyAccountId")
            members = ids.many(input.member_ids, "User", "memberIds")
            ids.check()
            return await use_cases.set_team(info.context, account_id, input.expected_version, members)

        return await respond(KeyAccountPayload.of, use_case)
