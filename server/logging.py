"""Logging through structlog: JSON in production, readable lines in development.

Standard-library loggers (uvicorn, pymongo) go through the same renderer, and every
line carries the request id of the request it belongs to.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor

from server.tracing import log_trace_ids


def _request_id(_: object, __: str, event: EventDict) -> EventDict:
    if (request_id := correlation_id.get()) and "request_id" not in event:
        event["request_id"] = request_id
    return event


class PathOnlyAccessLog(logging.Filter):
    """uvicorn's access line carries the path with its query string, and a GET query's
    string holds the query and its variables (personal data): keep the path only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, target, version, status = record.args
            record.args = (client, method, str(target).partition("?")[0], version, status)
        return True


def configure_logging(level: str, *, json: bool, cache_loggers: bool = True) -> None:
    """Render every line (structlog's and the standard library's) as JSON or for people.
    `cache_loggers=False` lets structlog.testing.capture_logs see loggers already used."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _request_id,
        log_trace_ids,  # when the line is written inside a traced request
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # Development lines are coloured only on a terminal (and never with NO_COLOR), and
    # tracebacks are plain: a rich traceback renders local variables, and a caller's
    # token sits in the locals of every frame that handled its request.
    colors = sys.stderr.isatty() and "NO_COLOR" not in os.environ
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=cache_loggers,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info if json else (lambda _, __, e: e),
            renderer,
        ],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # PyMongo's DEBUG lines quote commands and replies, documents (personal data) included.
    logging.getLogger("pymongo").setLevel(max(logging.INFO, logging.getLevelName(level)))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, PathOnlyAccessLog) for f in access.filters):
        access.addFilter(PathOnlyAccessLog())
