"""Every root mutation field leaves one audit entry, whatever its resolver does: this
field extension is put on every field of the Mutation type when the schema is built
(`audit_mutations`), so a new mutation is audited without a line of its own, and
queries pay nothing for it (a schema-wide resolve hook would wrap every field).

Field permissions run inside the field's resolution, so a refused mutation reaches here
as a raised FORBIDDEN error; payload errors (VALIDATION, NOT_FOUND, ...) as the payload's
`errors`; anything else as a raised exception. What is kept is ids and codes only: the
global ids found in the input and the ids of the Nodes in the payload, never the input's
values (schema/audit.py reads the log; domain/audit.py says what an entry is).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from enum import Enum
from typing import Any

import structlog
from strawberry import Info
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import AsyncExtensionResolver

from domain.audit import AuditEntry
from domain.errors import Forbidden
from repositories.availability import database_unavailable
from resolvers import audit as use_cases
from resolvers.sign_in import SignInContext
from schema.error_policy import BAD_USER_INPUT, CLIENT_MISTAKES, INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE
from schema.node import Node, global_id, node_global_id

log = structlog.get_logger("rapport.audit")

#: Global ids are short (base64 of "Type:" and 24 hex digits); longer strings are text.
GLOBAL_ID_MAX = 100
#: How deep the input is searched for ids (input objects hold lists of inputs at most).
INPUT_DEPTH = 6
#: Input fields never read, not even for ids: a password could look like one.
SECRET_INPUT_FIELDS = frozenset({"password"})


def error_code(error: BaseException) -> str:
    """The code the client will see for a raised error (schema/error_policy.classify)."""
    code = (getattr(error, "extensions", None) or {}).get("code")
    if isinstance(code, str):
        return code  # field permissions: FORBIDDEN
    if isinstance(error, Forbidden):
        return "FORBIDDEN"
    if isinstance(error, CLIENT_MISTAKES):
        return BAD_USER_INPUT
    if database_unavailable(error):
        return SERVICE_UNAVAILABLE
    return INTERNAL_SERVER_ERROR


def input_ids(value: Any, depth: int = INPUT_DEPTH) -> Iterator[str]:
    """The global ids of records anywhere in a mutation's arguments (input objects are
    dataclasses once Strawberry has converted them)."""
    if isinstance(value, str):
        if len(value) <= GLOBAL_ID_MAX and (found := node_global_id(value)):
            yield found
    elif depth and dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            if field.name not in SECRET_INPUT_FIELDS:
                yield from input_ids(getattr(value, field.name, None), depth - 1)
    elif depth and isinstance(value, dict):
        for item in value.values():
            yield from input_ids(item, depth - 1)
    elif depth and isinstance(value, list | tuple):
        for item in value:
            yield from input_ids(item, depth - 1)


def payload_ids(payload: Any) -> Iterator[str]:
    """The ids of the Nodes a mutation answers: the payload itself or its fields."""
    for value in _payload_values(payload):
        if isinstance(value, Node):
            yield value.id
        elif isinstance(value, list | tuple):
            yield from (item.id for item in value if isinstance(item, Node))


def payload_error_codes(payload: Any) -> Iterator[str]:
    for error in getattr(payload, "errors", None) or ():
        code = getattr(error, "code", None)
        if code is not None:
            yield code.value if isinstance(code, Enum) else str(code)


def _payload_values(payload: Any) -> Iterator[Any]:
    yield payload
    if dataclasses.is_dataclass(payload) and not isinstance(payload, Node | type):
        for field in dataclasses.fields(payload):
            yield getattr(payload, field.name, None)


class AuditedMutation(FieldExtension):
    """Outermost on its field (added last), so a permission's refusal reaches it raised.
    Async only: a synchronous mutation would be refused when the schema is built."""

    async def resolve_async(
        self, next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        if isinstance(info.context, SignInContext):
            return await _signed_in(next_, source, info, **kwargs)
        ids = list(input_ids(kwargs))
        try:
            result = await next_(source, info, **kwargs)
        except Exception as error:
            await _record(info, ids, [error_code(error)], raised=error)
            raise
        await _record(info, [*ids, *payload_ids(result)], list(payload_error_codes(result)))
        return result


def audit_mutations(mutation: type) -> None:
    """Put the audit extension on every field of the Mutation type (once, however many
    schemas are built from it)."""
    for field in mutation.__strawberry_definition__.fields:  # type: ignore[attr-defined]
        if not any(isinstance(e, AuditedMutation) for e in field.extensions):
            field.extensions.append(AuditedMutation())


async def _record(info: Info, ids: list[str], codes: list[str], raised: Exception | None = None) -> None:
    """Write the entry. The entry is written after the mutation, since only then are its
    result and the ids it created known (a write before would need a second write to
    finish it). If it cannot be written, the mutation's answer is not given as if all
    were well: the full entry (ids and codes, nothing personal) goes to the error log
    with the request id, and the client gets a masked error (INTERNAL_SERVER_ERROR, or
    SERVICE_UNAVAILABLE) carrying that request id instead of the payload. A mutation
    that itself raised keeps its own error."""
    ctx = info.context
    entry = use_cases.mutation_entry(ctx, info.field_name, ids, codes)
    try:
        await use_cases.record(ctx, entry)
    except Exception as write_error:
        log.error("audit entry not written", **_loggable(entry), exc_info=write_error)
        if raised is None:
            raise


async def _signed_in(next_: AsyncExtensionResolver, source: Any, info: Info, **kwargs: Any) -> Any:
    """A request without a token (only signIn runs there). A session opened is recorded
    with the user who signed in as the actor and the new session as the token; a refused
    sign-in is recorded like a 401, which is to say not here (its count is kept in
    sign_in_failures, and the server logs nothing of what was typed)."""
    result = await next_(source, info, **kwargs)
    session = getattr(result, "_session", None)
    if session is not None:
        ctx = info.context
        entry = use_cases.sign_in_entry(
            ctx, info.field_name, session.user, session.token, [global_id("User", session.user.id)]
        )
        try:
            await use_cases.record_sign_in(ctx, entry)
        except Exception as write_error:
            log.error("audit entry not written", **_loggable(entry), exc_info=write_error)
            raise
    return result


def _loggable(entry: AuditEntry) -> dict[str, Any]:
    """The entry without names (a user's name is personal data) or the token: ids, role, codes."""
    return {
        "request_id": entry.request_id,
        "audit_id": entry.id,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_role": entry.actor_role.value,
        "operation": entry.operation,
        "ids": list(entry.ids),
        "result": entry.result.value,
        "error_codes": list(entry.error_codes),
    }
