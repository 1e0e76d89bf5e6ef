"""Tokens as an operator handles them: create-token --expires-in, list-tokens, revoke-token."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from server.app import create_app
from server.clock import FixedClock
from server.database import Database
from tests.conftest import GraphQLClient
from tests.integration.test_cli import _cli


class Cli:
    def __init__(self, uri: str, db_name: str) -> None:
        self.uri, self.db_name = uri, db_name

    async def __call__(self, *args: str):
        return await _cli(*args, uri=self.uri, db_name=self.db_name)


@pytest.fixture
async def cli_db(mongo_uri, mongo_client):
    cli = Cli(mongo_uri, f"rapport_cli_{uuid.uuid4().hex[:8]}")
    yield cli
    await mongo_client.drop_database(cli.db_name)


def _rows(listing: str) -> list[list[str]]:
    """list-tokens' table as cells, cut where the header's titles start."""
    header, *rows = listing.strip().splitlines()
    titles = ("ID", "USER", "ROLE", "TOKEN NAME", "CREATED", "EXPIRES", "LAST USED", "REVOKED")
    bounds = [*(header.index(title) for title in titles), None]
    return [[row[a:b].strip() for a, b in itertools.pairwise(bounds)] for row in rows]


async def test_create_list_use_and_revoke(cli_db, mongo_client, settings) -> None:
    made = await cli_db(
        "create-token",
        "--role",
        "ANALYST",
        "--name",
        "grace",
        "--token-name",
        "reports",
        "--expires-in",
        "2w",
    )
    assert made.returncode == 0, made.stderr
    assert "'reports' for grace (ANALYST), valid 14 days" in made.stdout
    secret = made.stdout.strip().splitlines()[-1]
    assert (
        await cli_db("create-token", "--role", "ANALYST", "--name", "grace")
    ).returncode == 0  # default: 90 days

    listing = await cli_db("list-tokens")
    assert listing.returncode == 0, listing.stderr
    assert secret not in listing.stdout + listing.stderr
    newest, reports = _rows(listing.stdout)
    assert newest[1:4] == ["grace", "ANALYST", "cli"] and reports[1:4] == ["grace", "ANALYST", "reports"]
    created, expires = (datetime.strptime(v, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) for v in reports[4:6])
    assert expires - created == timedelta(days=14)
    assert reports[6:] == ["-", "-"]  # never used, not revoked
    created, expires = (datetime.strptime(v, "%Y-%m-%d %H:%M").replace(tzinfo=UTC) for v in newest[4:6])
    assert expires - created == timedelta(days=90)

    db = mongo_client[cli_db.db_name]
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=FixedClock(created))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        caller = GraphQLClient(http, secret)
        assert (await caller.post("{ me { name } }")).status_code == 200

        revoked = await cli_db("revoke-token", reports[0])
        assert (revoked.returncode, revoked.stdout) == (0, f"token {reports[0]} (reports) revoked\n")
        assert (await caller.post("{ me { name } }")).status_code == 401

    again = await cli_db("revoke-token", reports[0])
    assert again.returncode == 0 and again.stdout.startswith(
        f"token {reports[0]} (reports) was already revoked at "
    )
    assert [row[0] for row in _rows((await cli_db("list-tokens")).stdout)] == [newest[0]]  # active ones
    every = _rows((await cli_db("list-tokens", "--all")).stdout)
    assert [row[0] for row in every] == [newest[0], reports[0]]
    assert every[1][6] == created.strftime("%Y-%m-%d %H:%M") and every[1][7] != "-"  # used, revoked


async def test_refusals_are_one_line_and_exit_2(cli_db) -> None:
    for args, message in [
        (
            ("--expires-in", "never"),
            "error: --expires-in: tokens always expire; the longest lifetime is 365d",
        ),
        (("--expires-in", "366d"), "error: --expires-in: the longest lifetime is 365d"),
        (("--expires-in", "30m"), "error: --expires-in: '30m' is not a lifetime: write hours, days or weeks"),
        (("--expires-in", "0h"), "error: --expires-in: '0h' is not a lifetime"),
        (("--expires-in", "-1d"), "error: --expires-in: '-1d' is not a lifetime"),
        (("--token-name", " "), "error: --token-name must not be empty"),
        (("--token-name", "x" * 101), "error: --token-name is longer than 100 characters"),
        (("--token-name", "a\nb"), "error: --token-name control characters"),
    ]:
        result = await cli_db("create-token", "--role", "ADMIN", "--name", "ops", *args)
        assert result.returncode == 2, args
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
        assert result.stdout == ""
    for token_id, message in [
        ("5eed00000000000000000999", "error: no token with id 5eed00000000000000000999\n"),
        ("nonsense", "error: 'nonsense' is not a token id (list-tokens shows them)\n"),
    ]:
        result = await cli_db("revoke-token", token_id)
        assert (result.returncode, result.stderr, result.stdout) == (2, message, "")
    assert (await cli_db("list-tokens")).stdout.strip().splitlines()[1:] == []  # nothing was made


async def test_the_token_commands_have_help(cli_db) -> None:
    for command in ("list-tokens", "revoke-token"):
        result = await cli_db(command, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout, command
