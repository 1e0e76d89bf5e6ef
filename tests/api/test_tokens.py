"""API tokens in the graph: ADMIN lists and revokes them; a revoked or expired token gets
401 like an unknown one; lastUsedAt is kept to within a minute without a write per request."""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import HTTPConnection

from domain.users import Role
from repositories.tokens import TokenRepository, token_hash
from repositories.users import UserRepository
from resolvers.tokens import issue_token
from schema.node import global_id
from server.auth import authenticate
from tests.conftest import UNKNOWN, GraphQLClient

TOKENS = """query($first: Int, $after: String, $filter: TokenFilter) {
  tokens(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { node { id name createdAt expiresAt lastUsedAt revokedAt status demo user { id name role } } }
    pageInfo { hasNextPage endCursor } } }"""

REVOKE = """mutation($input: RevokeTokenInput!) {
  revokeToken(input: $input) { token { id name revokedAt status } errors { code message field } } }"""

NODE = "query($id: ID!) { node(id: $id) { id ... on ApiToken { name } } }"
ME = "{ me { id } }"


async def _tokens_of(admin: GraphQLClient, caller: GraphQLClient, **filter_: bool) -> list[dict]:
    data = await admin.execute(TOKENS, {"filter": {"userId": caller.user_id, **filter_}})
    return [e["node"] for e in data["tokens"]["edges"]]


async def _token_of(admin: GraphQLClient, caller: GraphQLClient) -> dict:
    [token] = await _tokens_of(admin, caller, includeRevoked=True, includeExpired=True)
    return token


def _assert_refused_like_an_unknown_token(response) -> None:
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "a valid bearer token is required", "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert response.headers["www-authenticate"] == 'Bearer realm="rapport", error="invalid_token"'


async def test_an_admin_lists_tokens_newest_first_without_secrets(admin, agent, analyst, clock) -> None:
    data = (await admin.execute(TOKENS, {"first": 2}))["tokens"]
    assert data["totalCount"] == 3
    names = [e["node"]["user"]["name"] for e in data["edges"]]
    rest = (await admin.execute(TOKENS, {"first": 2, "after": data["pageInfo"]["endCursor"]}))["tokens"]
    names += [e["node"]["user"]["name"] for e in rest["edges"]]
    # made at the same instant, in fixture order: newest first, then by id
    assert names == ["analyst-tester", "cx_agent-tester", "admin-tester"]

    token = await _token_of(admin, agent)
    assert token["user"] == {"id": agent.user_id, "name": "cx_agent-tester", "role": "CX_AGENT"}
    assert (token["name"], token["status"], token["demo"], token["revokedAt"]) == (
        "cli",
        "ACTIVE",
        False,
        None,
    )
    assert token["createdAt"] == clock().isoformat()
    assert token["expiresAt"] == (clock() + timedelta(days=90)).isoformat()  # the default lifetime
    everything = str(await admin.execute(TOKENS, {}))
    assert agent.token not in everything and token_hash(agent.token) not in everything


async def test_only_an_admin_sees_tokens(admin, agent, analyst, manager, partner) -> None:
    token = await _token_of(admin, agent)
    assert (await admin.execute(NODE, {"id": token["id"]}))["node"] == {"id": token["id"], "name": "cli"}
    for caller in (agent, analyst, manager, partner):
        [error] = await caller.errors(TOKENS)
        assert error["extensions"]["code"] == "FORBIDDEN"
        [error] = await caller.errors(REVOKE, {"input": {"tokenId": token["id"]}})
        assert error["extensions"]["code"] == "FORBIDDEN"
        # a token's id reads exactly like one that names nothing
        assert (await caller.execute(NODE, {"id": token["id"]}))["node"] is None
        assert (await caller.execute(NODE, {"id": global_id("ApiToken", UNKNOWN)}))["node"] is None
    assert (await agent.execute(ME))["me"]["id"] == agent.user_id  # nothing was revoked


