"""Every collection, by what it holds about customers: each repository's PERSONAL_DATA
declaration, and the collections that hold nothing about a customer. A test checks that
every collection in the database is in one list or the other, so a new collection must
declare itself before export and erasure can miss it."""

from __future__ import annotations

from repositories import (
    audit,
    care,
    care_activities,
    care_letters,
    complaint_stats,
    complaints,
    contacts,
    contracts,
    coupons,
    customers,
    jobs,
    key_accounts,
    loyalty,
    records,
    rollups,
    service_keys,
    sign_in,
    tokens,
    touchpoints,
    users,
    visits,
)
from repositories.personal_data import Holding

CUSTOMER_DATA: tuple[Holding, ...] = (
    customers.PERSONAL_DATA,
    key_accounts.PERSONAL_DATA,
    contacts.PERSONAL_DATA,
    contacts.LINK_PERSONAL_DATA,
    visits.PERSONAL_DATA,
    contracts.PERSONAL_DATA,
    complaints.PERSONAL_DATA,
    complaints.EVENTS_DATA,
    complaints.IMPROVEMENTS_DATA,
    complaints.NEEDS_DATA,
    records.PURCHASE_PERSONAL_DATA,
    touchpoints.PERSONAL_DATA,
    care.PLANS_DATA,
    care.TASKS_DATA,
    care_letters.TOTALS_DATA,
    loyalty.LEDGER_PERSONAL_DATA,
    loyalty.LOTS_PERSONAL_DATA,
    loyalty.BALANCES_PERSONAL_DATA,
    loyalty.REFERRALS_PERSONAL_DATA,
    coupons.PERSONAL_DATA,
)

#: Staff, their tokens and failed sign-ins, the audit log (ids and codes only), service keys, migrations,
#: job leases and runs (names, times and counts).
NOTHING_ABOUT_CUSTOMERS: frozenset[str] = frozenset(
    {
        users.USERS,
        tokens.TOKENS,
        audit.AUDIT_LOG,
        service_keys.COLLECTION,
        sign_in.COLLECTION,  # failed sign-ins per staff name typed: nothing about a customer
        "_migrations",
        complaints.POLICIES,
        complaints.DEPARTMENTS,
        complaints.ROUTING,
        complaint_stats.DAILY,  # totals by day, owner and department ids: nothing about a customer
        jobs.LEASES,
        jobs.RUNS,
        *rollups.ROLLUPS,  # totals by day, channel, stage and score cell: nothing about one customer
        care.TEMPLATES,  # care rules
        care.HOLIDAYS,
        care_activities.ACTIVITIES,  # campaigns and their totals: nothing about one customer
    }
)
