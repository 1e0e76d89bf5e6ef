"""Which operation a request ran, for its log line, its metrics and its trace.

The HTTP layer puts an `OperationRecord` in `current_operation` before the request
reaches Strawberry; the `RecordOperation` extension fills it once the document is parsed.
Only a name that the document itself defines is recorded (an `operationName` naming no
operation of the document is the client's text, not an operation), so names are always
GraphQL names: letters, digits and underscores.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from strawberry.extensions import SchemaExtension
from strawberry.types.execution import ExecutionContext
from strawberry.utils.operation import get_operation_type


@dataclass
class OperationRecord:
    name: str | None = None  # None: anonymous, or no document
    type: str | None = None  # "query", "mutation", "subscription"; None: no operation found


current_operation: ContextVar[OperationRecord | None] = ContextVar("current_operation", default=None)


def defined_operation(context: ExecutionContext) -> tuple[str | None, str] | None:
    """The operation's name (None: anonymous) and type, once the document is parsed; None
    when there is no document or it has no operation by the requested name."""
    if context.graphql_document is None:
        return None
    try:
        operation_type = get_operation_type(context.graphql_document, context.operation_name)
    except RuntimeError:  # the document has no operation by that name
        return None
    return context.operation_name, operation_type.value


class RecordOperation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        record = current_operation.get()
        if record is None or (defined := defined_operation(self.execution_context)) is None:
            return
        record.name, record.type = defined
