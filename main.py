"""Rapport's entry point: the CLI (`python main.py --help`) and the ASGI app factory."""

from __future__ import annotations

import asyncio
import getpass
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from demo_data import DEMO_CUSTOMERS, DEMO_CUSTOMERS_MAX, seed_demo_data
from domain.errors import NotFound
from domain.ids import is_local_id
from domain.jobs import RunStatus
from domain.sign_in import password_problem
from domain.tokens import CLI_TOKEN_NAME, AlreadyRevoked, LifetimeRefused, parse_lifetime, token_name_problem
from domain.users import Role
from migrations import migrate as apply_migrations
from repositories.tokens import TokenRepository
from repositories.users import UserConflict, UserRepository
from resolvers.jobs import RunOutcome
from resolvers.sign_in import set_password as change_password
from resolvers.tokens import issue_token, revoke
from server.clock import system_clock
from server.database import open_database
from server.embedded_db import EmbeddedDatabaseError
from server.logging import configure_logging
from server.settings import Settings, get_settings

# The commands import the service (its schema, the jobs, the tracing) only when they need
# it: a token or a migration is a second quicker without the whole graph loaded.

T = TypeVar("T")

cli = typer.Typer(
    help="Rapport: the GraphQL backend of a customer-experience platform.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

USAGE_ERROR = 2  # the exit code of every refusal, as for a usage error


def fail(message: str) -> NoReturn:
    """One line on stderr and exit 2: every CLI error looks like this."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(USAGE_ERROR)


def _settings() -> Settings:
    settings = get_settings()
    configure_logging(settings.log_level, json=settings.json_logs(sys.stderr.isatty()))
    return settings


def _with_database(work: Callable[[AsyncDatabase], Awaitable[T]], *, migrated: bool = True) -> T:
    """Run `work` on the database, migrated first unless told otherwise (a running
    embedded server is reused, not started twice)."""
    settings = _settings()

    async def run() -> T:
        async with open_database(settings) as database:
            if migrated:
                await apply_migrations(database.db, system_clock())
            return await work(database.db)

    try:
        return asyncio.run(run())
    except (PyMongoError, EmbeddedDatabaseError) as exc:
        fail(f"the database is unavailable: {type(exc).__name__}")


def app() -> object:
    """ASGI factory for `uvicorn --factory main:app`."""
    from server.app import create_app

    return create_app(_settings())


@cli.command()
def serve(
    seed_if_empty: Annotated[
        bool, typer.Option(help="Load the demo data when the database has no customers.")
    ] = False,
) -> None:
    """Serve GraphQL on RAPPORT_HOST:RAPPORT_PORT (applies pending migrations first)."""
    import uvicorn

    from server import tracing
    from server.app import create_app
    from server.jobs import JOBS
    from server.shutdown import GracefulServer

    settings = _settings()
    if unknown := sorted(set(settings.jobs_schedule) - set(JOBS)):
        fail(
            f"RAPPORT_JOBS_SCHEDULE names unknown jobs: {', '.join(unknown)}; jobs: {', '.join(sorted(JOBS)) or 'none'}"
        )
    _check_port_free(settings.host, settings.port)
    try:
        traces = tracing.from_environment()  # off unless OTEL_* variables ask (server/tracing.py)
    except tracing.TracingConfigError as error:
        fail(str(error))
    app = create_app(settings, seed_if_empty=seed_if_empty, traces=traces)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,  # server.request_log writes one line per request instead
        proxy_headers=True,
        ws="websockets-sansio",  # subscriptions (graphql-transport-ws) at /graphql
        timeout_graceful_shutdown=settings.shutdown_timeout_s,  # type: ignore[arg-type]
    )
    server = GracefulServer(config, app.state.stopping, drain_s=settings.shutdown_drain_s)
    server.run()
    if not server.started:
        sys.exit(3)  # it could not start (uvicorn's code for that); the log says why


def _check_port_free(host: str, port: int) -> None:
    """Refuse before anything starts (the database, the demo token) when the port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            fail(f"port {port} is in use; set RAPPORT_PORT")


@cli.command()
def migrate() -> None:
    """Apply pending database migrations (idempotent)."""
    applied = _with_database(lambda db: apply_migrations(db, system_clock()), migrated=False)
    typer.echo(f"applied migrations: {applied}" if applied else "migrations are up to date")


@cli.command()
def seed(
    customers: Annotated[
        int,
        typer.Option(
            min=1,
            max=DEMO_CUSTOMERS_MAX,
            metavar="N",
            help="How many demo customers, each with about 10 purchases and 10 touchpoints "
            "(the first ones are the default demo's).",
        ),
    ] = DEMO_CUSTOMERS,
) -> None:
    """Load the demo data set and rebuild the running totals from it (idempotent: a second
    run adds nothing)."""
    settings = get_settings()
    added = _with_database(
        lambda db: seed_demo_data(
            db, system_clock(), settings.visit_cadence, settings.value_rules, customers=customers
        )
    )
    typer.echo(f"demo customers added: {added}")


@cli.command("create-token")
def create_token(
    role: Annotated[Role, typer.Option(help="The user's role (for a new user).")],
    name: Annotated[str, typer.Option(help="The user's name; the user is created if new.")],
    partner_id: Annotated[str | None, typer.Option(help="Partner organisation (for PARTNER users).")] = None,
    token_name: Annotated[
        str, typer.Option(help="A label for the token, shown by list-tokens (e.g. the integration using it).")
    ] = CLI_TOKEN_NAME,
    expires_in: Annotated[
        str | None,
        typer.Option(
            help="Lifetime: hours, days or weeks (12h, 90d, 2w); default RAPPORT_TOKEN_DEFAULT_TTL_DAYS, "
            "at most RAPPORT_TOKEN_MAX_TTL_DAYS."
        ),
    ] = None,
) -> None:
    """Create an API token for a user and print it (last line). It is shown only once."""
    name = name.strip()
    partner_id = partner_id.strip() if partner_id is not None else None
    token_name = token_name.strip()
    if not name:
        fail("--name must not be empty")
    if role is Role.PARTNER and not partner_id:
        fail("a PARTNER needs --partner-id")
    if role is not Role.PARTNER and partner_id is not None:
        fail(f"--partner-id is only for PARTNER users, not {role.value}")
    if problem := token_name_problem(token_name):
        fail(f"--token-name {problem}")
    settings = get_settings()
    lifetime = settings.token_default_lifetime
    if expires_in is not None:
        try:
            lifetime = parse_lifetime(expires_in, settings.token_max_lifetime)
        except LifetimeRefused as exc:
            fail(f"--expires-in: {exc}")
    try:
        token = _with_database(
            lambda db: issue_token(
                UserRepository(db),
                TokenRepository(db),
                name,
                role,
                partner_id,
                system_clock(),
                lifetime=lifetime,
                token_name=token_name,
            )
        )
    except UserConflict as exc:
        fail(str(exc))
    typer.echo(
        f"token {token_name!r} for {name} ({role.value}), valid {_span(lifetime)}; "
        "store it now, it is not shown again:"
    )
    typer.echo(token)


@cli.command("set-password")
def set_password(
    name: Annotated[str, typer.Option(help="The user's name.")],
    role: Annotated[
        Role | None, typer.Option(help="Create the user with this role if there is none by that name.")
    ] = None,
) -> None:
    """Give a user a password for the web client, read from standard input (asked twice on
    a terminal; otherwise its first line). It is stored only as an argon2id hash, and the
    user's open web sessions are revoked."""
    name = name.strip()
    if not name:
        fail("--name must not be empty")
    if role is Role.PARTNER:
        fail("a PARTNER is a portal: give it a token (create-token), not a password")
    password = _read_password()
    if problem := password_problem(password):
        fail(f"the password {problem}")

    async def work(db: AsyncDatabase) -> str:
        users = UserRepository(db)
        now = system_clock()
        if role is not None:
            user = await users.ensure_user(name, role, None, now)
        elif (found := await users.by_name(name)) is not None:
            user = found[0]
        else:
            fail(f"no user named {name!r}; pass --role to create one")
        await change_password(users, TokenRepository(db), user.id, password, now)
        return user.role.value

    try:
        role_name = _with_database(work)
    except UserConflict as exc:
        fail(str(exc))
    typer.echo(f"password set for {name} ({role_name})")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != first:
            fail("the two passwords differ")
        return first
    line = sys.stdin.readline()
    if not line:
        fail("no password on standard input")
    return line.removesuffix("\n").removesuffix("\r")


@cli.command("list-tokens")
def list_tokens(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked and expired tokens.")] = False,
) -> None:
    """List API tokens, newest first (never the tokens themselves): active ones, or --all.
    Times are UTC."""
    listing = _with_database(lambda db: TokenRepository(db).listing(system_clock(), include_inactive=all_))
    rows = [
        [
            t.token.id,
            t.user_name,
            t.role.value,
            t.token.name,
            _when(t.token.created_at),
            _when(t.token.expires_at, "never"),
            _when(t.token.last_used_at),
            _when(t.token.revoked_at),
        ]
        for t in listing
    ]
    _table(["ID", "USER", "ROLE", "TOKEN NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED"], rows)


@cli.command("revoke-token")
def revoke_token(
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's ID, as list-tokens shows it.")],
) -> None:
    """Revoke an API token: from now on it gets 401. Revoking a revoked token changes
    nothing and says so (exit 0)."""
    local_id = _token_id(token_id.strip())
    try:
        token = _with_database(lambda db: revoke(TokenRepository(db), local_id, system_clock()))
    except NotFound:
        fail(f"no token with id {token_id.strip()}")
    except AlreadyRevoked as exc:
        typer.echo(
            f"token {local_id} ({exc.token.name}) was already revoked at {_when(exc.token.revoked_at)}"
        )
        return
    typer.echo(f"token {token.id} ({token.name}) revoked")


jobs_cli = typer.Typer(
    help="Background jobs: run one now, or list them with their last runs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
cli.add_typer(jobs_cli, name="jobs")


@jobs_cli.command("run")
def run_job(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The job, as `jobs list` names it.")],
    date: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="The day to work on, for jobs that take one (YYYY-MM-DD)."),
    ] = None,
) -> None:
    """Run a job once, now, under its lease. Prints the result; exit 0 also when another
    runner holds the lease (the job is then skipped: it is running elsewhere). A job that
    fails is recorded and is one error line, exit 2."""
    from server.jobs import JOBS, job_runner

    name = name.strip()
    if name not in JOBS:
        fail(f"no job named {name!r}; jobs: {', '.join(sorted(JOBS)) or 'none registered'}")
    settings = get_settings()
    outcome = _with_database(
        lambda db: job_runner(db, system_clock, settings).run(name, on=date.date() if date else None)
    )
    if outcome.status is RunStatus.FAILED:
        fail(f"job {name} failed: {outcome.run.error_type if outcome.run else 'unknown'} (see the log)")
    typer.echo(_outcome_line(outcome))


