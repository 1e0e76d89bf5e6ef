"""OpenTelemetry traces: off unless the standard OTEL_* variables ask for them.

On when `OTEL_TRACES_EXPORTER` names an exporter (`otlp`, `console`, or both, comma
separated) or, with it unset, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set (then `otlp`); off when neither is set, when it
is `none`, and whenever `OTEL_SDK_DISABLED=true`. OTLP is sent over HTTP/protobuf (the
exporter reads its own OTEL_EXPORTER_OTLP_* variables: endpoint, headers, timeout,
compression); the SDK reads the sampler (`OTEL_TRACES_SAMPLER`), the batch processor's
limits and the resource (`OTEL_SERVICE_NAME`, default `rapport`; `OTEL_RESOURCE_ATTRIBUTES`).

When on, a trace per request holds:
- the request's span (`OpenTelemetryMiddleware` of opentelemetry-instrumentation-asgi), with
  `rapport.request_id`, the X-Request-ID the log lines carry; its URL is the path only (a GET
  query string holds the query and its variables), no header is captured unredacted, and an
  exception is recorded by its type only;
- each GraphQL operation's span (`GraphQLSpans`, Strawberry's `OpenTelemetryExtension` made
  safe), named `query Dossier`, with `graphql.operation.name` and `.type` and the errors'
  codes, never the document or its variables; under it one span per root field, whose
  arguments are not recorded;
- each database command's span (opentelemetry-instrumentation-pymongo's `CommandTracer`,
  given to Rapport's own clients by `server.database.connect`, never registered globally):
  `db.statement` is the command's name only, and a failed command's status is its error's
  code name (`DuplicateKey`), never the server's message, which quotes the key (an email).

What no span holds: documents, variables, arguments, command documents or replies, error
messages, headers' values, tokens.

Every log line written inside a traced request carries its `trace_id` and `span_id`
(`log_trace_ids`, a structlog processor), so a line leads to its trace and back.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import structlog
from asgi_correlation_id import correlation_id
from graphql import GraphQLResolveInfo
from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.pymongo import CommandTracer
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanProcessor,
)
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS,
    get_custom_headers,
)
from pymongo import monitoring
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import LifecycleStep
from strawberry.extensions.tracing import OpenTelemetryExtension
from strawberry.extensions.tracing.utils import should_skip_tracing
from structlog.typing import EventDict

log = structlog.get_logger(__name__)

EXPORTERS = ("otlp", "console")
REQUEST_ID = "rapport.request_id"
ERROR_CODES = "rapport.graphql.error_codes"
WRITE_ERROR_CODES = "db.mongodb.write_error_codes"
#: Header values never put in a span, even when OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_*
#: asks for them (they are replaced by "[REDACTED]").
SECRET_HEADERS = ["authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"]
#: Errors whose operation span is marked as failed (the others are the client's).
SERVER_FAULTS = frozenset({"INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE"})
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,59}$")


class TracingConfigError(ValueError):
    """The OTEL_* variables ask for something this service cannot do."""


@dataclass(frozen=True)
class TracingConfig:
    exporters: tuple[str, ...]
    #: Where OTLP goes, for the start-up line (None: the exporter's default).
    endpoint: str | None = None


def config_from(environ: Mapping[str, str]) -> TracingConfig | None:
    """What the OTEL_* variables ask for; None: tracing is off."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    named = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if named:
        exporters = tuple(dict.fromkeys(e.strip() for e in named.split(",") if e.strip()))
    else:
        exporters = ("otlp",) if endpoint else ()
    if not exporters or exporters == ("none",):
        return None
    if unknown := [e for e in exporters if e not in EXPORTERS]:
        raise TracingConfigError(
            f"OTEL_TRACES_EXPORTER names {', '.join(unknown)}; this service exports to "
            f"{', '.join(EXPORTERS)} or none"
        )
    if "otlp" in exporters:
        protocol = (
            environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
            or environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
            or "http/protobuf"
        )
        if protocol.strip().lower() != "http/protobuf":
            raise TracingConfigError(
                f"OTEL_EXPORTER_OTLP_PROTOCOL is {protocol}; this service sends OTLP over "
                "http/protobuf only (a collector's port 4318)"
            )
    return TracingConfig(exporters=exporters, endpoint=_without_secrets(endpoint) if endpoint else None)