async def test_a_revoked_token_gets_401_like_an_unknown_one(admin, agent, http, clock) -> None:
    token = await _token_of(admin, agent)
    clock.advance(timedelta(minutes=5))
    revoked = (await admin.execute(REVOKE, {"input": {"tokenId": token["id"]}}))["revokeToken"]
    assert revoked == {
        "token": {"id": token["id"], "name": "cli", "revokedAt": clock().isoformat(), "status": "REVOKED"},
        "errors": [],
    }
    _assert_refused_like_an_unknown_token(await agent.post(ME))
    _assert_refused_like_an_unknown_token(await GraphQLClient(http, "rap_unknown").post(ME))
    no_token = await http.post("/graphql", json={"query": ME})
    assert (no_token.status_code, no_token.headers["www-authenticate"]) == (401, 'Bearer realm="rapport"')

    # revoked tokens are listed only when asked for
    assert await _tokens_of(admin, agent) == []
    [listed] = await _tokens_of(admin, agent, includeRevoked=True)
    assert listed["status"] == "REVOKED"

    # a second revocation changes nothing and says why
    clock.advance(timedelta(minutes=5))
    again = (await admin.execute(REVOKE, {"input": {"tokenId": token["id"]}}))["revokeToken"]
    assert again == {
        "token": None,
        "errors": [
            {"code": "INVALID_TRANSITION", "message": "the token is already revoked", "field": "tokenId"}
        ],
    }
    assert (await _token_of(admin, agent))["revokedAt"] == (clock() - timedelta(minutes=5)).isoformat()


async def test_revoke_token_names_a_wrong_id(admin) -> None:
    for token_id, code in [
        (admin.user_id, "VALIDATION"),  # a User id
        ("nonsense", "VALIDATION"),
        (global_id("ApiToken", UNKNOWN), "NOT_FOUND"),
    ]:
        result = (await admin.execute(REVOKE, {"input": {"tokenId": token_id}}))["revokeToken"]
        assert result["token"] is None
        assert [(e["code"], e["field"]) for e in result["errors"]] == [(code, "tokenId")]
    [error] = await admin.errors(TOKENS, {"filter": {"userId": global_id("ApiToken", UNKNOWN)}})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "filter.userId")


async def test_an_expired_token_gets_401_and_is_listed_as_expired(admin, http, db, clock) -> None:
    secret = await issue_token(
        UserRepository(db), TokenRepository(db), "nightly-export", Role.ANALYST, None, clock(),
        lifetime=timedelta(days=1), token_name="exports",
    )  # fmt: skip
    caller = GraphQLClient(http, secret)
    assert (await caller.post(ME)).status_code == 200

    clock.advance(timedelta(days=1) - timedelta(seconds=1))
    assert (await caller.post(ME)).status_code == 200
    clock.advance(timedelta(seconds=1))  # expiresAt is now
    _assert_refused_like_an_unknown_token(await caller.post(ME))

    data = await admin.execute(TOKENS, {"filter": {"includeExpired": True}})
    [exports] = [e["node"] for e in data["tokens"]["edges"] if e["node"]["name"] == "exports"]
    assert exports["status"] == "EXPIRED"
    data = await admin.execute(TOKENS, {})
    assert "exports" not in [e["node"]["name"] for e in data["tokens"]["edges"]]


async def test_last_use_is_kept_at_most_once_a_minute(admin, agent, clock) -> None:
    first_use = clock()  # the fixture's `me` query
    assert (await _token_of(admin, agent))["lastUsedAt"] == first_use.isoformat()

    clock.advance(timedelta(seconds=59))
    response = (await agent.post(ME)).json()
    assert response["extensions"]["db"]["commands"] == 1  # the token lookup, no write
    assert (await _token_of(admin, agent))["lastUsedAt"] == first_use.isoformat()

    clock.advance(timedelta(seconds=1))
    response = (await agent.post(ME)).json()
    assert response["extensions"]["db"]["commands"] == 2  # the lookup and one conditional write
    assert (await _token_of(admin, agent))["lastUsedAt"] == clock().isoformat()


async def test_of_requests_that_saw_a_stale_last_use_one_writes(agent, db, clock) -> None:
    tokens = TokenRepository(db)
    found = await tokens.find(agent.token)
    assert found is not None
    clock.advance(timedelta(minutes=2))
    interval = timedelta(minutes=1)
    written = [await tokens.note_use(found.token.id, clock(), interval) for _ in range(3)]
    assert written == [True, False, False]


async def test_authentication_names_the_user_and_the_token(admin, agent, db, clock) -> None:
    """What the request context carries (the audit log reads ctx.token.name and .id)."""
    token = await _token_of(admin, agent)
    request = HTTPConnection(
        {"type": "http", "headers": [(b"authorization", f"Bearer {agent.token}".encode())]}
    )
    user, api_token = await authenticate(request, TokenRepository(db), clock(), demo_allowed=False)
    assert (user.name, user.role) == ("cx_agent-tester", Role.CX_AGENT)
    assert (global_id("ApiToken", api_token.id), api_token.name) == (token["id"], "cli")
    assert api_token.user_id == user.id
