"""The audit log's documents. Insert and read only: nothing here updates or deletes an
entry, so no API can."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bson import ObjectId
from pymongo.asynchronous.database import AsyncDatabase

from domain.audit import AuditEntry, AuditFilter, AuditResult
from domain.users import Role
from repositories.documents import by_ids
from repositories.ids import to_object_id
from repositories.pagination import Page, Paging, SortKey, find_page

AUDIT_LOG = "audit_log"
#: Newest first; the indexes (m0009) lead with the filter's equalities, then this order.
NEWEST_FIRST = SortKey("at", descending=True)


def _document(entry: AuditEntry) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "_id": ObjectId(entry.id),
        "at": entry.at,
        "actor": {"id": ObjectId(entry.actor_id), "name": entry.actor_name, "role": entry.actor_role.value},
        "operation": entry.operation,
        "ids": list(entry.ids),
        "result": entry.result.value,
        "errorCodes": list(entry.error_codes),
        "requestId": entry.request_id,
    }
    if entry.token_id is not None or entry.token_name is not None:
        doc["token"] = {"id": entry.token_id, "name": entry.token_name}
    return doc


def _entry(doc: Mapping[str, Any]) -> AuditEntry:
    actor = doc["actor"]
    token = doc.get("token") or {}
    return AuditEntry(
        id=str(doc["_id"]),
        at=doc["at"],
        actor_id=str(actor["id"]),
        actor_name=actor["name"],
        actor_role=Role(actor["role"]),
        token_id=token.get("id"),
        token_name=token.get("name"),
        operation=doc["operation"],
        ids=tuple(doc["ids"]),
        result=AuditResult(doc["result"]),
        error_codes=tuple(doc["errorCodes"]),
        request_id=doc["requestId"],
    )


def query(where: AuditFilter) -> dict[str, Any]:
    """Flat equalities and one range on `at`, the shape the indexes answer."""
    q: dict[str, Any] = {}
    if where.actor_id is not None:
        # A malformed id names nobody: it matches nothing rather than everything.
        q["actor.id"] = to_object_id(where.actor_id)
    if where.operation is not None:
        q["operation"] = where.operation
    at: dict[str, Any] = {}
    if where.since is not None:
        at["$gte"] = where.since
    if where.until is not None:
        at["$lte"] = where.until
    if at:
        q["at"] = at
    return q


class AuditRepository:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._log = db[AUDIT_LOG]

    @staticmethod
    def new_id() -> str:
        return str(ObjectId())

    async def insert(self, entry: AuditEntry) -> None:
        await self._log.insert_one(_document(entry))

    async def by_ids(self, ids: Sequence[str]) -> list[AuditEntry | None]:
        return await by_ids(self._log, ids, _entry)

    async def page(self, where: AuditFilter, paging: Paging) -> Page[AuditEntry]:
        return await find_page(self._log, query(where), NEWEST_FIRST, paging, _entry)