def _without_secrets(url: str) -> str:
    """An endpoint fit for a log line: no user or password, no query."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # reads OTEL_EXPORTER_OTLP_* itself


def _resource() -> Resource:
    detected = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    name = str(detected.attributes.get(SERVICE_NAME, ""))
    if not name or name.startswith("unknown_service"):
        detected = detected.merge(Resource({SERVICE_NAME: "rapport"}))
    return detected


@dataclass(frozen=True, eq=False)
class Tracing:
    """A tracer provider and what instruments the service with it."""

    provider: TracerProvider

    @classmethod
    def with_processors(cls, *processors: SpanProcessor) -> Tracing:
        provider = TracerProvider(resource=_resource())  # the sampler: OTEL_TRACES_SAMPLER
        for processor in processors:
            provider.add_span_processor(processor)
        return cls(provider)

    @classmethod
    def exporting_to(cls, exporter: SpanExporter) -> Tracing:
        """Each span sent to `exporter` as it ends (tests: an InMemorySpanExporter)."""
        return cls.with_processors(SimpleSpanProcessor(exporter))

    @classmethod
    def start(cls, config: TracingConfig) -> Tracing:
        """OTLP in batches (off the request's path), the console span by span."""
        return cls.with_processors(
            *(
                SimpleSpanProcessor(_exporter(name))
                if name == "console"
                else BatchSpanProcessor(_exporter(name))
                for name in config.exporters
            )
        )

    def tracer(self, name: str) -> trace.Tracer:
        return self.provider.get_tracer(name)

    def command_tracer(self) -> monitoring.CommandListener:
        return CommandTracer(
            self.tracer("opentelemetry.instrumentation.pymongo"),
            response_hook=_command_succeeded,
            failed_hook=_command_failed,
            capture_statement=False,
        )

    def graphql_extension(self) -> Callable[[], GraphQLSpans]:
        return lambda: GraphQLSpans(tracer_provider=self.provider)


#: create_app's default: tracing as the process's OTEL_* variables say.
FROM_ENVIRONMENT: Any = object()
_UNSET: Any = object()
_process: Tracing | None = _UNSET


def from_environment(environ: Mapping[str, str] | None = None) -> Tracing | None:
    """The process's tracing, as its OTEL_* variables say (read once; later calls answer the
    same). When on, its provider is also the global one, for anything else that traces; the
    SDK flushes and shuts it down when the process exits."""
    global _process
    if _process is not _UNSET:
        return _process
    config = config_from(os.environ if environ is None else environ)
    if config is None:
        _process = None
        return None
    _process = Tracing.start(config)
    trace.set_tracer_provider(_process.provider)
    log.info("tracing on", exporters=list(config.exporters), endpoint=config.endpoint)
    return _process


# --- the request ---


def _note_request_id(span: Span, scope: dict[str, Any]) -> None:
    if span.is_recording() and (request_id := correlation_id.get()):
        span.set_attribute(REQUEST_ID, request_id)


class RequestSpans:
    """The request's span, from opentelemetry-instrumentation-asgi, inside the correlation
    id middleware (so the span has the request id). The instrumentation sees the path
    without its query string (a GET's holds the query and its variables), and an exception
    the app raises reaches it only after this has recorded it by its type (the
    instrumentation would record its message)."""

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.traced = OpenTelemetryMiddleware(
            self._inner,
            tracer_provider=tracing.provider,
            server_request_hook=_note_request_id,
            http_capture_headers_sanitize_fields=[
                *SECRET_HEADERS,
                *get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SANITIZE_FIELDS),
            ],
            exclude_spans=["receive", "send"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        seen = {
            **scope,
            "query_string": b"",
            "rapport.tracing": {"query_string": scope.get("query_string", b"")},
        }
        await self.traced(seen, receive, send)
        if (error := seen["rapport.tracing"].get("error")) is not None:
            raise error

    async def _inner(self, scope: Scope, receive: Receive, send: Send) -> None:
        held = scope.pop("rapport.tracing")
        try:
            await self.app({**scope, "query_string": held["query_string"]}, receive, send)
        except Exception as error:
            span = trace.get_current_span()
            span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
            span.set_attribute("error.type", type(error).__qualname__)
            held["error"] = error  # raised again outside the instrumentation
        finally:
            scope["rapport.tracing"] = held


# --- GraphQL ---


def _no_arguments(args: dict[str, Any], info: GraphQLResolveInfo) -> dict[str, Any]:
    return {}


def _error_codes(result: Any) -> list[str]:
    codes = []
    for error in getattr(result, "errors", None) or ():
        code = (getattr(error, "extensions", None) or {}).get("code")
        if isinstance(code, str) and _CODE.match(code):
            codes.append(code)
    return codes


class GraphQLSpans(OpenTelemetryExtension):
    """Strawberry's extension, with what it would put in spans that Rapport keeps out: the
    document (`query`: its literals are values, an email among them) and the resolvers'
    arguments (`graphql.param.*`). An operation's span is named by what the document
    defines (never the client's operationName text); a span per root field (nested fields
    would be thousands for a page of dossiers); an exception is recorded by its type."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["arg_filter"] = _no_arguments
        super().__init__(**kwargs)

    def on_operation(self) -> Generator[None, None, None]:
        span = self._tracer.start_span("GraphQL operation", kind=SpanKind.INTERNAL)
        self._span_holder[LifecycleStep.OPERATION] = span
        span.set_attribute("component", "graphql")
        yield
        # Here, not at the top: logging imports this module, and the schema package is a
        # second of every CLI command's start.
        from schema.operation_record import defined_operation

        context = self.execution_context
        if (defined := defined_operation(context)) is not None:
            name, operation_type = defined
            span.update_name(f"{operation_type} {name}" if name else operation_type)
            span.set_attribute("graphql.operation.type", operation_type)
            if name:
                span.set_attribute("graphql.operation.name", name)
        if codes := _error_codes(context.result):
            span.set_attribute(ERROR_CODES, codes)
            if faults := SERVER_FAULTS.intersection(codes):
                span.set_status(Status(StatusCode.ERROR, sorted(faults)[0]))
        span.end()

    async def resolve(
        self, _next: Callable[..., Any], root: Any, info: GraphQLResolveInfo, *args: Any, **kwargs: Any
    ) -> Any:
        if info.path.prev is not None or should_skip_tracing(_next, info):
            result = _next(root, info, *args, **kwargs)
            return await result if isawaitable(result) else result
        with self._tracer.start_as_current_span(
            f"GraphQL field {info.field_name}",
            context=trace.set_span_in_context(self._span_holder[LifecycleStep.OPERATION]),
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            self.add_tags(span, info, {})
            try:
                result = _next(root, info, *args, **kwargs)
                return await result if isawaitable(result) else result
            except Exception as error:
                span.set_status(Status(StatusCode.ERROR, type(error).__qualname__))
                code = (getattr(error, "extensions", None) or {}).get("code") or getattr(error, "code", None)
                if isinstance(code, str) and _CODE.match(code):
                    span.set_attribute("rapport.error_code", code)
                raise


# --- the database ---


#: Code names for the codes a write error carries without one.
_CODE_NAMES = {11000: "DuplicateKey", 11001: "DuplicateKey", 112: "WriteConflict", 64: "WriteConcernFailed"}


def _code_name(failure: Mapping[str, Any]) -> str:
    """`codeName` (a server error), `errtype` (a driver's: a network error), else the code."""
    for key in ("codeName", "errtype"):
        if isinstance(value := failure.get(key), str) and _CODE.match(value):
            return value
    code = failure.get("code")
    if isinstance(code, int):
        return _CODE_NAMES.get(code, f"Code{code}")
    return "UnknownError"


def _command_failed(span: Span, event: monitoring.CommandFailedEvent) -> None:
    """Replaces the status the instrumentation gave (the server's errmsg, which quotes the
    duplicate key) by the error's code name."""
    failure = event.failure if isinstance(event.failure, Mapping) else {}
    span.set_status(Status(StatusCode.ERROR, _code_name(failure)))
    span.set_attribute("error.type", _code_name(failure))
    if isinstance(code := failure.get("code"), int):
        span.set_attribute("db.response.status_code", str(code))


def _command_succeeded(span: Span, event: monitoring.CommandSucceededEvent) -> None:
    """A write the server answered `ok` with write errors (a duplicate key in an insert) is
    a failure too: marked by the errors' codes, their messages left out."""
    reply = event.reply if isinstance(event.reply, Mapping) else {}
    errors = [e for e in reply.get("writeErrors") or () if isinstance(e, Mapping)]
    if isinstance(concern := reply.get("writeConcernError"), Mapping):
        errors.append(concern)
    if not errors:
        return
    names = [_code_name(e) for e in errors]
    codes = [str(e["code"]) for e in errors if isinstance(e.get("code"), int)]
    span.set_status(Status(StatusCode.ERROR, names[0] if len(set(names)) == 1 else "WriteErrors"))
    span.set_attribute("error.type", names[0])
    if codes:
        span.set_attribute(WRITE_ERROR_CODES, codes)


# --- logs ---


def log_trace_ids(_: object, __: str, event: EventDict) -> EventDict:
    """A structlog processor: the trace and span a line was written in, when traced."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid and "trace_id" not in event:
        event["trace_id"] = format(context.trace_id, "032x")
        event["span_id"] = format(context.span_id, "016x")
    return event