def _outcome_line(outcome: RunOutcome) -> str:
    if outcome.status is RunStatus.SKIPPED_LEASE_HELD:
        holder = outcome.holder
        by = f" by {holder.runner} until {_when(holder.lease_until)} UTC" if holder else ""
        return f"{outcome.job}: skipped, it is running elsewhere (lease held{by})"
    run, result = outcome.run, outcome.result
    assert run is not None and result is not None
    took = (run.finished_at - run.started_at).total_seconds()
    line = f"{outcome.job}: succeeded in {took:.1f} s, examined {result.examined}, changed {result.changed}"
    return f"{line}: {result.summary}" if result.summary else line


def _committed_file(name: str, text: str, check: bool, source: str, command: str, wrote: str) -> None:
    """Write a committed file generated from `source`, or with --check only say whether it
    is current (exit 2 if not)."""
    path = Path(__file__).with_name(name)
    if check:
        if not path.exists() or path.read_text() != text:
            fail(f"{name} differs from {source}: run `python main.py {command}`")
        typer.echo(f"{name} is current")
        return
    path.write_text(text)
    typer.echo(f"wrote {name} ({wrote})")


@cli.command("export-schema")
def export_schema(
    check: Annotated[
        bool, typer.Option(help="Only say whether schema.graphql is current (exit 2 if not).")
    ] = False,
) -> None:
    """Write the GraphQL schema's SDL to schema.graphql (the committed contract)."""
    from schema.contract import SDL_FILE, current_sdl

    sdl = current_sdl()
    _committed_file(
        SDL_FILE, sdl, check, "the live schema", "export-schema", f"{len(sdl.splitlines())} lines"
    )


