"""The Starlette application: GraphQL, health, and the process's lifespan."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pymongo
import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from demo_data import DEMO_MANAGERS, seed_demo_data, set_demo_passwords
from domain.sign_in import password_matches
from migrations import is_current, migrate
from repositories.customers import CustomerRepository
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.tokens import DEMO_ADMIN, DEMO_PARTNER, DemoUser, demo_token
from schema import build_schema
from server import metrics, tracing, webclient
from server.clock import Clock, system_clock
from server.database import Database, open_database
from server.graphql_view import GRAPHIQL, RapportGraphQL
from server.jobs import job_runner, start_schedule, stop_schedule
from server.middleware import hardening
from server.rate_limit import RateLimiter
from server.request_log import RequestLog
from server.runtime import Runtime, query_limits
from server.settings import Settings
from server.shutdown import Stopping
from server.supervisor import supervise

log = structlog.get_logger("rapport")


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    if request.app.state.stopping.draining:
        return JSONResponse({"status": "shutting down"}, status_code=503)
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None or not await runtime.database.answers():
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    try:
        with pymongo.timeout(1.0):
            current = await is_current(runtime.db)
    except PyMongoError as error:
        log.warning("database answers but cannot be read", error=type(error).__name__)
        return JSONResponse({"status": "database unavailable"}, status_code=503)
    if not current:
        return JSONResponse({"status": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ready"})


async def _announce(settings: Settings, runtime: Runtime) -> None:
    url = f"http://{settings.host}:{settings.port}/graphql"
    log.info("Rapport is serving GraphQL", url=url, webclient=client_url(settings))
    if settings.is_development:
        for who in (DEMO_ADMIN, DEMO_PARTNER):
            await announce_demo_token(settings, runtime.db, runtime.clock(), who)
        await announce_demo_password(settings, runtime.db, runtime.clock())


def client_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.port}/app/"


async def announce_demo_password(settings: Settings, db: AsyncDatabase, now: datetime) -> str | None:
    """Give the demo managers a password for the web client and print it once (on the
    terminal, never in the log), like the demo tokens: kept (0600) beside the data
    directory and reused while it works. None when the demo data holds no managers."""
    path = settings.data_dir.parent / "demo-manager-password"
    kept = path.read_text().strip() if path.exists() else None
    found = await UserRepository(db).by_name(DEMO_MANAGERS[0]) if kept else None
    if kept and found is not None and await asyncio.to_thread(password_matches, found[1], kept):
        log.info("demo managers' password unchanged: it is in this file", path=str(path))
        return kept
    password = secrets.token_urlsafe(12)
    names = await set_demo_passwords(db, password, now)
    if not names:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(password + "\n")
    print(
        f"demo ACCOUNT_MANAGER password ({', '.join(names)}; development only, kept in {path}); "
        f"sign in at {client_url(settings)} as one of them with:\n  {password}",
        flush=True,
    )
    return password


async def announce_demo_token(
    settings: Settings, db: AsyncDatabase, now: datetime, who: DemoUser = DEMO_ADMIN
) -> str:
    """Print a demo token once (on the terminal, never in the log): it is kept (0600)
    beside the data directory and reused while it works, so starts do not pile up
    tokens; it expires after a day. The partner's shows what a partner portal sees."""
    path = demo_token_path(settings, who)
    kept = path.read_text().strip() if path.exists() else None
    lifetime = timedelta(hours=settings.demo_token_ttl_hours)
    token, new = await demo_token(UserRepository(db), TokenRepository(db), who, kept, now, lifetime)
    role = who.role.value
    if new:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(token + "\n")
        print(
            f"demo {role} token ({who.name}; development only, valid {settings.demo_token_ttl_hours} h, "
            f"kept in {path}); paste into GraphiQL's headers:\n"
            f'  {{"Authorization": "Bearer {token}"}}',
            flush=True,
        )
    else:
        log.info(f"demo {role} token unchanged: it is in this file", path=str(path))
    return token


def demo_token_path(settings: Settings, who: DemoUser = DEMO_ADMIN) -> Path:
    return settings.data_dir.parent / f"demo-{who.role.value.lower()}-token"


def _exit_non_zero() -> None:
    """Stop serving: uvicorn shuts down in order, then re-raises SIGTERM, so the process
    ends by that signal (non-zero) and a process manager restarts the whole service."""
    os.kill(os.getpid(), signal.SIGTERM)


def create_app(
    settings: Settings,
    *,
    database: Database | None = None,
    clock: Clock = system_clock,
    seed_if_empty: bool = False,
    traces: tracing.Tracing | None = tracing.FROM_ENVIRONMENT,
) -> Starlette:
    """The service. Given a `database`, the caller owns it (tests); otherwise the lifespan
    opens the configured one (starting the embedded server if needed) and closes it.
    `traces`: as the OTEL_* variables say (off unless they ask; server.tracing), or given
    (tests; None: off). A given `database`'s client is traced only if it was connected so."""
    if traces is tracing.FROM_ENVIRONMENT:
        traces = tracing.from_environment()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if database is not None:
            yield
            return
        async with open_database(settings, traces) as opened:
            runtime = Runtime(database=opened, clock=clock, settings=settings)
            await migrate(opened.db, clock())
            if seed_if_empty and await CustomerRepository(opened.db).count() == 0:
                await seed_demo_data(opened.db, clock(), settings.visit_cadence, settings.value_rules)
            app.state.runtime = runtime
            watch = None
            if opened.embedded is not None and opened.embedded.owned:
                watch = asyncio.create_task(
                    supervise(
                        opened.embedded,
                        restarts=settings.embedded_restarts,
                        backoff_s=settings.embedded_restart_backoff_s,
                        give_up=_exit_non_zero,
                    )
                )
            # Scheduled jobs (RAPPORT_JOBS_SCHEDULE, empty by default), each under its lease.
            schedule = start_schedule(job_runner(opened.db, clock, settings), settings.jobs_schedule)
            await _announce(settings, runtime)
            yield
            log.info("shutting down")
            await stop_schedule(schedule, settings.shutdown_timeout_s)
            if watch is not None:
                opened.embedded.stopping = True  # type: ignore[union-attr]
                watch.cancel()

    graphql = RapportGraphQL(
        build_schema(query_limits(settings), traces),
        graphql_ide="graphiql" if settings.is_development else None,
        report_db_commands=settings.is_development,
        rate_limiter=RateLimiter(settings.rate_limit_per_minute),
        max_query_tokens=settings.max_query_tokens,
        max_subscriptions_per_connection=settings.subscriptions_per_connection,
        connection_init_wait_timeout=timedelta(seconds=settings.subscription_init_timeout_s),
    )
    app = Starlette(
        routes=[
            Route("/graphql", graphql),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *metrics.routes(settings),
            # GraphiQL's own files (development only, like the page at GET /graphql).
            *([Mount("/graphiql", StaticFiles(directory=GRAPHIQL))] if settings.is_development else []),
            *webclient.routes(),
        ],
        middleware=[
            Middleware(CorrelationIdMiddleware, header_name="X-Request-ID"),
            # The request's span, with the request id (inside the middleware that sets it).
            *([Middleware(tracing.RequestSpans, tracing=traces)] if traces is not None else []),
            Middleware(RequestLog),  # one line per request, with the request id
            *hardening(settings),
        ],
        lifespan=lifespan,
    )
    app.state.stopping = Stopping()  # server.shutdown.GracefulServer sets it on SIGTERM
    if database is not None:
        app.state.runtime = Runtime(database=database, clock=clock, settings=settings)
    return app
