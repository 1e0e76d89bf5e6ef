"""Logging through structlog: JSON in production, readable lines in development.

Standard-library loggers (uvicorn, pymongo) go through the same renderer, and every
line carries the request id of the request it belongs to.
"""

from __future__ import annotations

import logging

import structlog
from asgi_correlation_id import correlation_id
from structlog.typing import EventDict, Processor


def _request_id(_: object, __: str, event: EventDict) -> EventDict:
    if (request_id := correlation_id.get()) and "request_id" not in event:
        event["request_id"] = request_id
    return event


def configure_logging(level: str, *, json: bool) -> None:
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
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
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
