"""One log line per request, with what an operator needs and nothing a log must not hold."""

import json

import pytest

from demo_data import demo_documents, set_demo_passwords
from domain.users import Role
from repositories.customers import CustomerRepository
from repositories.tokens import TokenRepository
from repositories.users import UserRepository
from resolvers.tokens import issue_token
from server.request_log import outcome
from tests.api.serving import serving
from tests.conftest import T0, GraphQLClient, _caller

PASSWORD = "a long demo password 4 managers"

CUSTOMERS = """query Customers($after: String) {
  customers(first: 100, after: $after) {
    edges { node { id name email phone birthday } } pageInfo { hasNextPage endCursor } } }"""
SEARCH = "query Search($q: String!) { customers(first: 5, filter: { search: $q }) { totalCount } }"
SIGN_IN = """mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { session { token user { id role } } errors { code } } }"""
CREATE = """mutation NewCustomer($input: CreateCustomerInput!) {
  createCustomer(input: $input) { customer { id email phone } errors { code field } } }"""


def _lines(logs, since: int) -> list[dict]:
    return [json.loads(line) for line in logs.lines[since:]]


def _requests(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line.get("event") == "request" and line["path"] == "/graphql"]


async def test_each_request_is_one_line_with_who_what_how_long_and_how_it_ended(
    http, db, clock, logs
) -> None:
    admin = await _caller(http, db, Role.ADMIN, clock(), "Ops Admin")
    since = len(logs.lines)
    await admin.execute("query Me { me { id } }")
    await admin.post("query Broken { me { nope } }")  # refused by validation
    await GraphQLClient(http, "rap_" + "x" * 43).post("{ me { id } }")  # an unknown token
    await admin.post("{ me { id } } query Other { me { id } }", None)  # two operations, none chosen
    lines = _requests(_lines(logs, since))
    assert [(line.get("operation"), line["outcome"]) for line in lines] == [
        ("Me", "ok"),
        ("Broken", "refused"),
        (None, "unauthenticated"),
        (None, "refused"),
    ]
    me, broken, stranger, _ = lines
    assert me["operation_type"] == "query" and me["role"] == "ADMIN" and me["status"] == 200
    assert me["user_id"] == admin.local_user_id and me["token_id"]
    assert me["db_commands"] >= 1 and me["duration_ms"] >= me["db_ms"] >= 0
    assert me["request_id"] and me["level"] == "info" and me["method"] == "POST"
    assert broken["errors"] == ["BAD_USER_INPUT"]
    assert stranger["status"] == 401 and "user_id" not in stranger and "role" not in stranger


async def test_the_request_id_of_the_line_is_the_one_the_client_got(admin, logs) -> None:
    since = len(logs.lines)
    response = await admin.post("query Me { me { id } }")
    [line] = _requests(_lines(logs, since))
    assert line["request_id"] == response.headers["x-request-id"]


async def test_probes_are_quiet_and_other_routes_are_logged_too(http, logs) -> None:
    since = len(logs.lines)
    await http.get("/healthz")
    await http.get("/app/")
    lines = [line for line in _lines(logs, since) if line.get("event") == "request"]
    # /healthz answered: DEBUG, below the session's INFO; the web client's page: one line
    assert [(line["path"], line["status"]) for line in lines] == [("/app/", 200)]


@pytest.mark.parametrize(
    ("status", "codes", "request_error", "expected"),
    [
        (200, [], False, "ok"),
        (200, ["FORBIDDEN"], False, "partial"),
        (200, ["INTERNAL_SERVER_ERROR"], False, "error"),
        (200, ["BAD_USER_INPUT"], True, "refused"),
        (400, [], False, "refused"),
        (401, [], False, "unauthenticated"),
        (413, [], False, "too_large"),
        (429, [], False, "rate_limited"),
        (503, ["SERVICE_UNAVAILABLE"], False, "unavailable"),
        (500, [], False, "error"),
    ],
)
def test_outcomes(status, codes, request_error, expected) -> None:
    assert outcome(status, codes, request_error=request_error) == expected


async def test_a_day_of_requests_logs_no_token_password_email_or_phone(
    db, mongo_client, clock, settings, logs
) -> None:
    """The demo customers listed, searched by email, signed in with a password, tokens made
    and used, customers created with their contact details, mistakes: in production."""
    documents = demo_documents(T0)
    await CustomerRepository(db).insert_many(documents)
    since = len(logs.lines)
    production = settings.model_copy(update={"env": "production"})
    async with serving(production, db, mongo_client, clock) as http:
        admin = await _caller(http, db, Role.ADMIN, clock(), "Ops Admin")
        after = None
        while True:  # every demo customer, emails and phones included, goes out in a response
            page = (await admin.execute(CUSTOMERS, {"after": after}))["customers"]
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
        for doc in documents[:5]:
            await admin.execute(SEARCH, {"q": doc["email"]})
        await UserRepository(db).ensure_user("Wang Fang", Role.ACCOUNT_MANAGER, None, clock())
        assert await set_demo_passwords(db, PASSWORD, clock()) == ["Wang Fang"]
        anonymous = GraphQLClient(http, None)
        session = (await anonymous.execute(SIGN_IN, {"input": {"name": "Wang Fang", "password": PASSWORD}}))[
            "signIn"
        ]["session"]
        await anonymous.post(SIGN_IN, {"input": {"name": "Wang Fang", "password": PASSWORD + "?"}})
        await GraphQLClient(http, session["token"]).execute("query Me { me { id } }")
        made = await issue_token(
            UserRepository(db), TokenRepository(db), "Li Na", Role.CX_AGENT, None, clock()
        )
        agent = GraphQLClient(http, made)
        created = await agent.execute(
            CREATE,
            {"input": {"name": "Zhou Xin", "email": "zhou.xin@example.com", "phone": "+86 139 1234 5678"}},
        )
        assert created["createCustomer"]["errors"] == []
        duplicate = await agent.execute(
            CREATE, {"input": {"name": "Zhou X", "email": "zhou.xin@example.com"}}
        )
        assert duplicate["createCustomer"]["errors"][0]["code"] == "DUPLICATE"
        await GraphQLClient(http, made + "x").post("query Me { me { id } }")  # a mistyped token
        await http.get("/graphql", params={"query": SEARCH, "variables": json.dumps({"q": "13812345678"})})

    text = "\n".join(logs.lines[since:])
    requests = _requests(_lines(logs, since))
    assert len(requests) >= 14 and {line["outcome"] for line in requests} >= {"ok", "unauthenticated"}
    assert {line.get("role") for line in requests} >= {"ADMIN", "ACCOUNT_MANAGER", "CX_AGENT"}
    secrets = {PASSWORD, session["token"], made, admin.token, "zhou.xin@example.com", "13912345678"}
    secrets |= {doc["email"] for doc in documents} | {doc["phone"] for doc in documents}
    secrets |= {doc["phone"].replace(" ", "") for doc in documents} | {doc["name"] for doc in documents}
    leaked = sorted(secret for secret in secrets if secret in text)
    assert leaked == [], leaked
