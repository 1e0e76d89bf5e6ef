"""What every resolver gets: the caller, the clock, settings, repositories and the
per-request loaders (created lazily, living exactly as long as the request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pymongo.asynchronous.database import AsyncDatabase

from domain.clock import Clock
from domain.customers import DEFAULT_PHONE_REGION, Customer
from domain.key_accounts import Contact, ContactLink, KeyAccount, ServiceContract, VisitCadence
from domain.tokens import ApiToken
from domain.users import User
from repositories.contacts import ContactRepository
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository
from repositories.key_accounts import KeyAccountRepository
from repositories.records import RecordRepository
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers.loaders import BatchLoader, ChildPagesLoader


@dataclass
class Context:
    viewer: User
    request_id: str
    clock: Clock
    db: AsyncDatabase = field(repr=False)
    visit_cadence: VisitCadence = field(default_factory=VisitCadence)
    phone_region: str = DEFAULT_PHONE_REGION
    token: ApiToken | None = None  # the token the request came with (its name and id for the audit log)

    # --- repositories ---
    @cached_property
    def customers(self) -> CustomerRepository:
        return CustomerRepository(self.db)

    @cached_property
    def users(self) -> UserRepository:
        return UserRepository(self.db)

    @cached_property
    def tokens(self) -> TokenRepository:
        return TokenRepository(self.db)

    @cached_property
    def key_accounts(self) -> KeyAccountRepository:
        return KeyAccountRepository(self.db)

    @cached_property
    def contacts(self) -> ContactRepository:
        return ContactRepository(self.db)

    @cached_property
    def visits(self) -> VisitRepository:
        return VisitRepository(self.db)

    @cached_property
    def contracts(self) -> ContractRepository:
        return ContractRepository(self.db)

    @cached_property
    def records(self) -> RecordRepository:
        return RecordRepository(self.db)

    # --- loaders: <entity>_by_<key> ---
    @cached_property
    def customer_by_id(self) -> BatchLoader[str, Customer | None]:
        return BatchLoader(self.customers.by_ids)

    @cached_property
    def user_by_id(self) -> BatchLoader[str, User | None]:
        return BatchLoader(self.users.by_ids)

    @cached_property
    def key_account_by_id(self) -> BatchLoader[str, KeyAccount | None]:
        return BatchLoader(self.key_accounts.by_ids)

    @cached_property
    def contact_by_id(self) -> BatchLoader[str, Contact | None]:
        return BatchLoader(self.contacts.by_ids)

    @cached_property
    def contact_links_by_contact_id(self) -> BatchLoader[str, list[ContactLink]]:
        return BatchLoader(self.contacts.links_by_contact_ids)

    @cached_property
    def contracts_by_key_account_id(self) -> BatchLoader[str, list[ServiceContract]]:
        return BatchLoader(self.contracts.by_key_account_ids)

    @cached_property
    def contacts_by_key_account_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            self.contacts.pages_by_key_account,
            self.contacts.counts_by_key_account,
            prime=lambda contact: self.contact_by_id.prime(contact.id, contact),
        )

    @cached_property
    def visits_by_key_account_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self.visits.pages_by_key_account, self.visits.counts_by_key_account)

    @cached_property
    def complaints_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self.records.complaint_pages, self.records.complaint_counts)

    @cached_property
    def purchases_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self.records.purchase_pages, self.records.purchase_counts)
