"""The audit log as ADMIN reads it: entries are Nodes, listed newest first. Nothing in the
schema changes or deletes an entry (schema/audit_trail.py writes them)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from domain import audit as domain
from repositories.pagination import Paging
from resolvers import audit as use_cases
from schema.node import Node, argument_id, global_id, node_type
from schema.pagination import Connection, connection
from schema.permissions import CanReadAuditLog
from schema.users import Role

# strawberry.enum marks the class itself; the alias is what type checkers accept as a type.
AuditResult = domain.AuditResult
strawberry.enum(
    AuditResult,
    name="AuditResult",
    description=(
        "OK: done. REFUSED: the caller may not (FORBIDDEN). REJECTED: understood and refused "
        "(VALIDATION, NOT_FOUND, VERSION_CONFLICT, ...). FAILED: an unexpected error."
    ),
)


@strawberry.type(description="Who made the request, as they were named at the time.")
class AuditActor:
    id: strawberry.ID = strawberry.field(description="The user's global id.")
    name: str
    role: Role


@node_type
@strawberry.type(description="One mutation, allowed or refused. Holds ids and codes, never input values.")
class AuditEntry(Node):
    at: datetime
    actor: AuditActor
    token_id: str | None = strawberry.field(description="The id of the API token used, if known.")
    token_name: str | None = strawberry.field(description="The name of the API token used, if known.")
    operation: str = strawberry.field(description="The mutation's name, e.g. createCustomer.")
    ids: list[strawberry.ID] = strawberry.field(
        description="Global ids the mutation touched: those in its input and those it answered."
    )
    result: AuditResult
    error_codes: list[str] = strawberry.field(description="The codes of its errors, if any.")
    request_id: str = strawberry.field(description="The request's X-Request-ID, as in the server log.")

    @classmethod
    def from_domain(cls, e: domain.AuditEntry) -> AuditEntry:
        return cls(
            id=global_id("AuditEntry", e.id),
            at=e.at,
            actor=AuditActor(id=global_id("User", e.actor_id), name=e.actor_name, role=e.actor_role),
            token_id=e.token_id,
            token_name=e.token_name,
            operation=e.operation,
            ids=[strawberry.ID(i) for i in e.ids],
            result=e.result,
            error_codes=list(e.error_codes),
            request_id=e.request_id,
        )

    @classmethod
    async def resolve_nodes(cls, info: strawberry.Info, ids: list[str]) -> list[AuditEntry | None]:
        found = await use_cases.entries_by_ids(info.context, ids)
        return [cls.from_domain(e) if e else None for e in found]


@strawberry.input(description="Every part optional; the parts given must all match.")
class AuditLogFilter:
    actor_id: strawberry.ID | None = strawberry.field(default=None, description="A user's global id.")
    operation: str | None = strawberry.field(default=None, description="A mutation's name.")
    from_: datetime | None = strawberry.field(default=None, name="from", description="At or after.")
    to: datetime | None = strawberry.field(default=None, description="At or before.")


@strawberry.type
class AuditQueries:
    @connection(
        permission_classes=[CanReadAuditLog],
        description="Every mutation, allowed or refused, newest first (ADMIN).",
    )
    async def audit_log(
        self,
        info: strawberry.Info,
        paging: Paging,
        filter: AuditLogFilter | None = None,
    ) -> Connection[AuditEntry]:
        where = filter or AuditLogFilter()
        actor_id = None if where.actor_id is None else argument_id(where.actor_id, "User", "filter.actorId")
        page = await use_cases.list_entries(
            info.context,
            domain.AuditFilter(
                actor_id=actor_id, operation=where.operation, since=where.from_, until=where.to
            ),
            paging,
        )
        return Connection.of(page, AuditEntry.from_domain, info.context.cursors)
