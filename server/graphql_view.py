"""Strawberry's ASGI view, with authentication first and the request context built here."""

from __future__ import annotations

from typing import Any

import orjson
from asgi_correlation_id import correlation_id
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from repositories.users import UserRepository
from resolvers.context import Context
from server.auth import authenticate
from server.runtime import Runtime


def _unauthenticated(message: str) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}]}
    return Response(
        orjson.dumps(body),
        status_code=401,
        media_type="application/json",
        headers={"WWW-Authenticate": 'Bearer realm="rapport"'},
    )


class RapportGraphQL(GraphQL):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive)
            if not self._wants_ide(request):
                runtime: Runtime = request.app.state.runtime
                viewer = await authenticate(request, UserRepository(runtime.db))
                if viewer is None:
                    await _unauthenticated("a valid bearer token is required")(scope, receive, send)
                    return
                scope.setdefault("state", {})["viewer"] = viewer
        await super().__call__(scope, receive, send)

    def _wants_ide(self, request: Request) -> bool:
        # The GraphiQL page itself is public in development; its queries carry the token.
        return (
            self.graphql_ide is not None
            and request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and "query" not in request.query_params
        )

    async def get_context(self, request: Any, response: Any) -> Context:
        runtime: Runtime = request.app.state.runtime
        return Context(
            viewer=request.state.viewer,
            request_id=correlation_id.get() or "",
            clock=runtime.clock,
            db=runtime.db,
        )

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)
