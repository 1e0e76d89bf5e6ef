"""What changed, as the event log records it: one event per change that subscribers and
webhooks are told about, written in the change's own transaction (the outbox).

An event names what changed (its type, the records by id, a few codes such as the stages
or statuses moved between) and never carries the record itself or any personal data:
whoever is told about it reads the record through the access policy, as a query would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum


class Topic(Enum):
    """The three feeds: a customer's own changes, a key account's dossier, complaints."""

    CUSTOMER = "CUSTOMER"
    KEY_ACCOUNT = "KEY_ACCOUNT"
    COMPLAINT = "COMPLAINT"


class EventType(Enum):
    CUSTOMER_CREATED = "CUSTOMER_CREATED"
    CUSTOMER_UPDATED = "CUSTOMER_UPDATED"  # profile, consent, sharing
    CUSTOMER_STAGE_CHANGED = "CUSTOMER_STAGE_CHANGED"  # any lifecycle move: people, purchases, the churn scan
    GRADE_CHANGED = "GRADE_CHANGED"
    VISIT_LOGGED = "VISIT_LOGGED"
    FOLLOW_UP_COMPLETED = "FOLLOW_UP_COMPLETED"
    CONTACT_ADDED = "CONTACT_ADDED"
    CONTACT_UPDATED = "CONTACT_UPDATED"
    CONTACT_REMOVED = "CONTACT_REMOVED"
    CONTRACT_ADDED = "CONTRACT_ADDED"
    CONTACTS_LINKED = "CONTACTS_LINKED"  # the record is the relationship
    CONTACTS_UNLINKED = "CONTACTS_UNLINKED"
    MANAGER_ASSIGNED = "MANAGER_ASSIGNED"  # the owner is the manager now
    TEAM_ASSIGNED = "TEAM_ASSIGNED"
    KEY_ACCOUNT_UPDATED = "KEY_ACCOUNT_UPDATED"  # category, industry, company profile
    COMPLAINT_FILED = "COMPLAINT_FILED"
    COMPLAINT_MOVED = "COMPLAINT_MOVED"
    COMPLAINT_SLA_BREACHED = "COMPLAINT_SLA_BREACHED"

    @property
    def topic(self) -> Topic:
        return TOPICS[self]


TOPICS: Mapping[EventType, Topic] = {
    EventType.CUSTOMER_CREATED: Topic.CUSTOMER,
    EventType.CUSTOMER_UPDATED: Topic.CUSTOMER,
    EventType.CUSTOMER_STAGE_CHANGED: Topic.CUSTOMER,
    EventType.GRADE_CHANGED: Topic.KEY_ACCOUNT,
    EventType.VISIT_LOGGED: Topic.KEY_ACCOUNT,
    EventType.FOLLOW_UP_COMPLETED: Topic.KEY_ACCOUNT,
    EventType.CONTACT_ADDED: Topic.KEY_ACCOUNT,
    EventType.CONTACT_UPDATED: Topic.KEY_ACCOUNT,
    EventType.CONTACT_REMOVED: Topic.KEY_ACCOUNT,
    EventType.CONTRACT_ADDED: Topic.KEY_ACCOUNT,
    EventType.CONTACTS_LINKED: Topic.KEY_ACCOUNT,
    EventType.CONTACTS_UNLINKED: Topic.KEY_ACCOUNT,
    EventType.MANAGER_ASSIGNED: Topic.KEY_ACCOUNT,
    EventType.TEAM_ASSIGNED: Topic.KEY_ACCOUNT,
    EventType.KEY_ACCOUNT_UPDATED: Topic.KEY_ACCOUNT,
    EventType.COMPLAINT_FILED: Topic.COMPLAINT,
    EventType.COMPLAINT_MOVED: Topic.COMPLAINT,
    EventType.COMPLAINT_SLA_BREACHED: Topic.COMPLAINT,
}


@dataclass(frozen=True)
class Event:
    """One change. `customer_id` is always set (every feed is about a customer, which is
    what sharing with partners and erasure are keyed by); the other ids say which record
    of the customer's changed. `detail` holds codes only (stages, grades, statuses, the
    complaint action, the SLA clock, a relationship, the fields edited), never free text."""

    id: str
    type: EventType
    at: datetime
    customer_id: str
    key_account_id: str | None = None
    complaint_id: str | None = None
    record_id: str | None = None  # the visit, follow-up, contact, contract or relationship
    owner_id: str | None = (
        None  # a complaint's owner (and department), or a key account's manager, as the change left them
    )
    department_id: str | None = None
    detail: Mapping[str, str] = field(default_factory=dict)

    @property
    def topic(self) -> Topic:
        return self.type.topic


def prune_before(now: datetime, retention: timedelta, *still_needed_for: timedelta) -> datetime:
    """Events committed before this may leave the log: older than the retention and than
    every window that may still read them (a subscriber resuming within its window, a
    delivery retrying within its own). Those not fanned out to webhooks yet, or with a
    delivery still pending, stay whatever their age (the job checks)."""
    return now - max(retention, *still_needed_for)
