"""Error policy: expected GraphQL errors keep their message and get a code; anything
unexpected is masked for the client and logged with the request id."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from domain.errors import BadArgument

log = structlog.get_logger("rapport.graphql")

BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
CLIENT_MISTAKES = (GraphQLError, BadArgument, GlobalIDValueError)


def _with_code(error: GraphQLError, code: str) -> GraphQLError:
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(error.extensions or {}), "code": code},
    )


class ErrorPolicy(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self._apply(error) for error in result.errors]

    def _apply(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if (error.extensions or {}).get("code"):
            return error  # already classified (permissions: FORBIDDEN)
        if original is None or isinstance(original, CLIENT_MISTAKES):
            # Parse, validation and coercion errors and malformed arguments: the client's
            # request is wrong, and the message says how.
            return _with_code(error, BAD_USER_INPUT)
        request_id = getattr(self.execution_context.context, "request_id", None)
        log.error(
            "unexpected error",
            path=error.path,
            request_id=request_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        return GraphQLError(
            "Internal server error",
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
        )
