"""The web client's files: served at /app with a strict Content-Security-Policy (and the
headers every response has), / redirecting there; no inline script or style, and data
never parsed as HTML."""

from __future__ import annotations

import re
from pathlib import Path

from server.webclient import WEBCLIENT


async def test_the_client_is_served_with_a_strict_policy(http) -> None:
    page = await http.get("/app/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    script = await http.get("/app/js/main.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert script.headers["content-security-policy"] == policy
    assert (await http.get("/app/js/nothing.js")).status_code == 404


async def test_the_root_and_app_redirect_to_the_client(http) -> None:
    for path in ("/", "/app"):
        answer = await http.get(path, follow_redirects=False)
        assert answer.status_code == 307 and answer.headers["location"] == "/app/"


async def test_the_client_needs_no_token_but_the_graph_does(http) -> None:
    assert (await http.get("/app/")).status_code == 200
    assert (await http.post("/graphql", json={"query": "{ me { id } }"})).status_code == 401


def _files(suffix: str) -> list[Path]:
    return sorted(WEBCLIENT.rglob(f"*{suffix}"))


def test_no_inline_script_style_or_handler_in_the_html() -> None:
    for page in _files(".html"):
        text = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page  # every script has a src
        assert not re.search(r"\sstyle\s*=", text) and "<style" not in text, page
        assert not re.search(r"\son[a-z]+\s*=", text), page


def test_scripts_never_parse_data_as_html() -> None:
    forbidden = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    scripts = _files(".js")
    assert scripts
    for script in scripts:
        assert not forbidden.search(script.read_text()), script


#: Variables the client sends with each of its documents (pages of 25).
CLIENT_VARIABLES = {
    "MyAccounts": {"first": 25},
    "Dossier": {"id": "S2V5QWNjb3VudDo1ZWVkMDAwMDAwMDAwMDAwMDAwMDA5OTk="},
    "ThisWeek": {"days": 7, "first": 25},
}


def test_every_document_the_client_sends_is_valid_and_within_the_cost_budget() -> None:
    from graphql import parse, validate

    from schema import build_schema
    from schema.limits import QueryLimits, operation_cost

    limits = QueryLimits()
    schema = build_schema(limits)._schema
    documents = re.findall(
        r"`\s*((?:query|mutation)\s+(\w+)[^`]*)`", (WEBCLIENT / "js" / "queries.js").read_text()
    )
    assert {name for _, name in documents} >= {"SignIn", "MyAccounts", "Dossier", "LogVisit", "ThisWeek"}
    for text, name in documents:
        document = parse(text)
        assert validate(schema, document) == [], name
        cost = operation_cost(schema, document, name, CLIENT_VARIABLES.get(name, {}))
        if name in CLIENT_VARIABLES:
            assert cost is not None and cost <= limits.max_cost, (name, cost)