@cli.command("trusted-documents")
def trusted_documents(
    check: Annotated[
        bool, typer.Option(help="Only say whether trusted-documents.json is current (exit 2 if not).")
    ] = False,
) -> None:
    """Write trusted-documents.json: every document the web client and the other registered
    clients (documents/*.graphql) send, by the SHA-256 of its text."""
    from graphql import GraphQLError

    from schema.trusted_documents import MANIFEST_FILE, client_documents, manifest

    try:
        documents = client_documents(Path(__file__).parent)
    except (ValueError, GraphQLError) as error:
        fail(str(error))
    text = manifest(documents)
    source = "the clients' documents"
    _committed_file(MANIFEST_FILE, text, check, source, "trusted-documents", f"{len(documents)} documents")


@cli.command("settings-reference")
def settings_reference(
    check: Annotated[
        bool, typer.Option(help="Only say whether docs/operations.md is current (exit 2 if not).")
    ] = False,
) -> None:
    """Write the configuration reference in docs/operations.md from the settings class."""
    from server.settings_reference import DOC, rewritten

    text = DOC.read_text()
    current = rewritten(text)
    if check:
        if current != text:
            fail(f"the settings reference in {DOC.name} is stale: run `python main.py settings-reference`")
        typer.echo(f"the settings reference in {DOC.name} is current")
        return
    DOC.write_text(current)
    typer.echo(f"wrote the settings reference in docs/{DOC.name}")


