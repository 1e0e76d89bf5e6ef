"""The CLI as an operator runs it: `python main.py <command>`."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

from migrations import MIGRATIONS
from server.app import create_app
from server.database import Database
from tests.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str, uri: str, db_name: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "RAPPORT_MONGODB_URI": uri,
        "RAPPORT_MONGODB_DB": db_name,
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "main.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


async def test_create_token_prints_a_working_token_last(mongo_uri, mongo_client, clock, settings) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        result = _cli("create-token", "--role", "ANALYST", "--name", "grace", uri=mongo_uri, db_name=db_name)
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

        again = _cli("create-token", "--role", "ADMIN", "--name", "grace", uri=mongo_uri, db_name=db_name)
        assert again.returncode == 1
        assert "exists with role ANALYST" in again.stderr
    finally:
        await mongo_client.drop_database(db_name)


async def test_migrate_and_seed_are_idempotent(mongo_uri, mongo_client) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        first = _cli("migrate", uri=mongo_uri, db_name=db_name)
        assert first.returncode == 0, first.stderr
        assert f"applied migrations: {[m.VERSION for m in MIGRATIONS]}" in first.stdout
        assert "up to date" in _cli("migrate", uri=mongo_uri, db_name=db_name).stdout

        assert "demo customers added: 300" in _cli("seed", uri=mongo_uri, db_name=db_name).stdout
        assert "demo customers added: 0" in _cli("seed", uri=mongo_uri, db_name=db_name).stdout
        stages = await mongo_client[db_name]["customers"].distinct("lifecycleStage")
        assert set(stages) == {"PROSPECT", "ACQUIRED", "ACTIVE", "RETAINED", "AT_RISK", "LAPSED"}
    finally:
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
