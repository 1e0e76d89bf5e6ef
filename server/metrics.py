"""Every Prometheus metric the service exposes, defined here and nowhere else, and the
`/metrics` route (RAPPORT_METRICS_ENABLED; off by default, then a 404).

The metrics live in prometheus-client's default registry for the life of the process (with
its process and Python collectors: CPU, memory, open files, garbage collection): they are
recorded whether or not the route is served, at the cost of a counter increment.

Labels are bounded: operation names are GraphQL names the documents define, at most
RAPPORT_METRICS_MAX_OPERATIONS of them per process (the first seen; then `other`); an
anonymous operation is `anonymous`, a request that named none (a 401, a body that did not
parse) `none`; codes, commands and outcomes come from small fixed sets.

For work that has no code here yet (webhook deliveries, subscriptions), the metrics are
already defined, so that whoever writes it records into them:

    from server import metrics
    metrics.observe_webhook_attempt("delivered", seconds)  # retried, gave_up, skipped
    metrics.SUBSCRIPTIONS_OPEN.labels(subscription="customerChanged").inc()  # .dec() on close
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING

from graphql import FieldNode, GraphQLError, GraphQLSchema, OperationDefinitionNode, parse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from pymongo import monitoring
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from server.settings import Settings

if TYPE_CHECKING:
    from server.request_log import RequestRecord

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0)

# --- requests ---
HTTP_REQUESTS = Counter(
    "rapport_http_requests", "HTTP requests answered, by route and status.", ["route", "status"]
)
HTTP_IN_FLIGHT = Gauge(
    "rapport_http_requests_in_flight", "HTTP requests being served now, by route.", ["route"]
)
GRAPHQL_REQUESTS = Counter(
    "rapport_graphql_requests",
    "GraphQL requests, by operation name, operation type and outcome (ok, partial, refused, error, "
    "unauthenticated, rate_limited, too_large, unavailable).",
    ["operation", "type", "outcome"],
)
GRAPHQL_SECONDS = Histogram(
    "rapport_graphql_request_duration_seconds",
    "Time from the request's arrival to its response's last byte, by operation name and type.",
    ["operation", "type"],
    buckets=LATENCY_BUCKETS,
)
GRAPHQL_ERRORS = Counter("rapport_graphql_errors", "Top-level GraphQL errors, by extensions.code.", ["code"])
# --- the database ---
DB_COMMANDS = Counter(
    "rapport_db_commands", "Database commands sent, by command and outcome.", ["command", "outcome"]
)
DB_SECONDS = Histogram(
    "rapport_db_command_duration_seconds",
    "Time the database took to answer a command, as the driver measured it.",
    ["command"],
    buckets=DB_BUCKETS,
)
DB_POOL_CONNECTIONS = Gauge(
    "rapport_db_pool_connections", "Open connections in the driver's pools, by server.", ["address"]
)
DB_POOL_IN_USE = Gauge(
    "rapport_db_pool_connections_in_use", "Connections checked out of the pools, by server.", ["address"]
)
DB_POOL_MAX = Gauge(
    "rapport_db_pool_max_size", "The pools' maximum size (maxPoolSize), by server.", ["address"]
)
DB_POOL_WAIT_SECONDS = Histogram(
    "rapport_db_pool_checkout_wait_seconds",
    "Time spent waiting for a connection from the pool.",
    buckets=DB_BUCKETS,
)
DB_POOL_CHECKOUT_FAILURES = Counter(
    "rapport_db_pool_checkout_failures",
    "Connections the pool could not give, by reason (timeout, connectionError, poolClosed).",
    ["reason"],
)
# --- background jobs ---
JOB_RUNS = Counter(
    "rapport_job_runs",
    "Job runs, by job and status (SUCCEEDED, FAILED, SKIPPED_LEASE_HELD; ERROR: the runner itself "
    "could not reach the database).",
    ["job", "status"],
)
JOB_SECONDS = Histogram(
    "rapport_job_run_duration_seconds",
    "Time a job run took, skipped runs excluded.",
    ["job"],
    buckets=JOB_BUCKETS,
)
# --- hooks for work that records into them (see the module's docstring) ---
WEBHOOK_DELIVERIES = Counter(
    "rapport_webhook_deliveries", "Webhook delivery attempts, by outcome.", ["outcome"]
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "rapport_webhook_delivery_duration_seconds",
    "Time a webhook delivery attempt took.",
    buckets=LATENCY_BUCKETS,
)
SUBSCRIPTIONS_OPEN = Gauge(
    "rapport_subscriptions_open", "GraphQL subscriptions open now, by field.", ["subscription"]
)

ANONYMOUS, NO_OPERATION, OTHER = "anonymous", "none", "other"
_NAME = re.compile(r"^[_A-Za-z][_0-9A-Za-z]{0,99}$")
_COMMAND = re.compile(r"^[A-Za-z]{1,40}$")
_ROUTES = {"/graphql": "graphql", "/healthz": "healthz", "/readyz": "readyz", "/metrics": "metrics"}


class OperationNames:
    """Operation names as labels: the first `limit` distinct names seen keep theirs, every
    later one is `other`, so a client inventing names cannot grow the series without bound."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._seen: set[str] = set()

    def label(self, name: str | None, operation_type: str | None) -> str:
        if operation_type is None:
            return NO_OPERATION
        if name is None:
            return ANONYMOUS
        if not _NAME.match(name):
            return OTHER
        if name in self._seen:
            return name
        if len(self._seen) >= self.limit:
            return OTHER
        self._seen.add(name)
        return name


