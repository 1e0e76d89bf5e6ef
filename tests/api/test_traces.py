"""OpenTelemetry traces (server/tracing.py): one trace per request, holding the request's
span (with the request id), the GraphQL operation's and the database commands', none of
them quoting the request's values; and nothing traced unless OTEL_* variables ask."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.pymongo import CommandTracer
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pymongo import monitoring

from domain.users import Role
from schema import build_schema
from server import tracing
from server.app import create_app
from server.database import Database, close_client, connect
from server.runtime import query_limits
from server.tracing import REQUEST_ID, GraphQLSpans, Tracing, TracingConfig, TracingConfigError, config_from
from tests.conftest import _caller

CREATE = """mutation NewCustomer($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id } errors { code field } } }"""
EMAIL = "trace.me@example.com"


@asynccontextmanager
async def traced_app(
    settings, db, mongo_uri, clock
) -> AsyncIterator[tuple[httpx.AsyncClient, InMemorySpanExporter]]:
    """The app with traces sent to memory, on a client of its own connected with tracing
    (the session's client is not traced: the tracer is given to a client, not to PyMongo)."""
    spans = InMemorySpanExporter()
    traces = Tracing.exporting_to(spans)
    client, traced_db = connect(mongo_uri, db.name, 60_000, traces)
    app = create_app(settings, database=Database(client=client, db=traced_db), clock=clock, traces=traces)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://rapport.test"
        ) as http:
            yield http, spans
    finally:
        await close_client(client, 5)
        traces.provider.shutdown()


def _by_trace(spans: tuple[ReadableSpan, ...]) -> dict[int, list[ReadableSpan]]:
    traces: dict[int, list[ReadableSpan]] = {}
    for span in spans:
        traces.setdefault(span.context.trace_id, []).append(span)
    return traces


def _the_request(spans: tuple[ReadableSpan, ...], request_id: str) -> list[ReadableSpan]:
    [found] = [
        trace
        for trace in _by_trace(spans).values()
        if any(span.attributes.get(REQUEST_ID) == request_id for span in trace)
    ]
    return found


async def test_a_request_is_one_trace_with_its_operation_and_database_commands(
    db, mongo_uri, mongo_client, clock, settings
) -> None:
    async with traced_app(settings, db, mongo_uri, clock) as (http, spans):
        admin = await _caller(http, db, Role.ADMIN, clock(), "Trace Admin")
        spans.clear()
        response = await admin.http.post(
            "/graphql",
            json={"query": "query Me { me { id name } customers(first: 2) { totalCount } }"},
            headers={
                "Authorization": f"Bearer {admin.token}",
                "X-Request-ID": "a3c5e7f9b1d34e6f8a0b2c4d6e8f0a1b",
            },
        )
        assert response.status_code == 200 and "errors" not in response.json()
        request_id = response.headers["x-request-id"]
        await mongo_client[db.name].customers.count_documents({})  # an untraced client's command
        finished = spans.get_finished_spans()

    trace_spans = _the_request(finished, request_id)
    assert len(_by_trace(finished)) == 1  # the untraced client's command made no span
    [request] = [s for s in trace_spans if s.kind is SpanKind.SERVER]
    assert request.parent is None
    assert request.attributes[REQUEST_ID] == request_id
    assert request.attributes["http.status_code"] == 200
    [operation] = [
        s for s in trace_spans if s.attributes.get("component") == "graphql" and s.name.startswith("query")
    ]
    assert operation.name == "query Me"
    assert operation.attributes["graphql.operation.name"] == "Me"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert "query" not in operation.attributes  # the document is not in the span
    assert operation.parent.span_id == request.context.span_id
    fields = {s.name: s for s in trace_spans if s.name.startswith("GraphQL field")}
    assert {"GraphQL field me", "GraphQL field customers"} <= set(fields)
    assert all(s.parent.span_id == operation.context.span_id for s in fields.values())
    assert not any(key.startswith("graphql.param.") for s in fields.values() for key in s.attributes)
    commands = [s for s in trace_spans if s.attributes.get("db.system") == "mongodb"]
    assert len(commands) >= 2  # the token's check and the customers' count, at least
    assert all(s.kind is SpanKind.CLIENT for s in commands)
    assert all(s.attributes["db.statement"] == s.name.rpartition(".")[2] for s in commands)  # no document
    assert any(s.parent.span_id == fields["GraphQL field customers"].context.span_id for s in commands)
    ids = {s.context.span_id for s in trace_spans}
    assert all(s.parent is None or s.parent.span_id in ids for s in trace_spans)


