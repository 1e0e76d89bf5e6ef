"""Query limits: each refused before anything executes, with a message that says which.
Just under each limit passes; just over is refused."""

import re
from pathlib import Path

import pytest
from strawberry.extensions.validation_cache import DEFAULT_MAXSIZE, _get_validate_cache

from schema.node import global_id
from server.settings import Settings
from tests.api.serving import serving
from tests.conftest import UNKNOWN, GraphQLClient

README = Path(__file__).resolve().parents[2] / "README.md"
#: 1 + 100 * (edges 1 + node 1 + id 1 + name 1) = 401 per alias.
PAGE_OF_100 = "customers(first: 100) { edges { node { id name } } }"


def aliases(count: int, field: str) -> str:
    return "{ " + " ".join(f"a{n}: {field}" for n in range(count)) + " }"


def assert_refused(errors: list[dict], message: str) -> None:
    assert len(errors) == 1, errors
    assert message in errors[0]["message"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_up_to_15_aliases_pass_and_16_are_refused(agent) -> None:
    assert len(await agent.execute(aliases(15, "me { id }"))) == 15
    assert_refused(await agent.errors(aliases(16, "me { id }")), "16 aliases found. Allowed: 15")


async def test_a_document_of_2000_tokens_passes_and_2001_are_refused(agent) -> None:
    # Comments count (a comment-padded document allocates a token per comment too):
    # six tokens of query and 1,994 comments make 2,000.
    query = "{ me { id } }\n" + "# padding\n" * 1994
    assert (await agent.execute(query))["me"]["id"] == agent.user_id
    assert_refused(await agent.errors(query + "# one more\n"), "Document contains more than 2000 tokens")
    fields = "{ me { " + "id " * 1996 + "} }"  # 2,001 tokens of fields
    assert_refused(await agent.errors(fields), "Document contains more than 2000 tokens")


async def test_depth_up_to_the_limit_passes_and_one_more_level_is_refused(
    db, mongo_client, clock, agent
) -> None:
    settings = Settings(_env_file=None, max_query_depth=6)
    async with serving(settings, db, mongo_client, clock) as http:
        caller = GraphQLClient(http, agent.token)
        # Depth counts from 0 at the root field: `name` is at depth 6, `relationship` at 7.
        await caller.execute("{ keyAccounts { edges { node { contacts { edges { node { name } } } } } } }")
        errors = await caller.errors(
            "{ keyAccounts { edges { node { contacts { edges { node { relationships { relationship } } } } } } } }"
        )
    assert_refused(errors, "exceeds maximum operation depth of 6")


@pytest.mark.parametrize("size", ["first", "last"])
async def test_cost_up_to_the_budget_passes_and_over_it_is_refused(agent, size) -> None:
    # 12 pages of 100: 12 * 401 = 4,812; 13: 5,213 (the default budget is 5,000). A page
    # from the end costs what a page from the start does, known before anything runs.
    page = PAGE_OF_100.replace("first", size)
    assert len(await agent.execute(aliases(12, page))) == 12
    errors = await agent.errors(aliases(13, page))
    assert_refused(errors, "the query costs 5213, over the limit of 5000")


@pytest.mark.parametrize("size", ["first", "last"])
async def test_cost_reads_page_sizes_from_variables(agent, size) -> None:
    query = (
        "query($n: Int) { "
        + " ".join(f"a{n}: customers({size}: $n) {{ edges {{ node {{ id name }} }} }}" for n in range(13))
        + " }"
    )
    # 13 * (1 + 95 * 4) = 4,953; with 96: 13 * 385 = 5,005.
    assert len(await agent.execute(query, {"n": 95})) == 13
    assert_refused(await agent.errors(query, {"n": 96}), "the query costs 5005, over the limit of 5000")
    # Absent, the page is the default of 20: 13 * 81.
    assert len(await agent.execute(query, {})) == 13


async def test_first_and_last_together_cost_the_larger_and_are_refused(agent) -> None:
    [both] = await agent.errors("{ customers(first: 1, last: 2) { edges { node { id } } } }")
    assert both["extensions"] == {"code": "VALIDATION", "field": "last"}
    both_pages = "customers(first: 1, last: 100) { edges { node { id name } } }"
    assert_refused(await agent.errors(aliases(13, both_pages)), "the query costs 5213")


async def test_cost_counts_fragments_where_they_are_spread(agent) -> None:
    query = "query { " + " ".join(f"a{n}: customers(first: 100) {{ ...page }}" for n in range(13))
    query += " } fragment page on CustomerConnection { edges { node { id name } } }"
    assert_refused(await agent.errors(query), "the query costs 5213")


async def test_20_aliases_of_a_page_of_100_are_over_budget_even_if_aliases_were_allowed(
    db, mongo_client, clock, agent
) -> None:
    settings = Settings(_env_file=None, max_query_aliases=50)
    async with serving(settings, db, mongo_client, clock) as http:
        errors = await GraphQLClient(http, agent.token).errors(aliases(20, PAGE_OF_100))
    assert_refused(errors, "the query costs 8020, over the limit of 5000")


async def test_the_readme_dossier_query_fits_the_budget(agent) -> None:
    dossier = re.search(r"```graphql\n(query Dossier.*?)```", README.read_text(), re.S)
    assert dossier, "the README shows the dossier query"
    # Its cost is 1,421: the refusal would come before execution, whatever the id names.
    data = await agent.execute(dossier.group(1), {"id": global_id("KeyAccount", UNKNOWN)})
    assert data == {"keyAccount": None}


async def test_a_field_may_not_repeat_a_directive(agent) -> None:
    errors = await agent.errors("{ me { id @include(if: true) @include(if: true) } }")
    assert any("@include is repeated 2 times" in e["message"] for e in errors), errors
    assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in errors)


async def test_graphql_cops_directive_overloading_probe_gets_one_error(agent) -> None:
    # The probe counts one error per directive copy as "vulnerable".
    errors = await agent.errors("query { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }")
    assert_refused(errors, "the directive @aa is repeated 10 times in one place")


async def test_different_directives_on_one_field_pass(agent) -> None:
    data = await agent.execute("{ me { id @include(if: true) @skip(if: false) } }")
    assert data["me"]["id"] == agent.user_id


async def test_a_batch_of_operations_is_refused_whole(agent) -> None:
    response = await agent.http.post(
        "/graphql",
        json=[{"query": "{ me { id } }"}, {"query": "{ me { name } }"}],
        headers={"Authorization": f"Bearer {agent.token}"},
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "JSON object" in error["message"]


async def test_the_limits_keep_validation_cached(agent) -> None:
    # The rules are made once per schema: a per-request rule class would never hit.
    cache = _get_validate_cache(DEFAULT_MAXSIZE)
    query = "{ me { id name } customers(first: 3) { totalCount } }"
    await agent.execute(query)
    hits = cache.cache_info().hits
    await agent.execute(query)
    assert cache.cache_info().hits == hits + 1
