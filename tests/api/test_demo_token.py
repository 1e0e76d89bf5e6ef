"""The development demo token: printed once, reused while it works, expiring, and never
accepted in production."""

from datetime import timedelta

import httpx
from structlog.testing import capture_logs

from resolvers.tokens import DEMO_PARTNER
from server.app import announce_demo_token, create_app, demo_token_path
from server.database import Database
from server.settings import Settings
from tests.conftest import GraphQLClient


async def test_the_demo_token_is_printed_once_reused_and_expires(db, clock, tmp_path, http, capsys) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "db", demo_token_ttl_hours=24)
    with capture_logs() as first_start:
        token = await announce_demo_token(settings, db, clock())
    assert f'{{"Authorization": "Bearer {token}"}}' in capsys.readouterr().out  # on the terminal
    assert token not in str(first_start)  # never in the log
    assert demo_token_path(settings).stat().st_mode & 0o777 == 0o600

    clock.advance(timedelta(hours=1))
    assert await announce_demo_token(settings, db, clock()) == token  # reused, not a new one
    assert token not in capsys.readouterr().out  # and not printed again
    assert await db["api_tokens"].count_documents({}) == 1
    assert (await GraphQLClient(http, token).execute("{ me { name role } }"))["me"]["role"] == "ADMIN"

    clock.advance(timedelta(hours=24))
    response = await GraphQLClient(http, token).post("{ me { name } }")
    assert response.status_code == 401  # expired
    renewed = await announce_demo_token(settings, db, clock())
    assert renewed != token


async def test_the_demo_partner_token_reads_only_what_is_shared_with_its_partner(
    db, clock, tmp_path, http
) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "db")
    token = await announce_demo_token(settings, db, clock(), DEMO_PARTNER)
    assert demo_token_path(settings, DEMO_PARTNER).name == "demo-partner-token"
    me = await GraphQLClient(http, token).execute("{ me { role } }")
    assert me["me"]["role"] == "PARTNER"


async def test_a_demo_token_opens_nothing_in_production(db, clock, tmp_path, mongo_client) -> None:
    token = await announce_demo_token(Settings(_env_file=None, data_dir=tmp_path / "db"), db, clock())
    production = Settings(_env_file=None, env="production")
    app = create_app(production, database=Database(client=mongo_client, db=db), clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await GraphQLClient(client, token).post("{ me { name } }")
    assert response.status_code == 401
