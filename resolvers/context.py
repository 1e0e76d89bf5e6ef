"""What every resolver gets: the caller, the clock, settings, repositories and the
per-request loaders (created lazily, living exactly as long as the request)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.access import Access, access_for, needs_book
from domain.care import CareRules
from domain.clock import Clock
from domain.complaints import DEFAULT_COMPENSATION_LIMIT, Complaint, CustomerNeed, ImprovementAction
from domain.customers import DEFAULT_PHONE_REGION, Customer
from domain.key_accounts import Contact, ContactLink, KeyAccount, ServiceContract, VisitCadence
from domain.tokens import ApiToken
from domain.touchpoints import Touchpoint
from domain.users import User
from domain.value import ValueRules
from repositories.audit import AuditRepository
from repositories.complaint_stats import ComplaintStatsRepository
from repositories.complaints import ComplaintRepository
from repositories.contacts import ContactRepository
from repositories.contracts import ContractRepository
from repositories.customers import CustomerRepository
from repositories.key_accounts import KeyAccountRepository
from repositories.pagination import CursorSeal, Page
from repositories.records import RecordRepository
from repositories.rollups import EXPERIENCE, LIFECYCLE, RFM_CELLS, PeriodRollups
from repositories.tokens import TokenRepository
from repositories.touchpoints import TouchpointRepository
from repositories.users import UserRepository
from repositories.visits import VisitRepository
from resolvers.access import (
    shown_complaint,
    shown_contact,
    shown_customer,
    shown_key_account,
    shown_link,
    shown_touchpoint,
)
from resolvers.care_loaders import CareLoaders
from resolvers.loaders import BatchLoader, ChildPagesLoader, JourneyLoader
from resolvers.loyalty import LoyaltyReads


@dataclass
class Context:
    viewer: User
    request_id: str
    clock: Clock
    db: AsyncDatabase = field(repr=False)
    visit_cadence: VisitCadence = field(default_factory=VisitCadence)
    phone_region: str = DEFAULT_PHONE_REGION
    token: ApiToken | None = None  # the token the request came with (its name and id for the audit log)
    cursor_key: bytes = field(default=b"", repr=False)
    compensation_limit: Decimal = DEFAULT_COMPENSATION_LIMIT  # what a handler grants unapproved
    value_rules: ValueRules = field(default_factory=ValueRules)  # tiers, RFM, churn, lapsing
    care_rules: CareRules = field(default_factory=CareRules)  # activation days, letter cadence, targets
    _access: asyncio.Future[Access] | None = field(default=None, init=False, repr=False)

    # --- the access policy (domain.access), decided once per request ---
    async def access(self) -> Access:
        """What the viewer may read. An account manager's depends on their book, loaded
        once (only when a read needs it, so `{ me { id } }` costs no query)."""
        if self._access is None:
            self._access = asyncio.ensure_future(self._decide_access())
        return await self._access

    async def _decide_access(self) -> Access:
        book = await self.key_accounts.book_of(self.viewer.id) if needs_book(self.viewer) else None
        return access_for(self.viewer, book)

    # Reads through the policy: scoped in the query, masked where the viewer may read a
    # record but not its personal data. Loaders and use cases read through these.
    async def visible_customers(self, ids: Sequence[str]) -> list[Customer | None]:
        access = await self.access()
        found = await self.customers.by_ids(ids, access.customers)
        return [shown_customer(access, c) if c else None for c in found]

    async def visible_key_accounts(self, ids: Sequence[str]) -> list[KeyAccount | None]:
        access = await self.access()
        found = await self.key_accounts.by_ids(ids, access.dossiers)
        return [shown_key_account(access, a) if a else None for a in found]

    async def visible_contacts(self, ids: Sequence[str]) -> list[Contact | None]:
        access = await self.access()
        found = await self.contacts.by_ids(ids, access.dossiers)
        return [shown_contact(access, c) if c else None for c in found]

    async def _visible_links(self, contact_ids: list[str]) -> list[list[ContactLink]]:
        """Each contact's relationships with contacts the viewer may also read: a link to
        someone else's contact is not shown (nor that it exists)."""
        access = await self.access()
        links = await self.contacts.links_by_contact_ids(contact_ids)
        others = list({link.contact_id for each in links for link in each})
        readable = {c.id for c in await self.contact_by_id.load_many(others) if c is not None}
        return [[shown_link(access, x) for x in each if x.contact_id in readable] for each in links]

    async def visible_complaints(self, ids: Sequence[str]) -> list[Complaint | None]:
        access = await self.access()
        found = await self.complaints.by_ids(ids, access.dossiers)
        return [shown_complaint(access, c) if c else None for c in found]

    async def _complaint_parents(self, ids: Sequence[str]) -> tuple[Access, list[str]]:
        """The customers whose complaints the viewer may read: a readable customer's items
        may still be out of scope (a partner's shared customer, a manager's other ones)."""
        access = await self.access()
        return access, [i for i in ids if access.dossiers.admits(customer_id=i)]

    async def _visible_complaint_pages(self, ids: Sequence[str], first: int | None, after: str | None) -> Any:
        access, readable = await self._complaint_parents(ids)
        pages = await self.complaints.pages_by_customer(readable, first, after) if readable else {}
        empty: Page[Complaint] = Page(
            items=[], has_next_page=False, has_previous_page=after is not None, count_total=_zero
        )
        return {
            k: _shown_page(pages[k], lambda c: shown_complaint(access, c)) if k in pages else empty
            for k in ids
        }

    async def _visible_complaint_counts(self, ids: Sequence[str]) -> dict[str, int]:
        _, readable = await self._complaint_parents(ids)
        counts = await self.complaints.counts_by_customer(readable) if readable else {}
        return {k: counts.get(k, 0) for k in ids}

    async def _visible_open_complaint_counts(self, ids: Sequence[str]) -> list[int]:
        _, readable = await self._complaint_parents(ids)
        counts = await self.complaints.open_counts_by_customer(readable) if readable else {}
        return [counts.get(k, 0) for k in ids]

    async def visible_touchpoints(self, ids: Sequence[str]) -> list[Touchpoint | None]:
        access = await self.access()
        found = await self.touchpoints.by_ids(ids, access.activity)
        return [shown_touchpoint(access, t) if t else None for t in found]

    async def _activity_parents(self, ids: Sequence[str]) -> tuple[Access, list[str]]:
        """The customers whose purchases and touchpoints the viewer may read."""
        access = await self.access()
        return access, [i for i in ids if access.activity.admits(customer_id=i)]

    async def _visible_touchpoint_pages(
        self, ids: Sequence[str], first: int | None, after: str | None
    ) -> Any:
        access, readable = await self._activity_parents(ids)
        pages = await self.touchpoints.pages_by_customer(readable, first, after) if readable else {}
        return {
            k: _shown_page(pages[k], lambda t: shown_touchpoint(access, t)) if k in pages else _empty(after)
            for k in ids
        }

    async def _visible_touchpoint_counts(self, ids: Sequence[str]) -> dict[str, int]:
        _, readable = await self._activity_parents(ids)
        counts = await self.touchpoints.counts_by_customer(readable) if readable else {}
        return {k: counts.get(k, 0) for k in ids}

    async def _visible_purchase_pages(self, ids: Sequence[str], first: int | None, after: str | None) -> Any:
        _, readable = await self._activity_parents(ids)
        pages = await self.records.purchase_pages(readable, first, after) if readable else {}
        return {k: pages.get(k) or _empty(after) for k in ids}

    async def _visible_purchase_counts(self, ids: Sequence[str]) -> dict[str, int]:
        _, readable = await self._activity_parents(ids)
        counts = await self.records.purchase_counts(readable) if readable else {}
        return {k: counts.get(k, 0) for k in ids}

    async def _visible_journeys(self, ids: Sequence[str], first: Any, last: Any, limit: int) -> Any:
        access, readable = await self._activity_parents(ids)
        found = await self.touchpoints.journeys(readable, first, last, limit) if readable else {}
        return {
            k: ([shown_touchpoint(access, t) for t in found[k][0]], found[k][1]) if k in found else ([], 0)
            for k in ids
        }

    async def _visible_contact_pages(self, ids: Sequence[str], first: int | None, after: str | None) -> Any:
        access = await self.access()
        pages = await self.contacts.pages_by_key_account(ids, first, after)
        return {k: _shown_page(page, lambda c: shown_contact(access, c)) for k, page in pages.items()}

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

    @cached_property
    def complaints(self) -> ComplaintRepository:
        return ComplaintRepository(self.db)

    @cached_property
    def complaint_stats(self) -> ComplaintStatsRepository:
        return ComplaintStatsRepository(self.db)

    @cached_property
    def touchpoints(self) -> TouchpointRepository:
        return TouchpointRepository(self.db)

    @cached_property
    def experience_rollups(self) -> PeriodRollups:
        return PeriodRollups(self.db[EXPERIENCE])

    @cached_property
    def lifecycle_rollups(self) -> PeriodRollups:
        return PeriodRollups(self.db[LIFECYCLE])

    @cached_property
    def rfm_cells(self) -> Any:
        return self.db[RFM_CELLS]

    @cached_property
    def cursors(self) -> CursorSeal:
        return CursorSeal(self.cursor_key)

    @cached_property
    def audit_log(self) -> AuditRepository:
        return AuditRepository(self.db)

    @cached_property
    def care(self) -> CareLoaders:
        """Care plans, tasks, activities and letter totals: repositories and loaders."""
        return CareLoaders(self)

    @cached_property
    def loyalty(self) -> LoyaltyReads:
        """Points, coupons and referrals: their repositories and loaders."""
        return LoyaltyReads(self)

    # --- loaders: <entity>_by_<key> ---
    @cached_property
    def customer_by_id(self) -> BatchLoader[str, Customer | None]:
        return BatchLoader(self.visible_customers)

    @cached_property
    def user_by_id(self) -> BatchLoader[str, User | None]:
        return BatchLoader(self.users.by_ids)

    @cached_property
    def key_account_by_id(self) -> BatchLoader[str, KeyAccount | None]:
        return BatchLoader(self.visible_key_accounts)

    @cached_property
    def contact_by_id(self) -> BatchLoader[str, Contact | None]:
        return BatchLoader(self.visible_contacts)

    @cached_property
    def contact_links_by_contact_id(self) -> BatchLoader[str, list[ContactLink]]:
        return BatchLoader(self._visible_links)

    @cached_property
    def contracts_by_key_account_id(self) -> BatchLoader[str, list[ServiceContract]]:
        return BatchLoader(self.contracts.by_key_account_ids)

    @cached_property
    def contacts_by_key_account_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            self._visible_contact_pages,
            self.contacts.counts_by_key_account,
            prime=lambda contact: self.contact_by_id.prime(contact.id, contact),
        )

    @cached_property
    def visits_by_key_account_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self.visits.pages_by_key_account, self.visits.counts_by_key_account)

    @cached_property
    def complaints_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self._visible_complaint_pages, self._visible_complaint_counts)

    @cached_property
    def open_complaint_count_by_customer_id(self) -> BatchLoader[str, int]:
        return BatchLoader(self._visible_open_complaint_counts)

    @cached_property
    def department_by_id(self) -> BatchLoader[str, dict[str, Any] | None]:
        return BatchLoader(self.complaints.departments_by_ids)

    @cached_property
    def improvements_by_complaint_id(self) -> BatchLoader[str, list[ImprovementAction]]:
        return BatchLoader(self.complaints.improvements_by_complaint_ids)

    @cached_property
    def needs_by_complaint_id(self) -> BatchLoader[str, list[CustomerNeed]]:
        return BatchLoader(self.complaints.needs_by_complaint_ids)

    @cached_property
    def complaint_by_id(self) -> BatchLoader[str, Complaint | None]:
        return BatchLoader(self.visible_complaints)

    @cached_property
    def purchases_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(self._visible_purchase_pages, self._visible_purchase_counts)

    @cached_property
    def touchpoints_by_customer_id(self) -> ChildPagesLoader:
        return ChildPagesLoader(
            self._visible_touchpoint_pages,
            self._visible_touchpoint_counts,
            prime=lambda t: self.touchpoint_by_id.prime(t.id, t),
        )

    @cached_property
    def touchpoint_by_id(self) -> BatchLoader[str, Touchpoint | None]:
        return BatchLoader(self.visible_touchpoints)

    @cached_property
    def journeys_by_customer_id(self) -> JourneyLoader:
        return JourneyLoader(self._visible_journeys)


def _shown_page(page: Page[Any], show: Any) -> Page[Any]:
    return replace(page, items=[(cursor, show(item)) for cursor, item in page.items])


async def _zero() -> int:
    return 0


def _empty(after: str | None) -> Page[Any]:
    return Page(items=[], has_next_page=False, has_previous_page=after is not None, count_total=_zero)
