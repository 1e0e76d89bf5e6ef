"""Contact use cases: a key account's contacts and who knows whom."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from domain.errors import NotFound
from domain.events import EventType
from domain.key_accounts import (
    Contact,
    ContactRelationship,
    KeyAccount,
    Relationship,
    check_contact,
    check_link,
)
from repositories.transactions import in_transaction
from resolvers.access import shown_relationship
from resolvers.context import Context
from resolvers.key_accounts import announce, editable_account
from resolvers.outcome import Outcome, attempt


async def contacts_by_ids(ctx: Context, ids: list[str]) -> list[Contact | None]:
    return await ctx.contact_by_id.load_many(ids)


async def relationships_by_ids(ctx: Context, ids: list[str]) -> list[ContactRelationship | None]:
    """Relationships between two contacts the caller may both read (a link to someone
    else's contact is theirs to know about, not the caller's)."""
    access = await ctx.access()
    found = await ctx.contacts.relationships_by_ids(ids)
    ends = [c for r in found if r for c in (r.from_contact_id, r.to_contact_id)]
    readable = {c.id for c in await ctx.contact_by_id.load_many(ends) if c is not None}
    return [
        shown_relationship(access, r) if r and {r.from_contact_id, r.to_contact_id} <= readable else None
        for r in found
    ]


async def add_contact(ctx: Context, key_account_id: str, fields: dict[str, Any]) -> Outcome[Contact]:
    async def work() -> Contact:
        clean = check_contact(fields, ctx.clock().date(), creating=True, phone_region=ctx.phone_region)
        account = await editable_account(ctx, key_account_id)
        now = ctx.clock()

        async def save(session: AsyncClientSession) -> Contact:
            added = await ctx.contacts.add(account.id, clean, now, session)
            await _announce(ctx, session, EventType.CONTACT_ADDED, account, added.id)
            return added

        return await in_transaction(ctx.db, save)

    return await attempt(work())


async def _editable_contact(ctx: Context, contact_id: str, field_path: str) -> tuple[Contact, KeyAccount]:
    [contact] = await contacts_by_ids(ctx, [contact_id])
    if contact is None:
        raise NotFound("no contact with this id", field_path)
    return contact, await editable_account(ctx, contact.key_account_id, field_path)


async def _announce(
    ctx: Context,
    session: AsyncClientSession,
    type: EventType,
    account: KeyAccount,
    record_id: str,
    detail: dict[str, str] | None = None,
) -> None:
    """The dossier's event: `record_id` is the contact, or the relationship (linking)."""
    await announce(ctx, session, type, account, ctx.clock(), record_id=record_id, detail=detail)


async def update_contact(
    ctx: Context, contact_id: str, expected_version: int, fields: dict[str, Any]
) -> Outcome[Contact]:
    async def work() -> Contact:
        clean = check_contact(fields, ctx.clock().date(), creating=False, phone_region=ctx.phone_region)
        contact, account = await _editable_contact(ctx, contact_id, "id")
        now = ctx.clock()

        async def save(session: AsyncClientSession) -> Contact:
            saved = await ctx.contacts.update(contact, expected_version, clean, now, session)
            await _announce(ctx, session, EventType.CONTACT_UPDATED, account, saved.id)
            return saved

        return await in_transaction(ctx.db, save)

    return await attempt(work())


async def remove_contact(ctx: Context, contact_id: str) -> Outcome[Contact]:
    """Removes the contact and its relationships in one transaction; returns what was removed."""

    async def work() -> Contact:
        contact, account = await _editable_contact(ctx, contact_id, "id")

        async def remove(session: AsyncClientSession) -> None:
            await ctx.contacts.remove(contact.id, session)
            await _announce(ctx, session, EventType.CONTACT_REMOVED, account, contact.id)

        await in_transaction(ctx.db, remove)
        return contact

    return await attempt(work())


async def link_contacts(
    ctx: Context, from_id: str, to_id: str, relationship: Relationship, note: str | None
) -> Outcome[Contact]:
    """Relate two contacts (possibly of two accounts, e.g. a supplier); returns the first."""

    async def work() -> Contact:
        source, target = await contacts_by_ids(ctx, [from_id, to_id])
        if source is None:
            raise NotFound("no contact with this id", "fromContactId")
        if target is None:
            raise NotFound("no contact with this id", "toContactId")
        clean_note = check_link(source, target, note)
        account = await editable_account(ctx, source.key_account_id, "fromContactId")
        now = ctx.clock()

        async def save(session: AsyncClientSession) -> None:
            link_id = await ctx.contacts.link(source.id, target.id, relationship, clean_note, now, session)
            detail = {"relationship": relationship.value}
            await _announce(ctx, session, EventType.CONTACTS_LINKED, account, link_id, detail)

        await in_transaction(ctx.db, save)
        return source

    return await attempt(work())


async def unlink_contacts(ctx: Context, relationship_id: str) -> Outcome[Contact]:
    async def work() -> Contact:
        [link] = await relationships_by_ids(ctx, [relationship_id])
        if link is None:
            raise NotFound("no relationship with this id", "relationshipId")
        source, account = await _editable_contact(ctx, link.from_contact_id, "relationshipId")

        async def remove(session: AsyncClientSession) -> None:
            await ctx.contacts.unlink(relationship_id, session)
            detail = {"relationship": link.relationship.value}
            await _announce(ctx, session, EventType.CONTACTS_UNLINKED, account, relationship_id, detail)

        await in_transaction(ctx.db, remove)
        return source

    return await attempt(work())