async def test_a_duplicate_key_failure_is_marked_by_its_code_and_no_span_holds_the_email(
    db, mongo_uri, clock, settings
) -> None:
    async with traced_app(settings, db, mongo_uri, clock) as (http, spans):
        agent = await _caller(http, db, Role.CX_AGENT, clock(), "Trace Agent")
        created = await agent.execute(CREATE, {"input": {"name": "Tracy Trace", "email": EMAIL}})
        assert created["createCustomer"]["errors"] == []
        spans.clear()
        again = await agent.post(CREATE, {"input": {"name": "Tracy Twice", "email": EMAIL}})
        assert again.json()["data"]["createCustomer"]["errors"][0]["field"] == "email"
        request_id = again.headers["x-request-id"]
        finished = spans.get_finished_spans()

    trace_spans = _the_request(finished, request_id)
    failed = [
        s
        for s in trace_spans
        if s.attributes.get("db.system") == "mongodb" and s.status.status_code is StatusCode.ERROR
    ]
    assert failed, [(s.name, s.status) for s in trace_spans]
    [insert] = [s for s in failed if s.name.endswith(".insert")]
    assert insert.status.description == "DuplicateKey" and insert.attributes["error.type"] == "DuplicateKey"
    # Every failure is described by a code name only (aborting the failed transaction may
    # fail too, by its code: NoSuchTransaction).
    assert all(s.status.description.isidentifier() for s in failed)
    everything = "\n".join(span.to_json() for span in finished)
    assert EMAIL not in everything and "Tracy" not in everything
    assert "E11000" not in everything and "dup key" not in everything
    assert agent.token not in everything