OPERATION_NAMES = OperationNames(Settings.model_fields["metrics_max_operations"].default)


def route(path: str) -> str:
    if path in _ROUTES:
        return _ROUTES[path]
    return "app" if path == "/" or path == "/app" or path.startswith("/app/") else "other"


def observe_request(record: RequestRecord) -> None:
    """A finished request, as server.request_log recorded it."""
    HTTP_REQUESTS.labels(route=route(record.path), status=str(record.status)).inc()
    if not record.is_graphql:
        return
    operation = OPERATION_NAMES.label(record.operation.name, record.operation.type)
    operation_type = record.operation.type or NO_OPERATION
    GRAPHQL_REQUESTS.labels(operation=operation, type=operation_type, outcome=record.outcome).inc()
    GRAPHQL_SECONDS.labels(operation=operation, type=operation_type).observe(record.duration_s)
    for code in record.error_codes:
        GRAPHQL_ERRORS.labels(code=code).inc()


def observe_webhook_attempt(outcome: str, seconds: float | None) -> None:
    """A webhook delivery attempt's end (resolvers/webhook_delivery.Sender.observe)."""
    WEBHOOK_DELIVERIES.labels(outcome=outcome).inc()
    if seconds is not None:
        WEBHOOK_DELIVERY_SECONDS.observe(seconds)


def subscription_field(schema: GraphQLSchema, query: str) -> str:
    """The subscription field a document opens, as a label: one of the schema's, else
    `other` (a document that does not parse, or names none)."""
    try:
        [operation] = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
        [selection] = operation.selection_set.selections
    except (GraphQLError, ValueError):
        return OTHER
    fields = schema.subscription_type.fields if schema.subscription_type else {}
    name = selection.name.value if isinstance(selection, FieldNode) else ""
    return name if name in fields else OTHER


def observe_job(job: str, status: str, seconds: float | None) -> None:
    JOB_RUNS.labels(job=job, status=status).inc()
    if seconds is not None:
        JOB_SECONDS.labels(job=job).observe(seconds)


def _command(name: str) -> str:
    return name if _COMMAND.match(name) else OTHER


class CommandMetrics(monitoring.CommandListener):
    """Every command a client sends: how many, which, how long the database took."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        command = _command(event.command_name)
        DB_COMMANDS.labels(command=command, outcome="ok").inc()
        DB_SECONDS.labels(command=command).observe(event.duration_micros / 1e6)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        command = _command(event.command_name)
        DB_COMMANDS.labels(command=command, outcome="failed").inc()
        DB_SECONDS.labels(command=command).observe(event.duration_micros / 1e6)


def _address(event: monitoring._PoolEvent | monitoring._ConnectionEvent) -> str:
    host, port = event.address
    return f"{host}:{port}"


class PoolMetrics(monitoring.ConnectionPoolListener):
    """The driver's connection pools: open, in use, their size, waits and failures."""

    def pool_created(self, event: monitoring.PoolCreatedEvent) -> None:
        DB_POOL_MAX.labels(address=_address(event)).set(event.options.get("maxPoolSize", 100))

    def pool_ready(self, event: monitoring.PoolReadyEvent) -> None:
        pass

    def pool_cleared(self, event: monitoring.PoolClearedEvent) -> None:
        pass

    def pool_closed(self, event: monitoring.PoolClosedEvent) -> None:
        pass

    def connection_created(self, event: monitoring.ConnectionCreatedEvent) -> None:
        DB_POOL_CONNECTIONS.labels(address=_address(event)).inc()

    def connection_ready(self, event: monitoring.ConnectionReadyEvent) -> None:
        pass

    def connection_closed(self, event: monitoring.ConnectionClosedEvent) -> None:
        DB_POOL_CONNECTIONS.labels(address=_address(event)).dec()

    def connection_check_out_started(self, event: monitoring.ConnectionCheckOutStartedEvent) -> None:
        pass

    def connection_check_out_failed(self, event: monitoring.ConnectionCheckOutFailedEvent) -> None:
        DB_POOL_CHECKOUT_FAILURES.labels(reason=_command(event.reason)).inc()

    def connection_checked_out(self, event: monitoring.ConnectionCheckedOutEvent) -> None:
        DB_POOL_IN_USE.labels(address=_address(event)).inc()
        if event.duration is not None:
            DB_POOL_WAIT_SECONDS.observe(event.duration)

    def connection_checked_in(self, event: monitoring.ConnectionCheckedInEvent) -> None:
        DB_POOL_IN_USE.labels(address=_address(event)).dec()


def listeners() -> list[monitoring._EventListener]:
    return [CommandMetrics(), PoolMetrics()]


def routes(settings: Settings) -> list[Route]:
    """`/metrics` when enabled; with RAPPORT_METRICS_TOKEN, only for `Bearer <that token>`."""
    if not settings.metrics_enabled:
        return []
    OPERATION_NAMES.limit = settings.metrics_max_operations
    expected = settings.metrics_token.get_secret_value().encode() if settings.metrics_token else None

    async def scrape(request: Request) -> Response:
        if expected is not None:
            scheme, _, presented = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), expected):
                return Response(
                    "a valid bearer token is required\n",
                    status_code=401,
                    media_type="text/plain",
                    headers={"WWW-Authenticate": 'Bearer realm="rapport-metrics"'},
                )
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", scrape, methods=["GET"])]
