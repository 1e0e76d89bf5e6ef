"""GraphQL shape of a key account's contacts and their network (who knows whom).

A relationship is one record, `ContactRelationship` (a Node, from → to). What a contact
lists is each relationship as seen from that contact (`RelatedContact`: direction and
the other contact). Those views carry no id of their own, so a normalising client cache
never merges the two ends' views into one object.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.permission import BasePermission

from domain import key_accounts as domain
from domain.key_accounts import CONTACT_DETAILS
from resolvers import contacts as use_cases
from resolvers.key_accounts import key_account_by_id
from resolvers.outcome import Outcome
from schema.errors import UserError, payload, respond, sent_fields
from schema.node import InputIds, Node, global_id, node_type
from schema.permissions import CanKeepDossiers

if TYPE_CHECKING:
    from schema.key_accounts import KeyAccount

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
DecisionRole = domain.DecisionRole
strawberry.enum(DecisionRole, name="DecisionRole")
Relationship = domain.Relationship
strawberry.enum(Relationship, name="Relationship")


PEOPLE = "Personal data of the contact: null for ANALYST (only key-account readers see contacts)."


@strawberry.enum
class RelationshipDirection(Enum):
    OUTGOING = "OUTGOING"  # this contact → the other (e.g. this one REPORTS_TO the other)
    INCOMING = "INCOMING"  # the other → this contact


async def _contact(info: strawberry.Info, contact_id: str) -> Contact | None:
    [found] = await use_cases.contacts_by_ids(info.context, [contact_id])
    return Contact.from_domain(found) if found else None


@node_type
@strawberry.type(description="Who knows whom: `from` stands in `relationship` to `to` (e.g. REPORTS_TO).")
class ContactRelationship(Node):
    relationship: Relationship
    note: str | None = strawberry.field(description="Describes people: null for ANALYST.")
    created_at: datetime
    _domain: strawberry.Private[domain.ContactRelationship]

    @strawberry.field(name="from", description="Null if it is in an account you cannot see.")
    async def from_(self, info: strawberry.Info) -> Contact | None:
        return await _contact(info, self._domain.from_contact_id)

    @strawberry.field(description="Null if it is in an account you cannot see.")
    async def to(self, info: strawberry.Info) -> Contact | None:
        return await _contact(info, self._domain.to_contact_id)

    @classmethod
    def from_domain(cls, r: domain.ContactRelationship) -> ContactRelationship:
        return cls(
            id=global_id("ContactRelationship", r.id),
            relationship=r.relationship,
            note=r.note,
            created_at=r.created_at,
            _domain=r,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[ContactRelationship | None]:
        found = await use_cases.relationships_by_ids(info.context, ids)
        return [cls.from_domain(r) if r else None for r in found]


@strawberry.type(description="One of a contact's relationships, seen from that contact.")
class RelatedContact:
    relationship: Relationship
    direction: RelationshipDirection
    note: str | None
    link: ContactRelationship = strawberry.field(
        description="The relationship itself: pass link.id to unlinkContacts."
    )
    _contact_id: strawberry.Private[str]

    @strawberry.field(description="The other contact (null if in an account you cannot see).")
    async def contact(self, info: strawberry.Info) -> Contact | None:
        return await _contact(info, self._contact_id)


@node_type
@strawberry.type
class Contact(Node):
    name: str = strawberry.field(description="The full name; ANALYST reads the first name and initial.")
    title: str | None
    decision_role: DecisionRole
    email: str | None = strawberry.field(description=PEOPLE)
    phone: str | None = strawberry.field(description=PEOPLE)
    birthday: date | None = strawberry.field(description=PEOPLE)
    hobbies: list[str] = strawberry.field(description="Personal data: empty for ANALYST.")
    family: str | None = strawberry.field(description=PEOPLE)
    habits: str | None = strawberry.field(description=PEOPLE)
    social_circle: str | None = strawberry.field(description=PEOPLE)
    office_address: str | None = strawberry.field(description=PEOPLE)
    home_address: str | None = strawberry.field(description=PEOPLE)
    responsibilities: str | None = strawberry.field(description=PEOPLE)
    performance: str | None = strawberry.field(description=PEOPLE)
    goals: str | None = strawberry.field(description=PEOPLE)
    version: int
    created_at: datetime
    updated_at: datetime
    _domain: strawberry.Private[domain.Contact]

    @strawberry.field(description="Who this contact knows, both ways.")
    async def relationships(self, info: strawberry.Info) -> list[RelatedContact]:
        links = await info.context.contact_links_by_contact_id.load(self._domain.id)
        me = self._domain.id
        return [
            RelatedContact(
                relationship=link.relationship,
                direction=RelationshipDirection.OUTGOING if link.outgoing else RelationshipDirection.INCOMING,
                note=link.note,
                link=ContactRelationship.from_domain(
                    domain.ContactRelationship(
                        id=link.id,
                        from_contact_id=me if link.outgoing else link.contact_id,
                        to_contact_id=link.contact_id if link.outgoing else me,
                        relationship=link.relationship,
                        note=link.note,
                        created_at=link.created_at,
                    )
                ),
                _contact_id=link.contact_id,
            )
            for link in links
        ]

    @strawberry.field
    async def key_account(
        self, info: strawberry.Info
    ) -> Annotated[KeyAccount, strawberry.lazy("schema.key_accounts")] | None:
        from schema.key_accounts import KeyAccount

        found = await key_account_by_id(info.context, self._domain.key_account_id)
        return KeyAccount.from_domain(found) if found else None

    @classmethod
    def from_domain(cls, c: domain.Contact) -> Contact:
        details = {name: c.details.get(name) for name in CONTACT_DETAILS}
        return cls(
            id=global_id("Contact", c.id),
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
            _domain=c,
            **details,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[Contact | None]:
        found = await use_cases.contacts_by_ids(info.context, ids)
        return [cls.from_domain(c) if c else None for c in found]


# --- inputs, payloads, mutations ----------------------------------------------------------


@strawberry.input
class AddContactInput:
    key_account_id: strawberry.ID
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
    id: strawberry.ID
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
    id: strawberry.ID


@strawberry.input
class LinkContactsInput:
    from_contact_id: strawberry.ID
    to_contact_id: strawberry.ID
    relationship: Relationship
    note: str | None = None


@strawberry.input
class UnlinkContactsInput:
    relationship_id: strawberry.ID = strawberry.field(description="A ContactRelationship id (link.id).")


@strawberry.type
class ContactPayload:
    contact: Contact | None
    errors: list[UserError]

    @classmethod
    def of(cls, outcome: Outcome[domain.Contact]) -> ContactPayload:
        return payload(cls, "contact", outcome, Contact.from_domain)


KEEP: list[type[BasePermission]] = [CanKeepDossiers]


@strawberry.type
class ContactMutations:
    @strawberry.mutation(permission_classes=KEEP)
    async def add_contact(self, info: strawberry.Info, input: AddContactInput) -> ContactPayload:
        async def use_case() -> Outcome[domain.Contact]:
            ids = InputIds()
            account_id = ids.one(input.key_account_id, "KeyAccount", "keyAccountId")
            ids.check()
            return await use_cases.add_contact(info.context, account_id, sent_fields(input, CONTACT_FIELDS))

        return await respond(ContactPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP)
    async def update_contact(self, info: strawberry.Info, input: UpdateContactInput) -> ContactPayload:
        async def use_case() -> Outcome[domain.Contact]:
            ids = InputIds()
            contact_id = ids.one(input.id, "Contact", "id")
            ids.check()
            fields = sent_fields(input, CONTACT_FIELDS)
            return await use_cases.update_contact(info.context, contact_id, input.expected_version, fields)

        return await respond(ContactPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP, description="Remove a contact and its relationships.")
    async def remove_contact(self, info: strawberry.Info, input: RemoveContactInput) -> ContactPayload:
        async def use_case() -> Outcome[domain.Contact]:
            ids = InputIds()
            contact_id = ids.one(input.id, "Contact", "id")
            ids.check()
            return await use_cases.remove_contact(info.context, contact_id)

        return await respond(ContactPayload.of, use_case)

    @strawberry.mutation(permission_classes=KEEP, description="Relate two contacts; returns the first.")
    async def link_contacts(self, info: strawberry.Info, input: LinkContactsInput) -> ContactPayload:
        async def use_case() -> Outcome[domain.Contact]:
            ids = InputIds()
            from_id = ids.one(input.from_contact_id, "Contact", "fromContactId")
            to_id = ids.one(input.to_contact_id, "Contact", "toContactId")
            ids.check()
            return await use_cases.link_contacts(info.context, from_id, to_id, input.relationship, input.note)

        return await respond(ContactPayload.of, use_case)

    @strawberry.mutation(
        permission_classes=KEEP, description="Remove a relationship; returns its first contact."
    )
    async def unlink_contacts(self, info: strawberry.Info, input: UnlinkContactsInput) -> ContactPayload:
        async def use_case() -> Outcome[domain.Contact]:
            ids = InputIds()
            relationship_id = ids.one(input.relationship_id, "ContactRelationship", "relationshipId")
            ids.check()
            return await use_cases.unlink_contacts(info.context, relationship_id)

        return await respond(ContactPayload.of, use_case)
