"""Subscriptions (graphql-transport-ws at /graphql): what changed, as the subscriber may
read it. Each event carries the changed object read through the same loaders and access
policy as a query: an event about something the subscriber may not read is not sent,
and masked fields stay masked."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from domain.errors import NotFound
from domain.events import Topic
from repositories.events import Change, EventFilter
from resolvers import complaints as complaint_cases
from resolvers import contacts as contact_cases
from resolvers import contracts as contract_cases
from resolvers import subscriptions as use_cases
from resolvers import visits as visit_cases
from resolvers.context import Context
from schema.complaints import Complaint
from schema.contacts import Contact, ContactRelationship
from schema.contracts import ServiceContract
from schema.customers import Customer
from schema.key_accounts import KeyAccount
from schema.node import argument_id
from schema.permissions import CanReadDossiers
from schema.visits import FollowUp, VisitLog
from schema.webhooks import EventType


@strawberry.interface(description="One change: its id (the same as webhooks'), kind, time and cursor.")
class ChangeEvent:
    event_id: str = strawberry.field(description="The event's id: de-duplicate by it.")
    type: EventType
    at: datetime
    cursor: str = strawberry.field(
        description="Pass it as `after` when subscribing again to get what was missed (within "
        "RAPPORT_SUBSCRIPTION_RESUME_WINDOW_MINUTES)."
    )


@strawberry.type(description="A customer was created, their profile changed or they moved stage.")
class CustomerChangedEvent(ChangeEvent):
    customer: Customer = strawberry.field(description="As you may read them now.")


@strawberry.type(
    description="A dossier changed: a visit, a follow-up done, a contact or a link between two, a "
    "contract, the grade, the manager or team, the account's profile (category, industry, company)."
)
class KeyAccountActivityEvent(ChangeEvent):
    key_account: KeyAccount
    visit: VisitLog | None = strawberry.field(description="VISIT_LOGGED: the visit.")
    follow_up: FollowUp | None = strawberry.field(description="FOLLOW_UP_COMPLETED: the follow-up.")
    contact: Contact | None = strawberry.field(description="CONTACT_*: the contact (null once removed).")
    contract: ServiceContract | None = strawberry.field(description="CONTRACT_ADDED: the contract.")
    relationship: ContactRelationship | None = strawberry.field(
        description="CONTACTS_LINKED: the relationship (null once unlinked)."
    )


@strawberry.type(description="A complaint was filed, moved, or one of its SLA clocks breached.")
class ComplaintEvent(ChangeEvent):
    complaint: Complaint
    clock: str | None = strawberry.field(description="COMPLAINT_SLA_BREACHED: the clock (FIRST_RESPONSE…).")
    action: str | None = strawberry.field(description="COMPLAINT_MOVED: the move (ACKNOWLEDGE…).")


@strawberry.input
class ComplaintEventFilter:
    owner_id: strawberry.ID | None = None
    department_id: strawberry.ID | None = None
    key_account_id: strawberry.ID | None = None


def _common(ctx: Context, change: Change) -> dict[str, object]:
    event = change.event
    return {
        "event_id": event.id,
        "type": event.type,
        "at": event.at,
        "cursor": use_cases.cursor_of(ctx, change),
    }


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Changes to one customer (or, without `id`, every customer you may read)."
    )
    async def customer_changed(
        self, info: strawberry.Info, id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[CustomerChangedEvent, None]:
        ctx: Context = info.context
        use_cases.session_of(ctx)
        local = argument_id(id, "Customer", "id") if id is not None else None
        if local is not None and await ctx.customer_by_id.load(local) is None:
            raise NotFound("no customer with this id", "id")
        async for change in use_cases.changes(ctx, EventFilter(Topic.CUSTOMER, customer_id=local), after):
            found = await ctx.customer_by_id.load(change.event.customer_id)
            if found is not None:
                yield CustomerChangedEvent(customer=Customer.from_domain(found), **_common(ctx, change))  # type: ignore[arg-type]

    @strawberry.subscription(
        permission_classes=[CanReadDossiers],
        description="A key account's dossier activity (or, without `id`, of every dossier you may read).",
    )
    async def key_account_activity(
        self, info: strawberry.Info, id: strawberry.ID | None = None, after: str | None = None
    ) -> AsyncGenerator[KeyAccountActivityEvent, None]:
        ctx: Context = info.context
        use_cases.session_of(ctx)
        local = argument_id(id, "KeyAccount", "id") if id is not None else None
        if local is not None and await ctx.key_account_by_id.load(local) is None:
            raise NotFound("no key account with this id", "id")
        where = EventFilter(Topic.KEY_ACCOUNT, key_account_id=local)
        async for change in use_cases.changes(ctx, where, after):
            event = change.event
            account = await ctx.key_account_by_id.load(event.key_account_id or "")
            if account is None:
                continue  # not in the subscriber's book (any more)
            record = event.record_id
            visit = follow_up = contact = contract = relationship = None
            if record is not None and event.type.value == "VISIT_LOGGED":
                [found_visit] = await visit_cases.visits_by_ids(ctx, [record])
                visit = VisitLog.from_domain(found_visit) if found_visit else None
            elif record is not None and event.type.value == "FOLLOW_UP_COMPLETED":
                [pair] = await visit_cases.follow_ups_by_ids(ctx, [record])
                follow_up = FollowUp.from_domain(*pair) if pair else None
            elif record is not None and event.type.value.startswith("CONTACT_"):
                [found_contact] = await contact_cases.contacts_by_ids(ctx, [record])
                contact = Contact.from_domain(found_contact) if found_contact else None
            elif record is not None and event.type.value == "CONTRACT_ADDED":
                [found_contract] = await contract_cases.contracts_by_ids(ctx, [record])
                contract = ServiceContract.from_domain(found_contract) if found_contract else None
            elif record is not None and event.type.value.startswith("CONTACTS_"):
                [found_link] = await contact_cases.relationships_by_ids(ctx, [record])
                relationship = ContactRelationship.from_domain(found_link) if found_link else None
            yield KeyAccountActivityEvent(
                key_account=KeyAccount.from_domain(account),
                visit=visit,
                follow_up=follow_up,
                contact=contact,
                contract=contract,
                relationship=relationship,
                **_common(ctx, change),  # type: ignore[arg-type]
            )

    @strawberry.subscription(
        permission_classes=[CanReadDossiers],
        description="Complaints filed, moved or breaching an SLA clock, that you may read; "
        "`filter` narrows them to an owner, a department or a key account (as the change left the item).",
    )
    async def complaint_events(
        self, info: strawberry.Info, filter: ComplaintEventFilter | None = None, after: str | None = None
    ) -> AsyncGenerator[ComplaintEvent, None]:
        ctx: Context = info.context
        use_cases.session_of(ctx)
        given = filter or ComplaintEventFilter()
        where = EventFilter(
            Topic.COMPLAINT,
            owner_id=argument_id(given.owner_id, "User", "filter.ownerId") if given.owner_id else None,
            department_id=argument_id(given.department_id, "Department", "filter.departmentId")
            if given.department_id
            else None,
            key_account_id=argument_id(given.key_account_id, "KeyAccount", "filter.keyAccountId")
            if given.key_account_id
            else None,
        )
        async for change in use_cases.changes(ctx, where, after):
            event = change.event
            [found] = await complaint_cases.complaints_by_ids(ctx, [event.complaint_id or ""])
            if found is None:
                continue
            yield ComplaintEvent(
                complaint=Complaint.from_domain(found),
                clock=event.detail.get("clock"),
                action=event.detail.get("action"),
                **_common(ctx, change),  # type: ignore[arg-type]
            )
