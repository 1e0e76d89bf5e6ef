"""The CLI as an operator runs it: `python main.py <command>`."""

import asyncio
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pymongo

from migrations import MIGRATIONS
from server.app import create_app
from server.database import Database
from tests.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]


async def _cli(
    *args: str, uri: str, db_name: str, deadline_ms: int | None = 60_000
) -> subprocess.CompletedProcess:
    """The CLI as an operator runs it; `deadline_ms` is its database deadline (a seed's bulk
    writes can take the embedded server more than 5 s on a busy machine). It runs in a
    thread: a test's event loop blocked for the seconds a command takes starves the session
    client's monitor, whose late heartbeat then resets the pool under the next operation."""
    env = {
        **os.environ,
        "RAPPORT_MONGODB_URI": uri,
        "RAPPORT_MONGODB_DB": db_name,
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    if deadline_ms is not None:
        env["RAPPORT_MONGODB_TIMEOUT_MS"] = str(deadline_ms)
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "main.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_create_token_prints_a_working_token_last(mongo_uri, mongo_client, clock, settings) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        result = await _cli(
            "create-token", "--role", "ANALYST", "--name", "grace", uri=mongo_uri, db_name=db_name
        )
        assert result.returncode == 0, result.stderr
        token = result.stdout.strip().splitlines()[-1]
        assert token.startswith("rap_")

        app = create_app(
            settings, database=Database(client=mongo_client, db=mongo_client[db_name]), clock=clock
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            me = await GraphQLClient(http, token).execute("{ me { name role } }")
        assert me == {"me": {"name": "grace", "role": "ANALYST"}}
        stored = await mongo_client[db_name]["api_tokens"].find_one({})
        assert token not in str(stored)  # only the hash is kept

        again = await _cli(
            "create-token", "--role", "ADMIN", "--name", "grace", uri=mongo_uri, db_name=db_name
        )
        assert again.returncode == 2
        assert again.stderr == "error: user 'grace' exists with role ANALYST\n"
    finally:
        await mongo_client.drop_database(db_name)


async def test_migrate_and_seed_are_idempotent(mongo_uri, mongo_client) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        first = await _cli("migrate", uri=mongo_uri, db_name=db_name)
        assert first.returncode == 0, first.stderr
        assert f"applied migrations: {[m.VERSION for m in MIGRATIONS]}" in first.stdout
        assert "up to date" in (await _cli("migrate", uri=mongo_uri, db_name=db_name)).stdout

        assert "demo customers added: 300" in (await _cli("seed", uri=mongo_uri, db_name=db_name)).stdout
        assert "demo customers added: 0" in (await _cli("seed", uri=mongo_uri, db_name=db_name)).stdout
        stages = await mongo_client[db_name]["customers"].distinct("lifecycleStage")
        assert set(stages) == {"PROSPECT", "ACQUIRED", "ACTIVE", "RETAINED", "AT_RISK", "LAPSED"}
    finally:
        with pymongo.timeout(120):  # the demo's thousands of events take a while to drop
            await mongo_client.drop_database(db_name)


def test_every_command_has_help() -> None:
    for command in ("serve", "migrate", "seed", "create-token"):
        result = subprocess.run(
            [sys.executable, "main.py", command, "--help"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0 and "Usage" in result.stdout, command


async def test_every_refusal_is_one_line_and_exit_2_with_nothing_written(mongo_uri) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    for args, message in [
        (("create-token", "--role", "ADMIN", "--name", "   "), "error: --name must not be empty"),
        (("create-token", "--role", "PARTNER", "--name", "hotel"), "error: a PARTNER needs --partner-id"),
        (
            ("create-token", "--role", "ANALYST", "--name", "x", "--partner-id", "p1"),
            "error: --partner-id is only for PARTNER users, not ANALYST",
        ),
        (("create-token", "--name", "x"), "error: Missing option '--role'."),
        (("create-token", "--role", "BOSS", "--name", "x"), "error: Invalid value for '--role'"),
        (("nosuch",), "error: No such command 'nosuch'."),
        (("seed", "--bogus"), "error: No such option: --bogus"),
    ]:
        result = await _cli(*args, uri=mongo_uri, db_name=db_name)
        assert result.returncode == 2, args
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


async def test_an_unreachable_database_is_one_line() -> None:
    result = await _cli("migrate", uri="mongodb://127.0.0.1:9/", db_name="x", deadline_ms=300)
    assert (result.returncode, result.stderr) == (
        2,
        "error: the database is unavailable: ServerSelectionTimeoutError\n",
    )


def test_serve_on_a_port_in_use_says_so_before_starting_anything(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "RAPPORT_PORT": str(port), "RAPPORT_DATA_DIR": str(tmp_path / "db")}
        env.pop("RAPPORT_MONGODB_URI", None)
        result = subprocess.run(
            [sys.executable, "main.py", "serve"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert (result.returncode, result.stderr) == (2, f"error: port {port} is in use; set RAPPORT_PORT\n")
    assert "rap_" not in result.stdout + result.stderr  # no token was printed
    assert not (tmp_path / "db").exists()  # the database was never started
