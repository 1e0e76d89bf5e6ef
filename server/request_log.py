"""One structured line per HTTP request, written when its response is sent (and the
request's metrics, from the same record).

`RequestLog` wraps every route (inside the correlation id middleware, so the line carries
the request id, and outside the hardening, so a refused body is logged too). It puts a
`RequestRecord` in a context variable that the GraphQL view fills (who called, what the
errors were) and the `RecordOperation` schema extension completes (the operation), then
logs the line:

    request  method=POST path=/graphql status=200 outcome=ok duration_ms=12.3
             operation=Dossier operation_type=query user_id=… role=ACCOUNT_MANAGER
             token_id=… db_commands=14 db_ms=7.9 request_id=…

What the line never holds: the query string (a GET query's text and variables), the
document, variables, headers, tokens (`token_id` is the token record's public id, as
list-tokens shows it), names, emails or any other value from a request or a response.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.error_policy import INTERNAL_SERVER_ERROR
from schema.operation_record import OperationRecord, current_operation
from server import metrics
from server.database import CommandCount, counting_commands

log = structlog.get_logger("rapport.request")

#: Probes and scrapes that answered as expected are logged at DEBUG: an orchestrator asks
#: every few seconds, and a line each time would bury the requests.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
GRAPHQL_PATH = "/graphql"
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")


@dataclass
class RequestRecord:
    method: str
    path: str
    status: int = 0
    user_id: str | None = None
    role: str | None = None
    token_id: str | None = None
    sign_in: bool = False
    #: The top-level GraphQL errors' codes (never their messages).
    error_codes: list[str] = field(default_factory=list)
    #: Refused before anything executed (syntax, validation, limits, variables).
    request_error: bool = False
    operation: OperationRecord = field(default_factory=OperationRecord)
    db: CommandCount = field(default_factory=CommandCount)
    duration_s: float = 0.0

    @property
    def is_graphql(self) -> bool:
        return self.path == GRAPHQL_PATH

    @property
    def outcome(self) -> str:
        return outcome(self.status, self.error_codes, request_error=self.request_error)

    def note_errors(self, errors: list[Any]) -> None:
        """The codes of a result's top-level errors (their extensions.code, or OTHER)."""
        for error in errors:
            code = (getattr(error, "extensions", None) or {}).get("code")
            self.error_codes.append(code if isinstance(code, str) and _CODE.match(code) else "OTHER")


def outcome(status: int, error_codes: list[str], *, request_error: bool = False) -> str:
    """One word for how a request ended, the same in the log and in the metrics."""
    if status == 401:
        return "unauthenticated"
    if status == 429:
        return "rate_limited"
    if status == 413:
        return "too_large"
    if status == 503:
        return "unavailable"
    if status >= 500 or INTERNAL_SERVER_ERROR in error_codes:
        return "error"
    if request_error or status >= 400:
        return "refused"
    return "partial" if error_codes else "ok"


_current: ContextVar[RequestRecord | None] = ContextVar("current_request", default=None)


def current_request() -> RequestRecord | None:
    """The record of the request being served (None outside a request)."""
    return _current.get()


@contextmanager
def recording(record: RequestRecord) -> Iterator[RequestRecord]:
    """Make `record` the current request's, its operation and database counts included."""
    token = _current.set(record)
    operation_token = current_operation.set(record.operation)
    try:
        with counting_commands() as count:
            record.db = count
            yield record
    finally:
        current_operation.reset(operation_token)
        _current.reset(token)


def fields(record: RequestRecord) -> dict[str, Any]:
    """The line's fields; None values are left out."""
    values: dict[str, Any] = {
        "method": record.method,
        "path": record.path,
        "status": record.status,
        "outcome": record.outcome,
        "duration_ms": round(record.duration_s * 1000, 1),
        "db_commands": record.db.commands,
        "db_ms": round(record.db.seconds * 1000, 1),
    }
    if record.is_graphql:
        values |= {
            "operation": record.operation.name,
            "operation_type": record.operation.type,
            "user_id": record.user_id,
            "role": record.role,
            "token_id": record.token_id,
            "sign_in": record.sign_in or None,
            "errors": record.error_codes or None,
        }
    return {k: v for k, v in values.items() if v is not None}


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record = RequestRecord(method=scope["method"], path=scope["path"])
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
            await send(message)

        in_flight = metrics.HTTP_IN_FLIGHT.labels(route=metrics.route(record.path))
        in_flight.inc()
        with recording(record):
            scope.setdefault("state", {})["db_commands"] = record.db
            try:
                await self.app(scope, receive, send_noting_status)
            except BaseException:
                record.status = record.status or 500
                raise
            finally:
                in_flight.dec()
                record.duration_s = time.perf_counter() - started
                finished(record)


def finished(record: RequestRecord) -> None:
    """The request's line: DEBUG for a probe that answered, WARNING for a server error."""
    if record.status >= 500:
        level = "warning"
    elif record.path in QUIET_PATHS and record.status < 400:
        level = "debug"
    else:
        level = "info"
    getattr(log, level)("request", **fields(record))
    metrics.observe_request(record)
