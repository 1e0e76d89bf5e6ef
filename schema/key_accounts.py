"""GraphQL shape of key-account dossiers. Relation fields resolve through loaders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from domain import key_accounts as domain
from domain.key_accounts import CONTACT_DETAILS
from domain.key_accounts import CompanyProfile as DomainCompanyProfile
from domain.users import Role as DomainRole
from resolvers import key_accounts as use_cases
from resolvers.loaders import PageRequest
from resolvers.outcome import Outcome
from schema.customers import Customer
from schema.errors import UserError, payload, sent_fields
from schema.money import Money, MoneyInput
from schema.pagination import Connection
from schema.records import Complaint, Purchase
from schema.users import User

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
Grade = domain.Grade
strawberry.enum(Grade, name="Grade", description="A strategic, B key, C standard.")
KeyAccountCategory = domain.Category
strawberry.enum(KeyAccountCategory, name="KeyAccountCategory")
DecisionRole = domain.DecisionRole
strawberry.enum(DecisionRole, name="DecisionRole")
Relationship = domain.Relationship
strawberry.enum(Relationship, name="Relationship")


@strawberry.enum
class RelationshipDirection(Enum):
    OUTGOING = "OUTGOING"  # this contact → the other (e.g. this one REPORTS_TO the other)
    INCOMING = "INCOMING"  # the other → this contact


def _local_id(gid: relay.GlobalID, type_name: str) -> str:
    return gid.node_id if gid.type_name == type_name else ""


async def _users(info: strawberry.Info, ids: list[str]) -> list[User]:
    found = await info.context.user_by_id.load_many(ids)
    return [User.from_domain(u) for u in found if u is not None]


# --- the dossier's parts ------------------------------------------------------------------


@strawberry.type
class CompanyProfile:
    legal_representative: str | None
    size: str | None
    main_products: list[str]
    annual_revenue: Money | None
    profit_or_loss: Money | None
    person_in_charge: str | None

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


@strawberry.type
class ServiceContract(relay.Node):
    id: relay.NodeID[str]
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
            id=c.id,
            content=c.content,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            fees=Money.of(c.fees),  # type: ignore[arg-type]
            confidentiality=c.confidentiality,
            created_at=c.created_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        found = await use_cases.contracts_by_ids(info.context, list(node_ids))
        return [cls.from_domain(c) if c else None for c in found]


@strawberry.type
class ContactRelationship:
    id: strawberry.ID = strawberry.field(description="Pass to unlinkContacts.")
    relationship: Relationship
    direction: RelationshipDirection
    note: str | None
    _contact_id: strawberry.Private[str]

    @strawberry.field(description="The other contact.")
    async def contact(self, info: strawberry.Info) -> Contact | None:
        [found] = await use_cases.contacts_by_ids(info.context, [self._contact_id])
        return Contact.from_domain(found) if found else None


@strawberry.type
class Contact(relay.Node):
    id: relay.NodeID[str]
    name: str
    title: str | None
    decision_role: DecisionRole
    email: str | None
    phone: str | None
    birthday: date | None
    hobbies: list[str]
    family: str | None
    habits: str | None
    social_circle: str | None
    office_address: str | None
    home_address: str | None
    responsibilities: str | None
    performance: str | None
    goals: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    _key_account_id: strawberry.Private[str]

    @strawberry.field(description="Who this contact knows, both ways.")
    async def relationships(self, info: strawberry.Info) -> list[ContactRelationship]:
        links = await info.context.contact_links_by_contact_id.load(self.id)
        return [
            ContactRelationship(
                id=strawberry.ID(link.id),
                relationship=link.relationship,
                direction=RelationshipDirection.OUTGOING if link.outgoing else RelationshipDirection.INCOMING,
                note=link.note,
                _contact_id=link.contact_id,
            )
            for link in links
        ]

    @strawberry.field
    async def key_account(self, info: strawberry.Info) -> KeyAccount | None:
        found = await use_cases.key_account_by_id(info.context, self._key_account_id)
        return KeyAccount.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, c: domain.Contact) -> Contact:
        details = {name: c.details.get(name) for name in CONTACT_DETAILS}
        return cls(
            id=c.id,
            name=c.name,
            title=c.title,
            decision_role=c.decision_role,
            email=c.email,
            phone=c.phone,
            birthday=c.birthday,
            hobbies=c.hobbies,
            version=c.version,
            created_at=c.created_at,
            updated_at=c.updated_at,
            _key_account_id=c.key_account_id,
            **details,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        found = await use_cases.contacts_by_ids(info.context, list(node_ids))
        return [cls.from_domain(c) if c else None for c in found]


@strawberry.type
class VisitFindings:
    needs: list[str]
    satisfaction: int | None = strawberry.field(description="1 (poor) to 5 (excellent).")
    issues: list[str]


@strawberry.type
class FollowUp:
    id: strawberry.ID = strawberry.field(description="Pass to completeFollowUp.")
    action: str
    due_at: datetime
    done_at: datetime | None
    _owner_id: strawberry.Private[str]

    @strawberry.field
    def done(self) -> bool:
        return self.done_at is not None

    @strawberry.field
    def overdue(self, info: strawberry.Info) -> bool:
        return self.done_at is None and self.due_at < info.context.clock()

    @strawberry.field
    async def owner(self, info: strawberry.Info) -> User | None:
        found = await _users(info, [self._owner_id])
        return found[0] if found else None


@strawberry.type
class VisitLog(relay.Node):
    id: relay.NodeID[str]
    visited_at: datetime
    purpose: str
    findings: VisitFindings
    follow_ups: list[FollowUp]
    next_visit_at: datetime | None
    created_at: datetime
    _domain: strawberry.Private[domain.VisitLog]

    @strawberry.field
    async def visitors(self, info: strawberry.Info) -> list[User]:
        return await _users(info, self._domain.visitor_ids)

    @strawberry.field(description="Contacts met (removed contacts are left out).")
    async def contacts(self, info: strawberry.Info) -> list[Contact]:
        found = await use_cases.contacts_by_ids(info.context, self._domain.contact_ids)
        return [Contact.from_domain(c) for c in found if c]

    @strawberry.field
    async def logged_by(self, info: strawberry.Info) -> User | None:
        found = await _users(info, [self._domain.logged_by])
        return found[0] if found else None

    @classmethod
    def from_domain(cls, v: domain.VisitLog) -> VisitLog:
        return cls(
            id=v.id,
            visited_at=v.visited_at,
            purpose=v.purpose,
            findings=VisitFindings(
                needs=v.findings.needs, satisfaction=v.findings.satisfaction, issues=v.findings.issues
            ),
            follow_ups=[
                FollowUp(
                    id=strawberry.ID(f.id),
                    action=f.action,
                    due_at=f.due_at,
                    done_at=f.done_at,
                    _owner_id=f.owner_id,
                )
                for f in v.follow_ups
            ],
            next_visit_at=v.next_visit_at,
            created_at=v.created_at,
            _domain=v,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        found = await use_cases.visits_by_ids(info.context, list(node_ids))
        return [cls.from_domain(v) if v else None for v in found]


# --- the key account ----------------------------------------------------------------------


async def _child_page(loader: Any, parent_id: str, first: int | None, after: str | None, to_node: Any):
    return Connection.of(await loader.load(PageRequest(parent_id, first, after)), to_node)


@strawberry.type
class KeyAccount(relay.Node):
    id: relay.NodeID[str]
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
        found = await _users(info, [self._domain.manager_id])
        return found[0] if found else None

    @strawberry.field
    async def team(self, info: strawberry.Info) -> list[User]:
        return await _users(info, self._domain.team_ids)

    @strawberry.field
    async def contacts(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Contact]:
        return await _child_page(
            info.context.contacts_by_key_account_id, self.id, first, after, Contact.from_domain
        )

    @strawberry.field(description="Visit logs, latest first.")
    async def visits(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[VisitLog]:
        return await _child_page(
            info.context.visits_by_key_account_id, self.id, first, after, VisitLog.from_domain
        )

    @strawberry.field(description="Service contracts, soonest ending first.")
    async def contracts(self, info: strawberry.Info) -> list[ServiceContract]:
        found = await info.context.contracts_by_key_account_id.load(self.id)
        return [ServiceContract.from_domain(c) for c in found]

    @strawberry.field(description="The account's complaint records, latest first.")
    async def complaints(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Complaint]:
        loader = info.context.complaints_by_customer_id
        return await _child_page(loader, self._domain.customer_id, first, after, Complaint.from_domain)

    @strawberry.field(description="Purchase and pickup records, latest first.")
    async def purchases(
        self, info: strawberry.Info, first: int | None = None, after: str | None = None
    ) -> Connection[Purchase]:
        loader = info.context.purchases_by_customer_id
        return await _child_page(loader, self._domain.customer_id, first, after, Purchase.from_domain)

    @classmethod
    def from_domain(cls, a: domain.KeyAccount) -> KeyAccount:
        return cls(
            id=a.id,
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
    async def resolve_nodes(cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False):
        found = await use_cases.key_accounts_by_ids(info.context, list(node_ids))
        return [cls.from_domain(a) if a else None for a in found]


# --- permissions ----------------------------------------------------------------------------


class CanReadDossiers(BasePermission):
    message = "your role may not read key-account dossiers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.role is not DomainRole.PARTNER


class CanKeepDossiers(BasePermission):
    message = "your role may not change key-account dossiers"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return info.context.viewer.role in (DomainRole.ADMIN, DomainRole.ACCOUNT_MANAGER)


# --- queries --------------------------------------------------------------------------------


@strawberry.input
class KeyAccountFilter:
    manager_id: strawberry.ID | None = strawberry.field(default=None, description="A manager's book.")
    grade: Grade | None = None
    visit_overdue: bool | None = strawberry.field(default=None, description="Next visit is past due.")
    contract_ends_within_days: int | None = strawberry.field(
        default=None, description="Has a contract ending between today and N days from now."
    )


@strawberry.type
class KeyAccountQueries:
    @strawberry.field(permission_classes=[CanReadDossiers])
    async def key_account(self, info: strawberry.Info, id: relay.GlobalID) -> KeyAccount | None:
        found = await use_cases.key_account_by_id(info.context, _local_id(id, "KeyAccount"))
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
        query = use_cases.KeyAccountQuery(
            manager_id=where.manager_id,
            grade=where.grade,
            visit_overdue=where.visit_overdue,
            contract_ends_within_days=where.contract_ends_within_days,
        )
        page = await use_cases.list_key_accounts(info.context, query, first, after)
        return Connection.of(page, KeyAccount.from_domain)


# --- inputs and payloads ------------------------------------------------------------------


@strawberry.input
class CreateKeyAccountInput:
    customer_id: relay.GlobalID = strawberry.field(description="An ORGANIZATION customer.")
    grade: Grade
    category: KeyAccountCategory
    manager_id: strawberry.ID
    industry: str | None = None
    company_profile: CompanyProfileInput | None = None


@strawberry.input(description="Only the fields sent change; companyProfile is replaced whole.")
class UpdateKeyAccountInput:
    id: relay.GlobalID
    expected_version: int
    category: KeyAccountCategory | None = strawberry.UNSET
    industry: str | None = strawberry.UNSET
    company_profile: CompanyProfileInput | None = strawberry.UNSET


@strawberry.input
class ChangeKeyAccountGradeInput:
    key_account_id: relay.GlobalID
    expected_version: int
    grade: Grade
    reason: str


@strawberry.input
class AssignKeyAccountManagerInput:
    key_account_id: relay.GlobalID
    expected_version: int
    manager_id: strawberry.ID


@strawberry.input
class AssignKeyAccountTeamInput:
    key_account_id: relay.GlobalID
    expected_version: int
    member_ids: list[strawberry.ID]


@strawberry.input
class AddContactInput:
    key_account_id: relay.GlobalID
    name: str
    title: str | None = None
    decision_role: DecisionRole = domain.DecisionRole.OTHER
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None
    hobbies: list[str] | None = None
    family: str | None = None
    habits: str | None = None
    social_circle: str | None = None
    office_address: str | None = None
    home_address: str | None = None
    responsibilities: str | None = None
    performance: str | None = None
    goals: str | None = None


@strawberry.input(description="Only the fields sent change; null clears an optional field.")
class UpdateContactInput:
    id: relay.GlobalID
    expected_version: int
    name: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    decision_role: DecisionRole | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    birthday: date | None = strawberry.UNSET
    hobbies: list[str] | None = strawberry.UNSET
    family: str | None = strawberry.UNSET
    habits: str | None = strawberry.UNSET
    social_circle: str | None = strawberry.UNSET
    office_address: str | None = strawberry.UNSET
    home_address: str | None = strawberry.UNSET
    responsibilities: str | None = strawberry.UNSET
    performance: str | None = strawberry.UNSET
    goals: str | None = strawberry.UNSET


CONTACT_FIELDS = ("name", "title", "decision_role", "email", "phone", "birthday", "hobbies", *CONTACT_DETAILS)


@strawberry.input
class RemoveContactInput:
    id: relay.GlobalID


@strawberry.input
class LinkContactsInput:
    from_contact_id: relay.GlobalID
    to_contact_id: relay.GlobalID
    relationship: Relationship
    note: str | None = None


@strawberry.input
class UnlinkContactsInput:
    relationship_id: strawberry.ID


@strawberry.input
class VisitFindingsInput:
    needs: list[str] | None = None
    satisfaction: int | None = None
    issues: list[str] | None = None


@strawberry.input
class FollowUpInput:
    action: str
    owner_id: strawberry.ID | None = None
    due_at: datetime | None = None
    done: bool = strawberry.field(default=False, description="Already done at the visit.")


@strawberry.input
class LogVisitInput:
    key_account_id: relay.GlobalID
    visited_at: datetime
    purpose: str
    visitor_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Default: you.")
    contact_ids: list[relay.GlobalID] | None = None
    findings: VisitFindingsInput | None = None
    follow_ups: list[FollowUpInput] | None = None
    next_visit_at: datetime | None = None


@strawberry.input
class CompleteFollowUpInput:
    visit_id: relay.GlobalID
    follow_up_id: strawberry.ID


@strawberry.input
class AddServiceContractInput:
    key_account_id: relay.GlobalID
    content: str
    starts_on: date
    ends_on: date
    fees: MoneyInput
    confidentiality: bool = False


@strawberry.type
class KeyAccountPayload:
    key_account: KeyAccount | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.KeyAccount]) -> KeyAccountPayload:
        return payload(cls, "key_account", outcome, KeyAccount.from_domain)


@strawberry.type
class ContactPayload:
    contact: Contact | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.Contact]) -> ContactPayload:
        return payload(cls, "contact", outcome, Contact.from_domain)


@strawberry.type
class VisitPayload:
    visit: VisitLog | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.VisitLog]) -> VisitPayload:
        return payload(cls, "visit", outcome, VisitLog.from_domain)


@strawberry.type
class ServiceContractPayload:
    contract: ServiceContract | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.ServiceContract]) -> ServiceContractPayload:
        return payload(cls, "contract", outcome, ServiceContract.from_domain)


# --- mutations --------------------------------------------------------------------------------

KEEP: list[type[BasePermission]] = [CanKeepDossiers]


@strawberry.type
class KeyAccountMutations:
    @strawberry.mutation(permission_classes=KEEP)
    async def create_key_account(
        self, info: strawberry.Info, input: CreateKeyAccountInput
    ) -> KeyAccountPayload:
        request = use_cases.OpenKeyAccount(
            customer_id=_local_id(input.customer_id, "Customer"),
            grade=input.grade,
            category=input.category,
            industry=input.industry,
            manager_id=input.manager_id,
            profile=input.company_profile.to_domain() if input.company_profile else DomainCompanyProfile(),
        )
        return KeyAccountPayload.of(await use_cases.create_key_account(info.context, request))

    @strawberry.mutation(permission_classes=KEEP)
    async def update_key_account(
        self, info: strawberry.Info, input: UpdateKeyAccountInput
    ) -> KeyAccountPayload:
        changes = sent_fields(input, ("category", "industry"))
        if input.company_profile is not strawberry.UNSET:
            profile = input.company_profile
            changes["profile"] = profile.to_domain() if profile else DomainCompanyProfile()
        outcome = await use_cases.update_key_account(
            info.context, _local_id(input.id, "KeyAccount"), input.expected_version, changes
        )
        return KeyAccountPayload.of(outcome)

    @strawberry.mutation(
        permission_classes=KEEP, description="Change the grade; the reason is kept in gradeHistory."
    )
    async def change_key_account_grade(
        self, info: strawberry.Info, input: ChangeKeyAccountGradeInput
    ) -> KeyAccountPayload:
        outcome = await use_cases.change_grade(
            info.context,
            _local_id(input.key_account_id, "KeyAccount"),
            input.expected_version,
            input.grade,
            input.reason,
        )
        return KeyAccountPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP)
    async def assign_key_account_manager(
        self, info: strawberry.Info, input: AssignKeyAccountManagerInput
    ) -> KeyAccountPayload:
        outcome = await use_cases.assign_manager(
            info.context,
            _local_id(input.key_account_id, "KeyAccount"),
            input.expected_version,
            input.manager_id,
        )
        return KeyAccountPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP, description="Replace the account team.")
    async def assign_key_account_team(
        self, info: strawberry.Info, input: AssignKeyAccountTeamInput
    ) -> KeyAccountPayload:
        outcome = await use_cases.set_team(
            info.context,
            _local_id(input.key_account_id, "KeyAccount"),
            input.expected_version,
            list(input.member_ids),
        )
        return KeyAccountPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP)
    async def add_contact(self, info: strawberry.Info, input: AddContactInput) -> ContactPayload:
        fields = sent_fields(input, CONTACT_FIELDS)
        outcome = await use_cases.add_contact(
            info.context, _local_id(input.key_account_id, "KeyAccount"), fields
        )
        return ContactPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP)
    async def update_contact(self, info: strawberry.Info, input: UpdateContactInput) -> ContactPayload:
        outcome = await use_cases.update_contact(
            info.context,
            _local_id(input.id, "Contact"),
            input.expected_version,
            sent_fields(input, CONTACT_FIELDS),
        )
        return ContactPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP, description="Remove a contact and its relationships.")
    async def remove_contact(self, info: strawberry.Info, input: RemoveContactInput) -> ContactPayload:
        return ContactPayload.of(await use_cases.remove_contact(info.context, _local_id(input.id, "Contact")))

    @strawberry.mutation(permission_classes=KEEP, description="Relate two contacts; returns the first.")
    async def link_contacts(self, info: strawberry.Info, input: LinkContactsInput) -> ContactPayload:
        outcome = await use_cases.link_contacts(
            info.context,
            _local_id(input.from_contact_id, "Contact"),
            _local_id(input.to_contact_id, "Contact"),
            input.relationship,
            input.note,
        )
        return ContactPayload.of(outcome)

    @strawberry.mutation(
        permission_classes=KEEP, description="Remove a relationship; returns its first contact."
    )
    async def unlink_contacts(self, info: strawberry.Info, input: UnlinkContactsInput) -> ContactPayload:
        return ContactPayload.of(await use_cases.unlink_contacts(info.context, input.relationship_id))

    @strawberry.mutation(permission_classes=KEEP, description="File the report of a visit.")
    async def log_visit(self, info: strawberry.Info, input: LogVisitInput) -> VisitPayload:
        findings = input.findings or VisitFindingsInput()
        report = use_cases.VisitReport(
            key_account_id=_local_id(input.key_account_id, "KeyAccount"),
            visited_at=input.visited_at,
            visitor_ids=list(input.visitor_ids or []),
            contact_ids=[_local_id(c, "Contact") for c in input.contact_ids or []],
            purpose=input.purpose,
            findings=domain.VisitFindings(
                needs=findings.needs or [], satisfaction=findings.satisfaction, issues=findings.issues or []
            ),
            follow_ups=[
                use_cases.FollowUpRequest(f.action, f.owner_id, f.due_at, f.done)
                for f in input.follow_ups or []
            ],
            next_visit_at=input.next_visit_at,
        )
        return VisitPayload.of(await use_cases.log_visit(info.context, report))

    @strawberry.mutation(permission_classes=KEEP, description="Mark a follow-up done (again: no change).")
    async def complete_follow_up(self, info: strawberry.Info, input: CompleteFollowUpInput) -> VisitPayload:
        outcome = await use_cases.complete_follow_up(
            info.context, _local_id(input.visit_id, "VisitLog"), input.follow_up_id
        )
        return VisitPayload.of(outcome)

    @strawberry.mutation(permission_classes=KEEP)
    async def add_service_contract(
        self, info: strawberry.Info, input: AddServiceContractInput
    ) -> ServiceContractPayload:
        outcome = await use_cases.add_service_contract(
            info.context,
            _local_id(input.key_account_id, "KeyAccount"),
            input.content,
            input.starts_on,
            input.ends_on,
            input.fees.to_domain(),
            input.confidentiality,
        )
        return ServiceContractPayload.of(outcome)
