"""Every request names its user; roles decide who may change customers."""

from tests.api.queries import CREATE_CUSTOMER, CUSTOMERS

ME = "{ me { id name role partnerId } }"


async def test_request_without_token_is_unauthenticated(http) -> None:
    response = await http.post("/graphql", json={"query": ME})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_unknown_token_is_unauthenticated(http) -> None:
    response = await http.post("/graphql", json={"query": ME}, headers={"Authorization": "Bearer rap_nope"})
    assert response.status_code == 401
    assert response.json() == {
        "errors": [{"message": "a valid bearer token is required", "extensions": {"code": "UNAUTHENTICATED"}}]
    }


async def test_token_must_use_the_bearer_scheme(http, agent) -> None:
    response = await http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Basic {agent.token}"}
    )
    assert response.status_code == 401


async def test_me_is_the_caller(agent) -> None:
    data = await agent.execute(ME)
    assert data["me"]["name"] == "cx_agent-tester"
    assert data["me"]["role"] == "CX_AGENT"
    assert data["me"]["partnerId"] is None


async def test_get_queries_are_authenticated_too(http, agent) -> None:
    response = await http.get(
        "/graphql", params={"query": ME}, headers={"Authorization": f"Bearer {agent.token}"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["role"] == "CX_AGENT"
    assert (await http.get("/graphql", params={"query": ME})).status_code == 401


async def test_analyst_may_read_but_not_create_customers(analyst, agent) -> None:
    errors = await analyst.errors(CREATE_CUSTOMER, {"input": {"name": "Mei Chen"}})
    assert errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert errors[0]["path"] == ["createCustomer"]
    data = await agent.execute(CUSTOMERS, {"first": 5})
    assert data["customers"]["totalCount"] == 0  # nothing was written
    assert (await analyst.execute(CUSTOMERS, {}))["customers"]["totalCount"] == 0


async def test_graphiql_page_is_served_in_development(http) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
