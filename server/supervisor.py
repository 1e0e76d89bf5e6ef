"""Supervision of the embedded database: if the child dies while the service runs, start
it again (same port and data, with backoff, logged); after a few failed tries, give up
so the service exits non-zero and a process manager restarts everything."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import structlog

from server.embedded_db import EmbeddedDatabase, EmbeddedDatabaseError

log = structlog.get_logger(__name__)


async def supervise(
    embedded: EmbeddedDatabase,
    *,
    restarts: int,
    backoff_s: float,
    give_up: Callable[[], None],
) -> None:
    while True:
        process = embedded.process
        if process is None or embedded.stopping:
            return
        code = await asyncio.to_thread(process.wait)  # a thread blocked on the child, no polling
        if embedded.stopping:
            return
        log.error("embedded database exited; restarting it", exit_code=code)
        for attempt in range(1, restarts + 1):
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
            try:
                await asyncio.to_thread(embedded.restart)
            except EmbeddedDatabaseError as error:
                log.error("embedded database restart failed", attempt=attempt, of=restarts, error=str(error))
                continue
            log.warning("embedded database restarted", attempt=attempt)
            break
        else:
            log.critical("embedded database could not be restarted; stopping the service", tries=restarts)
            give_up()
            return
