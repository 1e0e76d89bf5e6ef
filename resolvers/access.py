"""The access policy applied to what a request loads: records come from the repositories
already scoped (domain.access.Scope as a query filter); here the personal fields of the
records the viewer may read but not see in full are masked, with each collection's one
declaration of its personal fields."""

from __future__ import annotations

import dataclasses

from domain.access import Access, mask
from domain.complaints import Complaint
from domain.customers import Customer, CustomerKind
from domain.figures import CustomerFigures
from domain.key_accounts import Contact, ContactLink, ContactRelationship, KeyAccount
from domain.loyalty import LedgerEntry
from domain.touchpoints import Touchpoint
from repositories import complaints, contacts, customers, key_accounts, loyalty, touchpoints

_ORGANISATION_MASKED = dataclasses.replace(customers.MASKED, names=())


def shown_customer(access: Access, customer: Customer) -> Customer:
    if not access.figures.admits(customer_id=customer.id):
        # Tiers, RFM and churn risk come from purchases: withheld (null), not zero.
        customer = dataclasses.replace(
            customer, figures=CustomerFigures(), churn_risk=None, figures_withheld=True
        )
    if access.shows_customer(customer.id):
        return customer
    # An organisation's name is not personal data; its contact details may be a person's.
    personal = customers.MASKED if customer.kind is CustomerKind.PERSON else _ORGANISATION_MASKED
    return mask(customer, personal)


def shown_complaint(access: Access, complaint: Complaint) -> Complaint:
    """An item's texts are about the customer: whoever reads the customer masked reads
    them masked too (analysts read the classification, status and clocks)."""
    return complaint if access.shows_customer(complaint.customer_id) else mask(complaint, complaints.MASKED)


def shown_key_account(access: Access, account: KeyAccount) -> KeyAccount:
    return account if access.people_in_dossiers else mask(account, key_accounts.MASKED)


def shown_contact(access: Access, contact: Contact) -> Contact:
    return contact if access.people_in_dossiers else mask(contact, contacts.MASKED)


def shown_link(access: Access, link: ContactLink) -> ContactLink:
    return link if access.people_in_dossiers else mask(link, contacts.LINK_MASKED)


def shown_relationship(access: Access, link: ContactRelationship) -> ContactRelationship:
    return link if access.people_in_dossiers else mask(link, contacts.LINK_MASKED)


def shown_touchpoint(access: Access, touchpoint: Touchpoint) -> Touchpoint:
    """What the customer said is theirs: masked for whoever reads the customer masked."""
    return (
        touchpoint if access.shows_customer(touchpoint.customer_id) else mask(touchpoint, touchpoints.MASKED)
    )


def shown_entry(access: Access, entry: LedgerEntry) -> LedgerEntry:
    """A redemption's reason and an award's note are about the customer: masked as the
    customer is (the points, kinds and times are not personal)."""
    return entry if access.shows_customer(entry.customer_id) else mask(entry, loyalty.MASKED)
