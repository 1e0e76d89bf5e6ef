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
from strawberry.utils.operation import get_operation_type


@dataclass
class OperationRecord:
    name: str | None = None  # None: anonymous, or no document
    type: str | None = None  # "query", "mutation", "subscription"; None: no operation found


current_operation: ContextVar[OperationRecord | None] = ContextVar("current_operation", default=None)


class RecordOperation(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        record = current_operation.get()
        context = self.execution_context
        if record is None or context.graphql_document is None:
            return
        try:
            operation_type = get_operation_type(context.graphql_document, context.operation_name)
        except RuntimeError:  # the document has no operation by that name
            return
        record.name = context.operation_name
        record.type = operation_type.value
