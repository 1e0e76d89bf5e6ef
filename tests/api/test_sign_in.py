"""Signing in with a password (the web client): signIn, signOut, setUserPassword and the
set-password CLI; the slowdown after repeated failures, with the injected clock."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta

import httpx
import pytest

from domain.sign_in import SESSION_TOKEN_NAME
from domain.users import Role
from repositories.users import UserRepository
from server.app import create_app
from server.database import Database
from server.settings import Settings
from tests.conftest import GraphQLClient
from tests.integration.test_cli import ROOT

PASSWORD = "correct horse battery staple"

SIGN_IN = """
mutation($input: SignInInput!) {
  signIn(input: $input) {
    session { token expiresAt user { id name role } }
    errors { code message field }
  }
}"""

SIGN_OUT = "mutation { signOut { signedOut errors { code message field } } }"

SET_PASSWORD = """
mutation($input: SetUserPasswordInput!) {
  setUserPassword(input: $input) { user { id name } errors { code message field } }
}"""


async def _sign_in(anonymous: GraphQLClient, name: str, password: str) -> dict:
    return (await anonymous.execute(SIGN_IN, {"input": {"name": name, "password": password}}))["signIn"]


async def _set_password(admin: GraphQLClient, user_id: str, password: str = PASSWORD) -> dict:
    data = await admin.execute(SET_PASSWORD, {"input": {"userId": user_id, "password": password}})
    return data["setUserPassword"]


@pytest.fixture
async def wang(admin, manager) -> GraphQLClient:
    """Wang Fang, an account manager with a password."""
    assert (await _set_password(admin, manager.user_id))["errors"] == []
    return manager


async def test_a_manager_signs_in_uses_the_session_and_signs_out(wang, anonymous, clock) -> None:
    signed_in = await _sign_in(anonymous, "Wang Fang", PASSWORD)
    assert signed_in["errors"] == []
    session = signed_in["session"]
    assert session["user"] == {"id": wang.user_id, "name": "Wang Fang", "role": "ACCOUNT_MANAGER"}
    assert session["expiresAt"] == (clock() + timedelta(minutes=480)).isoformat()
    browser = GraphQLClient(anonymous.http, session["token"])
    assert (await browser.execute("{ me { name } }")) == {"me": {"name": "Wang Fang"}}

    assert (await browser.execute(SIGN_OUT)) == {"signOut": {"signedOut": True, "errors": []}}
    refused = await browser.post("{ me { name } }")
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_session_is_a_short_lived_token_named_web_session(wang, anonymous, admin, clock) -> None:
    token = (await _sign_in(anonymous, "Wang Fang", PASSWORD))["session"]["token"]
    listed = await admin.execute(
        "query($u: ID) { tokens(filter: { userId: $u }) { edges { node { name expiresAt } } } }",
        {"u": wang.user_id},
    )
    names = [e["node"]["name"] for e in listed["tokens"]["edges"]]
    assert SESSION_TOKEN_NAME in names
    clock.advance(timedelta(minutes=480))
    assert (await GraphQLClient(anonymous.http, token).post("{ me { id } }")).status_code == 401


async def test_wrong_password_and_unknown_name_answer_identically(wang, anonymous) -> None:
    wrong = await anonymous.post(SIGN_IN, {"input": {"name": "Wang Fang", "password": "not the password"}})
    unknown = await anonymous.post(
        SIGN_IN, {"input": {"name": "Nobody Here", "password": "not the password"}}
    )
    no_password = await anonymous.post(
        SIGN_IN, {"input": {"name": "admin-tester", "password": "whatever it is"}}
    )
    assert wrong.status_code == unknown.status_code == no_password.status_code == 200
    assert wrong.json()["data"] == unknown.json()["data"] == no_password.json()["data"]
    assert wrong.json()["data"]["signIn"] == {
        "session": None,
        "errors": [
            {"code": "SIGN_IN_REFUSED", "message": "the name or the password is wrong", "field": None}
        ],
    }


async def test_repeated_failures_for_a_name_are_slowed_down(wang, anonymous, clock) -> None:
    for _ in range(5):  # RAPPORT_SIGN_IN_FREE_FAILURES
        assert (await _sign_in(anonymous, "Wang Fang", "guess"))["errors"][0]["code"] == "SIGN_IN_REFUSED"
    # Now even the right password waits: 30 s after the fifth failure.
    waiting = await _sign_in(anonymous, "Wang Fang", PASSWORD)
    assert waiting == {
        "session": None,
        "errors": [
            {
                "code": "TOO_MANY_ATTEMPTS",
                "message": "too many failed sign-ins for this name; try again in 30 s",
                "field": None,
            }
        ],
    }
    clock.advance(timedelta(seconds=29))
    assert (await _sign_in(anonymous, "Wang Fang", PASSWORD))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(seconds=1))
    assert (await _sign_in(anonymous, "Wang Fang", "guess again"))["errors"][0]["code"] == "SIGN_IN_REFUSED"
    # The sixth failure doubles the wait.
    clock.advance(timedelta(seconds=59))
    assert (await _sign_in(anonymous, "wang  fang", PASSWORD))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(seconds=1))
    assert (await _sign_in(anonymous, "Wang Fang", PASSWORD))["session"] is not None
    # A success forgets the count.
    assert (await _sign_in(anonymous, "Wang Fang", "guess"))["errors"][0]["code"] == "SIGN_IN_REFUSED"
    assert (await _sign_in(anonymous, "Wang Fang", PASSWORD))["session"] is not None


async def test_an_unknown_name_is_slowed_down_like_a_known_one(anonymous, clock) -> None:
    answers = [await _sign_in(anonymous, "Nobody Here", "guess") for _ in range(6)]
    assert [a["errors"][0]["code"] for a in answers] == ["SIGN_IN_REFUSED"] * 5 + ["TOO_MANY_ATTEMPTS"]


async def test_the_failure_count_is_shared_by_every_instance(wang, db, mongo_client, clock, settings) -> None:
    """Two apps on one database (two instances behind a load balancer) see one count."""

    def instance() -> httpx.AsyncClient:
        app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rapport.test")

    async with instance() as one, instance() as two:
        for i in range(5):
            http = one if i % 2 else two
            assert (await _sign_in(GraphQLClient(http, None), "Wang Fang", "guess"))["errors"]
        answer = await _sign_in(GraphQLClient(one, None), "Wang Fang", PASSWORD)
    assert answer["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_slowdown_settings(db, mongo_client, clock, admin, manager) -> None:
    settings = Settings(_env_file=None, sign_in_free_failures=1, sign_in_delay_s=10, session_ttl_minutes=15)
    await _set_password(admin, manager.user_id)
    app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
        anonymous = GraphQLClient(http, None)
        assert (await _sign_in(anonymous, "Wang Fang", "guess"))["errors"][0]["code"] == "SIGN_IN_REFUSED"
        assert (await _sign_in(anonymous, "Wang Fang", PASSWORD))["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
        clock.advance(timedelta(seconds=10))
        session = (await _sign_in(anonymous, "Wang Fang", PASSWORD))["session"]
    assert session["expiresAt"] == (clock() + timedelta(minutes=15)).isoformat()


async def test_sign_in_needs_no_token_but_nothing_else_comes_with_it(wang, anonymous) -> None:
    mixed = f'mutation {{ signIn(input: {{ name: "Wang Fang", password: "{PASSWORD}" }}) {{ errors {{ code }} }} signOut {{ signedOut }} }}'
    assert (await anonymous.post(mixed)).status_code == 401
    beside_a_query = SIGN_IN + " query Other { me { id } }"
    assert (
        await anonymous.post(beside_a_query, {"input": {"name": "Wang Fang", "password": PASSWORD}})
    ).status_code == 401
    assert (await anonymous.post("{ me { id } }")).status_code == 401
    # With a token, signIn must still come alone (the client never sends one with it).
    answer = await wang.execute(SIGN_IN + "", {"input": {"name": "Wang Fang", "password": PASSWORD}})
    assert answer["signIn"]["session"] is not None  # alone: the token is ignored


async def test_only_an_admin_sets_passwords_and_they_are_bounded(admin, manager, other_manager) -> None:
    errors = await manager.errors(
        SET_PASSWORD, {"input": {"userId": other_manager.user_id, "password": PASSWORD}}
    )
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    short = await _set_password(admin, manager.user_id, "too short")
    assert short == {
        "user": None,
        "errors": [
            {
                "code": "VALIDATION",
                "message": "the password must be at least 12 characters",
                "field": "password",
            }
        ],
    }
    unknown = await _set_password(admin, "VXNlcjo1ZWVkMDAwMDAwMDAwMDAwMDAwMDA5OTk=")
    assert unknown["errors"][0]["code"] == "NOT_FOUND"


async def test_a_new_password_signs_the_user_out_everywhere(wang, admin, anonymous) -> None:
    token = (await _sign_in(anonymous, "Wang Fang", PASSWORD))["session"]["token"]
    await _set_password(admin, wang.user_id, "a different passphrase")
    assert (await GraphQLClient(anonymous.http, token).post("{ me { id } }")).status_code == 401
    assert (await _sign_in(anonymous, "Wang Fang", PASSWORD))["errors"][0]["code"] == "SIGN_IN_REFUSED"
    assert (await _sign_in(anonymous, "Wang Fang", "a different passphrase"))["session"] is not None


async def test_passwords_are_kept_only_as_argon2id_hashes_and_never_in_the_audit_log(
    wang, anonymous, admin, db
) -> None:
    await _sign_in(anonymous, "Wang Fang", PASSWORD)
    await _sign_in(anonymous, "Wang Fang", "a wrong one, typed")
    stored = await db["users"].find_one({"name": "Wang Fang"})
    assert stored["passwordHash"].startswith("$argon2id$") and PASSWORD not in stored["passwordHash"]
    entries = await db["audit_log"].find({}).to_list()
    assert {e["operation"] for e in entries} >= {"setUserPassword", "signIn"}
    signed_in = next(e for e in entries if e["operation"] == "signIn")
    assert signed_in["actor"]["name"] == "Wang Fang" and signed_in["token"]["name"] == SESSION_TOKEN_NAME
    everything = repr(entries) + repr(await db["sign_in_failures"].find({}).to_list())
    assert PASSWORD not in everything and "a wrong one, typed" not in everything


async def test_a_password_that_looks_like_an_id_is_not_kept_as_one(admin, manager, db) -> None:
    looks_like_an_id = "S2V5QWNjb3VudDo1ZWVkMDAwMDAwMDAwMDAwMDAwMDA5OTk="  # KeyAccount:5eed…999
    await _set_password(admin, manager.user_id, looks_like_an_id)
    entry = await db["audit_log"].find_one({"operation": "setUserPassword"})
    assert looks_like_an_id not in repr(entry)


async def test_passwords_never_reach_the_log(wang, anonymous, capfd) -> None:
    await _sign_in(anonymous, "Wang Fang", PASSWORD)
    await _sign_in(anonymous, "Wang Fang", "typed by mistake 123")
    await anonymous.post(SIGN_IN, {"input": {"name": "Wang Fang", "password": 42}})  # a type error
    out, err = capfd.readouterr()
    assert PASSWORD not in out + err and "typed by mistake 123" not in out + err


def _set_password_cli(mongo_uri: str, db_name: str, *args: str, stdin: str) -> subprocess.CompletedProcess:
    env = {"RAPPORT_MONGODB_URI": mongo_uri, "RAPPORT_MONGODB_DB": db_name, "RAPPORT_LOG_LEVEL": "WARNING"}
    return subprocess.run(
        [sys.executable, "main.py", "set-password", *args],
        cwd=ROOT,
        env={**__import__("os").environ, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_the_set_password_cli_reads_standard_input(mongo_uri, mongo_client, clock, settings) -> None:
    db_name = f"rapport_cli_{uuid.uuid4().hex[:8]}"
    try:
        missing = _set_password_cli(mongo_uri, db_name, "--name", "Li Na", stdin=PASSWORD + "\n")
        assert (
            missing.returncode == 2
            and missing.stderr == "error: no user named 'Li Na'; pass --role to create one\n"
        )
        short = _set_password_cli(
            mongo_uri, db_name, "--name", "Li Na", "--role", "ACCOUNT_MANAGER", stdin="short\n"
        )
        assert short.returncode == 2 and "at least 12 characters" in short.stderr
        made = _set_password_cli(
            mongo_uri, db_name, "--name", "Li Na", "--role", "ACCOUNT_MANAGER", stdin=PASSWORD + "\n"
        )
        assert made.returncode == 0, made.stderr
        assert made.stdout == "password set for Li Na (ACCOUNT_MANAGER)\n"
        assert PASSWORD not in made.stdout + made.stderr

        db = mongo_client[db_name]
        found = await UserRepository(db).by_name("Li Na")
        assert found is not None and found[0].role is Role.ACCOUNT_MANAGER
        app = create_app(settings, database=Database(client=mongo_client, db=db), clock=clock)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            session = (await _sign_in(GraphQLClient(http, None), "Li Na", PASSWORD))["session"]
        assert session["user"]["name"] == "Li Na"
    finally:
        await mongo_client.drop_database(db_name)


async def test_counts_a_day_old_are_forgotten_and_pruned(anonymous, clock, db) -> None:
    for _ in range(5):
        await _sign_in(anonymous, "Nobody Here", "guess")
    clock.advance(timedelta(hours=24))
    assert (await _sign_in(anonymous, "Someone Else", "guess"))["errors"][0]["code"] == "SIGN_IN_REFUSED"
    assert await db["sign_in_failures"].count_documents({}) == 1  # "nobody here" was pruned
    assert (await _sign_in(anonymous, "Nobody Here", "guess"))["errors"][0]["code"] == "SIGN_IN_REFUSED"


async def test_the_demo_managers_password_is_printed_once_and_works(
    db, clock, tmp_path, anonymous, capsys
) -> None:
    from demo_data import DEMO_MANAGERS
    from server.app import announce_demo_password

    settings = Settings(_env_file=None, data_dir=tmp_path / "db")
    assert await announce_demo_password(settings, db, clock()) is None  # no demo data: nothing to give
    for name in DEMO_MANAGERS:
        await UserRepository(db).ensure_user(name, Role.ACCOUNT_MANAGER, None, clock())
    password = await announce_demo_password(settings, db, clock())
    printed = capsys.readouterr().out
    assert password and password in printed and "http://127.0.0.1:8000/app/" in printed
    assert (tmp_path / "demo-manager-password").read_text().strip() == password
    assert (tmp_path / "demo-manager-password").stat().st_mode & 0o777 == 0o600
    assert await announce_demo_password(settings, db, clock()) == password  # reused
    assert password not in capsys.readouterr().out  # and not printed again
    assert (await _sign_in(anonymous, "Zhao Lei", password))["session"]["user"]["name"] == "Zhao Lei"
