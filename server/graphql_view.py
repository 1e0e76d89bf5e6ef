"""Strawberry's ASGI view, with authentication first and the request context built here."""

from __future__ import annotations

from typing import Any

import orjson
from asgi_correlation_id import correlation_id
from cross_web import HTTPException
from graphql import DocumentNode, FieldNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from repositories.availability import database_unavailable
from repositories.tokens import TokenRepository
from resolvers.context import Context
from resolvers.sign_in import SignInContext
from schema.error_policy import SERVICE_UNAVAILABLE, UNAVAILABLE_MESSAGE
from server.auth import authenticate, bearer_token
from server.database import counting_commands
from server.rate_limit import RateLimiter
from server.runtime import Runtime

GRAPHQL_RESPONSE = "application/graphql-response+json"
RETRY_LATER = {"Retry-After": "5"}


def _accepts_graphql_response(request: Request) -> bool:
    return GRAPHQL_RESPONSE in request.headers.get("accept", "")


def _is_request_error(result: ExecutionResult) -> bool:
    """Refused before execution (parse, validation, variable coercion): no data at all."""
    return result.data is None and bool(result.errors) and all(e.path is None for e in result.errors or ())


def _error_response(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> Response:
    """A GraphQL error answered before anything executes: JSON, like every other answer."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(orjson.dumps(body), status_code=status, media_type="application/json", headers=headers)


def _unavailable(request_id: str) -> Response:
    body = {
        "errors": [
            {
                "message": UNAVAILABLE_MESSAGE,
                "extensions": {"code": SERVICE_UNAVAILABLE, "requestId": request_id},
            }
        ]
    }
    return Response(orjson.dumps(body), status_code=503, media_type="application/json", headers=RETRY_LATER)


def _unauthenticated(message: str, *, token_presented: bool) -> Response:
    # RFC 6750: a request that brought a token is told it is invalid (the same words for
    # unknown, expired and revoked ones); one that brought none is only told the scheme.
    challenge = 'Bearer realm="rapport"' + (', error="invalid_token"' if token_presented else "")
    return _error_response(401, message, "UNAUTHENTICATED", {"WWW-Authenticate": challenge})


def signs_in_only(document: DocumentNode) -> bool:
    """Every definition is a mutation whose root fields are all `signIn` (or __typename)."""
    operations = document.definitions
    return bool(operations) and all(
        isinstance(op, OperationDefinitionNode)
        and op.operation is OperationType.MUTATION
        and all(
            isinstance(field, FieldNode) and field.name.value in SIGN_IN_FIELDS
            for field in op.selection_set.selections
        )
        and any(
            isinstance(field, FieldNode) and field.name.value == "signIn"
            for field in op.selection_set.selections
        )
        for op in operations
    )


SIGN_IN_FIELDS = frozenset({"signIn", "__typename"})


class RapportGraphQL(GraphQL[Context | SignInContext | None, None]):
    def __init__(
        self,
        *args: Any,
        report_db_commands: bool = False,
        rate_limiter: RateLimiter | None = None,
        max_query_tokens: int = 2000,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.report_db_commands = report_db_commands
        self.rate_limiter = rate_limiter
        self.max_query_tokens = max_query_tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with counting_commands() as count:
            scope.setdefault("state", {})["db_commands"] = count
            await self._handle(scope, receive, send)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if await self._signs_in(request):
                # Needs no token (and ignores one): it can only sign in. Counted per client
                # address instead, on top of the slowdown per name.
                runtime = request.app.state.runtime
                client = request.client.host if request.client else "unknown"
                if (too_many := self._over_rate_limit(f"sign-in:{client}", runtime)) is not None:
                    await too_many(scope, receive, send)
                    return
                scope["state"]["sign_in"] = True
            elif not self._wants_ide(request):
                runtime = request.app.state.runtime
                try:
                    caller = await authenticate(
                        request,
                        TokenRepository(runtime.db),
                        runtime.clock(),
                        demo_allowed=runtime.settings.is_development,
                        last_used_interval=runtime.settings.token_last_used_interval,
                    )
                except Exception as error:
                    if not database_unavailable(error):
                        raise
                    await _unavailable(correlation_id.get() or "")(scope, receive, send)
                    return
                if caller is None:
                    refusal = _unauthenticated(
                        "a valid bearer token is required", token_presented=bearer_token(request) is not None
                    )
                    await refusal(scope, receive, send)
                    return
                if (too_many := self._over_rate_limit(caller.token.id, runtime)) is not None:
                    await too_many(scope, receive, send)
                    return
                scope["state"]["viewer"] = caller.user
                scope["state"]["token"] = caller.token
            try:
                response = await self.run(request)
            except HTTPException as error:  # the request itself is malformed
                response = _error_response(error.status_code, error.reason, "BAD_USER_INPUT")
            await response(scope, receive, send)
            return
        await super().__call__(scope, receive, send)

    async def _signs_in(self, request: Request) -> bool:
        """Whether this is a POST whose every operation is a mutation of only `signIn`
        fields: the one thing a request without a token may do. Only bodies that name
        signIn are parsed here (the parse is bounded like Strawberry's)."""
        if request.method != "POST" or not request.headers.get("content-type", "").startswith(
            "application/json"
        ):
            return False
        body = await request.body()
        if b"signIn" not in body:
            return False
        try:
            query = orjson.loads(body).get("query")
            document = parse(query, max_tokens=self.max_query_tokens) if isinstance(query, str) else None
        except (orjson.JSONDecodeError, AttributeError, GraphQLError):
            return False
        return document is not None and signs_in_only(document)

    def _over_rate_limit(self, token_id: str, runtime: Runtime) -> Response | None:
        """429 once the token has made its requests for this minute (after authentication,
        so only valid tokens are counted; keyed by the token record's public id)."""
        if self.rate_limiter is None:
            return None
        wait = self.rate_limiter.retry_after(token_id, runtime.clock())
        if wait is None:
            return None
        message = (
            f"more than {self.rate_limiter.per_minute} requests a minute with this token; retry in {wait} s"
        )
        return _error_response(429, message, "RATE_LIMITED", {"Retry-After": str(wait)})

    def _wants_ide(self, request: Request) -> bool:
        # The GraphiQL page itself is public in development; its queries carry the token.
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    async def get_context(self, request: Any, response: Any) -> Context | SignInContext | None:
        runtime: Runtime = request.app.state.runtime
        if getattr(request.state, "sign_in", False):
            return SignInContext(
                request_id=correlation_id.get() or "",
                clock=runtime.clock,
                db=runtime.db,
                rules=runtime.settings.sign_in_rules,
            )
        viewer = getattr(request.state, "viewer", None)
        if viewer is None:
            return None  # only the GraphiQL page itself, which executes nothing
        return Context(
            viewer=viewer,
            request_id=correlation_id.get() or "",
            clock=runtime.clock,
            db=runtime.db,
            visit_cadence=runtime.settings.visit_cadence,
            phone_region=runtime.settings.phone_default_region,
            cursor_key=await runtime.cursor_key(),
            compensation_limit=runtime.settings.compensation_approval_limit,
            value_rules=runtime.settings.value_rules,
            care_rules=runtime.settings.care_rules,
            token=getattr(request.state, "token", None),
        )

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        response = await super().run(request, context, root_value)
        if (
            isinstance(request, Request)
            and _accepts_graphql_response(request)
            and isinstance(response, Response)
        ):
            # GraphQL over HTTP: a client that accepts the GraphQL media type gets it, and
            # a request error (nothing executed) as HTTP 400.
            if response.headers.get("content-type", "").startswith("application/json"):
                response.headers["content-type"] = f"{GRAPHQL_RESPONSE}; charset=utf-8"
            if getattr(request.state, "request_error", False):
                response.status_code = 400
        if (
            isinstance(request, Request)
            and isinstance(response, Response)
            and getattr(request.state, "database_unavailable", False)
        ):
            response.status_code = 503
            response.headers.update(RETRY_LATER)
        return response

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        if any((e.extensions or {}).get("code") == SERVICE_UNAVAILABLE for e in result.errors or ()):
            request.state.database_unavailable = True
        if _is_request_error(result) and _accepts_graphql_response(request):
            request.state.request_error = True
            response.pop("data", None)
        if self.report_db_commands:
            # What the query cost, for frontend teams (development only).
            count = request.state.db_commands
            response["extensions"] = {
                **(response.get("extensions") or {}),
                "db": {"commands": count.commands},
            }
        return response

    def parse_json(self, data: str | bytes) -> Any:
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, "Unable to parse request body as JSON") from error
        if not isinstance(body, dict):
            # null, "str", 123, true, [...]: no operation to run. A batch (an array of
            # operations) is refused whole: it would multiply every per-request limit.
            raise HTTPException(400, "the request body must be a JSON object with a query")
        return body

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
