"""Stopping gracefully on SIGTERM (or Ctrl-C), as an orchestrator's rolling update expects.

1. **Drain** (RAPPORT_SHUTDOWN_DRAIN_S, 0 by default): `/readyz` answers 503 "shutting
   down" at once, while requests are still served, so a load balancer that polls readiness
   takes the instance out before it stops listening. A second signal ends the drain early.
2. **Stop accepting** (uvicorn): the listening socket closes, idle keep-alive connections
   are closed, and each busy one closes after its response.
3. **Finish** what is in flight, for up to RAPPORT_SHUTDOWN_TIMEOUT_S; whatever is still
   running then is cancelled (its client sees the connection close).
4. **Exit**: the lifespan's shutdown stops the job schedule (a running job gets up to
   RAPPORT_SHUTDOWN_TIMEOUT_S to finish, then records its run and frees its lease), closes the database client and stops the embedded database; the
   process then ends by the signal it got, as uvicorn does.
"""

from __future__ import annotations

import signal
import socket
import time
from dataclasses import dataclass
from types import FrameType

import structlog
import uvicorn

log = structlog.get_logger("rapport.shutdown")


@dataclass
class Stopping:
    """Shared by the server and the app: whether the service is on its way out."""

    draining: bool = False


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, stopping: Stopping, *, drain_s: float) -> None:
        super().__init__(config)
        self.stopping = stopping
        self.drain_s = drain_s
        self._drain_started: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._drain_started is None:
            self._drain_started = time.monotonic()
            self.stopping.draining = True
            self._captured_signals.append(sig)  # re-raised once the service has stopped
            log.info(
                "shutting down: readiness answers 503",
                signal=signal.Signals(sig).name,
                drain_s=self.drain_s,
                timeout_s=self.config.timeout_graceful_shutdown,
            )
            if self.drain_s <= 0:
                self.should_exit = True
            return
        if not self.should_exit:
            log.info("second signal: the drain ends now")
        super().handle_exit(sig, frame)

    async def on_tick(self, counter: int) -> bool:
        if (
            self._drain_started is not None
            and not self.should_exit
            and time.monotonic() - self._drain_started >= self.drain_s
        ):
            self.should_exit = True
        return await super().on_tick(counter)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        busy = len(self.server_state.tasks)
        log.info("no longer accepting requests; finishing those in flight", in_flight=busy)
        await super().shutdown(sockets)