rollups_cli = typer.Typer(
    help="Running totals that reports read.", no_args_is_help=True, rich_markup_mode=None
)
cli.add_typer(rollups_cli, name="rollups")


@rollups_cli.command("rebuild")
def rebuild_rollups() -> None:
    """Recompute every running total (customer figures, experience, lifecycle and RFM
    rollups) from the raw collections, under the rollups-rebuild job's lease."""
    from server.jobs import job_runner

    settings = get_settings()
    outcome = _with_database(lambda db: job_runner(db, system_clock, settings).run("rollups-rebuild"))
    if outcome.status is RunStatus.FAILED:
        fail(f"rebuild failed: {outcome.run.error_type if outcome.run else 'unknown'} (see the log)")
    typer.echo(_outcome_line(outcome))


@jobs_cli.command("list")
def list_jobs() -> None:
    """The registered jobs: their schedule in `serve`, their last run, and who runs them
    now. Times are UTC."""
    from server.jobs import JOBS, job_runner

    settings = get_settings()

    async def read(db: AsyncDatabase) -> tuple[dict, dict]:
        runner = job_runner(db, system_clock, settings)
        return await runner.latest_runs(), await runner.held_leases()

    if not JOBS:
        typer.echo("no jobs registered")
        return
    latest, held = _with_database(read)
    rows = []
    for name in sorted(JOBS):
        run, lease = latest.get(name), held.get(name)
        every = settings.jobs_schedule.get(name)
        outcome = "-"
        if run is not None:
            outcome = run.status.value + (
                f" ({run.error_type})"
                if run.error_type
                else f" (examined {run.result.examined}, changed {run.result.changed})"
                if run.result
                else ""
            )
        rows.append(
            [
                name,
                f"every {every} s" if every else "-",
                _when(run.started_at if run else None),
                outcome,
                f"{lease.runner} until {_when(lease.lease_until)}" if lease else "-",
            ]
        )
    _table(["JOB", "SCHEDULE", "LAST RUN", "RESULT", "RUNNING NOW"], rows)


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _token_id(value: str) -> str:
    """The local id of a token named by list-tokens' ID or by its global id in the graph."""
    from schema.node import parse_global_id

    if is_local_id(value):
        return value
    parsed = parse_global_id(value)
    if parsed is None or parsed[0] != "ApiToken":
        fail(f"{value!r} is not a token id (list-tokens shows them)")
    return parsed[1]


def _when(moment: datetime | None, missing: str = "-") -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else missing


def _span(lifetime: timedelta) -> str:
    return f"{lifetime.days} days" if lifetime.days else f"{lifetime.total_seconds() / 3600:g} hours"


def main() -> None:
    """Run the CLI. A usage error (unknown command or option, a missing or bad value) is
    one line and exit 2, like every other refusal."""
    try:
        code = cli(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # typer's usage errors (its vendored click's)
        if type(exc).__name__ == "NoArgsIsHelpError":
            typer.echo(exc.format_message())  # the help, as asked for by giving no command
            sys.exit(0)
        fail_line = " ".join(exc.format_message().split())  # click lists choices on lines
        typer.echo(f"error: {fail_line}", err=True)
        sys.exit(USAGE_ERROR)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
