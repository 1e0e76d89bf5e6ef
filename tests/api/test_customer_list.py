"""The customers connection: pages, cursors, filters, order, totalCount."""

from datetime import timedelta

from tests.api.queries import CREATE_CUSTOMER, CUSTOMERS, CUSTOMERS_WITHOUT_COUNT, transition

NAMES = [
    "Mei Chen",
    "Wei Zhang",
    "Anna Müller",
    "Lukas Rossi",
    "Sofia García",
    "Omar Khan",
    "Priya Sato",
    "Kenji Novak",
    "Chloé Dubois",
    "Mateo Silva",
    "Aisha Okafor",
    "Noah Larsen",
]


async def _populate(agent, clock, names=NAMES) -> list[str]:
    ids = []
    for i, name in enumerate(names):
        clock.advance(timedelta(minutes=1))
        tags = ["vip"] if i % 3 == 0 else []
        email = f"{name.split()[0].lower()}@example.com"
        data = await agent.execute(CREATE_CUSTOMER, {"input": {"name": name, "email": email, "tags": tags}})
        ids.append(data["createCustomer"]["customer"]["id"])
    return ids


async def _all_pages(agent, size: int, **variables) -> list[dict]:
    nodes, after = [], None
    while True:
        page = (await agent.execute(CUSTOMERS, {"first": size, "after": after, **variables}))["customers"]
        nodes += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


async def test_pages_cover_every_customer_once_in_creation_order(agent, clock) -> None:
    ids = await _populate(agent, clock)
    first = (await agent.execute(CUSTOMERS, {"first": 5}))["customers"]
    assert first["totalCount"] == 12
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    assert [n["id"] for n in await _all_pages(agent, 5)] == ids


async def test_cursors_stay_stable_while_customers_are_added(agent, clock) -> None:
    ids = await _populate(agent, clock)
    page = (await agent.execute(CUSTOMERS, {"first": 4, "orderBy": {"field": "NAME"}}))["customers"]
    # Someone adds a customer that sorts before the page we have seen.
    await agent.execute(CREATE_CUSTOMER, {"input": {"name": "Aaron Abbot"}})
    rest = (
        await agent.execute(
            CUSTOMERS, {"first": 50, "after": page["pageInfo"]["endCursor"], "orderBy": {"field": "NAME"}}
        )
    )["customers"]
    seen = [e["node"]["name"] for e in page["edges"]] + [e["node"]["name"] for e in rest["edges"]]
    assert seen == sorted(NAMES, key=str.casefold)
    assert set(ids) >= {e["node"]["id"] for e in rest["edges"]}
    assert rest["pageInfo"]["hasPreviousPage"] is True


async def test_order_by_name_descending(agent, clock) -> None:
    await _populate(agent, clock)
    nodes = await _all_pages(agent, 5, orderBy={"field": "NAME", "direction": "DESC"})
    assert [n["name"] for n in nodes] == sorted(NAMES, key=str.casefold, reverse=True)


async def test_filters_by_stage_tag_and_search(agent, clock) -> None:
    ids = await _populate(agent, clock)
    for customer_id in ids[:3]:
        await agent.execute(
            transition("ACQUIRE"),
            {"input": {"customerId": customer_id, "expectedVersion": 1, "reason": "order"}},
        )
    acquired = (await agent.execute(CUSTOMERS, {"filter": {"lifecycleStage": "ACQUIRED"}}))["customers"]
    assert acquired["totalCount"] == 3
    assert {e["node"]["id"] for e in acquired["edges"]} == set(ids[:3])

    vip = (await agent.execute(CUSTOMERS, {"filter": {"tag": "VIP"}}))["customers"]
    assert [e["node"]["name"] for e in vip["edges"]] == NAMES[0::3]

    by_surname = (await agent.execute(CUSTOMERS, {"filter": {"search": "MUL"}}))["customers"]
    assert [e["node"]["name"] for e in by_surname["edges"]] == ["Anna Müller"]  # accents folded
    by_email = (await agent.execute(CUSTOMERS, {"filter": {"search": "chloé@exa"}}))["customers"]
    assert [e["node"]["name"] for e in by_email["edges"]] == ["Chloé Dubois"]
    both = (await agent.execute(CUSTOMERS, {"filter": {"search": "mei ch", "tag": "vip"}}))["customers"]
    assert [e["node"]["name"] for e in both["edges"]] == ["Mei Chen"]


async def test_search_treats_regex_characters_literally(agent, clock) -> None:
    await _populate(agent, clock)
    found = (await agent.execute(CUSTOMERS, {"filter": {"search": ".*"}}))["customers"]
    assert found["totalCount"] == 0


async def test_total_count_is_not_computed_unless_selected(agent, clock) -> None:
    await _populate(agent, clock, NAMES[:3])
    variables = {"query": CUSTOMERS_WITHOUT_COUNT, "variables": {"first": 2}}
    headers = {"Authorization": f"Bearer {agent.token}"}
    without = (await agent.http.post("/graphql", json=variables, headers=headers)).json()
    variables["query"] = CUSTOMERS
    with_count = (await agent.http.post("/graphql", json=variables, headers=headers)).json()
    # token lookup + one find for the page; counting adds exactly one command
    assert without["extensions"]["db"]["commands"] == 2
    assert with_count["extensions"]["db"]["commands"] == 3
    assert with_count["data"]["customers"]["totalCount"] == 3


async def test_page_size_and_cursor_must_be_sane(agent) -> None:
    errors = await agent.errors(CUSTOMERS, {"first": 101})
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert errors[0]["message"] == "first must be between 0 and 100"
    errors = await agent.errors(CUSTOMERS, {"first": 5, "after": "forged"})
    assert errors[0]["extensions"] == {"code": "VALIDATION", "field": "after"}
