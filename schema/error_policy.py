"""Error policy: expected GraphQL errors keep their message and get a code; anything
unexpected is masked for the client and logged with the request id.

Applied in Schema.process_errors, the one hook that sees every error (syntax errors from
the parser cache never reach an on_operation extension). Errors are classified in place,
as Strawberry itself does when it removes field suggestions.
"""

from __future__ import annotations

import structlog
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError

from domain.errors import BadArgument, Forbidden
from repositories.availability import database_unavailable

log = structlog.get_logger("rapport.graphql")

BAD_USER_INPUT = "BAD_USER_INPUT"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "the database is unavailable; try again shortly"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
MASKED_MESSAGE = "Internal server error"
CLIENT_MISTAKES = (GraphQLError, BadArgument, GlobalIDValueError)


def classify(error: GraphQLError, request_id: str | None) -> None:
    if (error.extensions or {}).get("code"):
        return  # already classified (permissions: FORBIDDEN)
    original = error.original_error
    if isinstance(original, Forbidden):
        error.extensions = {**(error.extensions or {}), "code": "FORBIDDEN"}
        return
    if original is None or isinstance(original, CLIENT_MISTAKES):
        # Parse, validation and coercion errors and malformed arguments: the client's
        # request is wrong, and the message says how (and which argument, when we know).
        error.extensions = {**(error.extensions or {}), "code": getattr(original, "code", BAD_USER_INPUT)}
        if field := getattr(original, "field", None):
            error.extensions["field"] = field
        return
    if database_unavailable(original):
        log.warning(
            "database unavailable", path=error.path, request_id=request_id, error=type(original).__name__
        )
        error.message = UNAVAILABLE_MESSAGE
        error.original_error = None
        error.extensions = {"code": SERVICE_UNAVAILABLE, "requestId": request_id}
        return
    log.error(
        "unexpected error",
        path=error.path,
        request_id=request_id,
        exc_info=(type(original), original, original.__traceback__),
    )
    error.message = MASKED_MESSAGE
    error.original_error = None
    error.extensions = {"code": INTERNAL_SERVER_ERROR, "requestId": request_id}