async def test_a_get_query_string_and_secret_headers_stay_out_of_the_request_span(
    db, mongo_uri, clock, settings, monkeypatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", ".*")
    async with traced_app(settings, db, mongo_uri, clock) as (http, spans):
        admin = await _caller(http, db, Role.ADMIN, clock(), "Trace Reader")
        spans.clear()
        response = await http.get(
            "/graphql",
            params={
                "query": 'query Find { customers(first: 1, filter: { search: "Secretname" }) { totalCount } }'
            },
            headers={"Authorization": f"Bearer {admin.token}", "Accept": "application/json"},
        )
        assert response.status_code == 200, response.text
        finished = spans.get_finished_spans()
    [request] = [s for s in finished if s.kind is SpanKind.SERVER]
    assert request.attributes["http.url"] == "http://rapport.test/graphql"
    everything = "\n".join(span.to_json() for span in finished)
    assert "Secretname" not in everything and admin.token not in everything
    assert request.attributes["http.request.header.authorization"] == ("[REDACTED]",)


def test_the_otel_variables_switch_tracing_on() -> None:
    assert config_from({}) is None
    assert config_from({"OTEL_SERVICE_NAME": "rapport"}) is None
    assert config_from({"OTEL_TRACES_EXPORTER": "none"}) is None
    assert config_from({"OTEL_TRACES_EXPORTER": "console"}) == TracingConfig(exporters=("console",))
    assert config_from({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:pw@collector:4318?k=v"}) == TracingConfig(
        exporters=("otlp",), endpoint="http://collector:4318"
    )
    assert config_from({"OTEL_TRACES_EXPORTER": "otlp,console"}).exporters == ("otlp", "console")
    assert config_from({"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "true"}) is None
    assert config_from({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "TRUE"}) is None
    with pytest.raises(TracingConfigError, match="zipkin"):
        config_from({"OTEL_TRACES_EXPORTER": "zipkin"})
    with pytest.raises(TracingConfigError, match="http/protobuf"):
        config_from({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"})


async def test_without_otel_variables_nothing_is_instrumented(
    db, mongo_client, mongo_uri, clock, settings, monkeypatch
) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.setattr(tracing, "_process", tracing._UNSET)  # read the variables again
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    assert tracing.from_environment() is None
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)  # none was set
    assert not [m for m in app.user_middleware if m.cls is tracing.RequestSpans]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://rapport.test"
    ) as http:
        assert (await http.get("/healthz")).status_code == 200
    assert not isinstance(app.middleware_stack, OpenTelemetryMiddleware)
    schema = build_schema(query_limits(settings))
    assert not [e for e in schema.extensions if isinstance(e, type) and issubclass(e, GraphQLSpans)]
    assert not any(isinstance(e(), GraphQLSpans) for e in schema.extensions if not isinstance(e, type))
    client, _ = connect(mongo_uri, db.name)
    try:
        listeners = client.options.event_listeners
        assert listeners and not [listener for listener in listeners if isinstance(listener, CommandTracer)]
    finally:
        await close_client(client, 5)
    assert not [
        listener
        for listener in monitoring._LISTENERS.command_listeners
        if isinstance(listener, CommandTracer)
    ]


def _span_of(hook, event) -> ReadableSpan:
    spans = InMemorySpanExporter()
    traces = Tracing.exporting_to(spans)
    with traces.tracer("test").start_as_current_span("db.insert") as span:
        span.set_status(
            trace.Status(StatusCode.ERROR, f"E11000 duplicate key error dup key: {{ emailKey: {EMAIL!r} }}")
        )
        hook(span, event)
    [finished] = spans.get_finished_spans()
    return finished


def test_a_failed_command_is_described_by_its_code_name_not_the_servers_message() -> None:
    message = f"E11000 duplicate key error collection: rapport.customers index: emailKey dup key: {{ emailKey: {EMAIL!r} }}"
    failed = SimpleNamespace(failure={"ok": 0, "code": 11000, "codeName": "DuplicateKey", "errmsg": message})
    span = _span_of(tracing._command_failed, failed)
    assert span.status.description == "DuplicateKey" and EMAIL not in span.to_json()
    network = SimpleNamespace(failure={"errmsg": f"connection closed {EMAIL}", "errtype": "AutoReconnect"})
    assert _span_of(tracing._command_failed, network).status.description == "AutoReconnect"


def test_a_write_the_server_answered_with_write_errors_is_marked_failed_by_their_codes() -> None:
    reply = {
        "ok": 1,
        "n": 0,
        "writeErrors": [
            {"index": 0, "code": 11000, "errmsg": f"dup key {EMAIL}", "keyValue": {"emailKey": EMAIL}}
        ],
    }
    span = _span_of(tracing._command_succeeded, SimpleNamespace(reply=reply))
    assert span.status.status_code is StatusCode.ERROR and span.status.description == "DuplicateKey"
    assert span.attributes[tracing.WRITE_ERROR_CODES] == ("11000",)
    assert EMAIL not in span.to_json()


async def test_an_exception_the_app_raises_is_recorded_by_its_type_and_raised_again() -> None:
    spans = InMemorySpanExporter()

    async def broken(scope, receive, send) -> None:
        raise RuntimeError(f"could not write {EMAIL}")

    middleware = tracing.RequestSpans(broken, Tracing.exporting_to(spans))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/graphql",
        "query_string": b"q=x",
        "headers": [],
        "server": ("rapport.test", 80),
        "scheme": "http",
        "http_version": "1.1",
    }

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message) -> None:
        pass

    with pytest.raises(RuntimeError, match="could not write"):
        await middleware(scope, receive, send)
    [span] = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR and span.status.description == "RuntimeError"
    assert EMAIL not in span.to_json()
