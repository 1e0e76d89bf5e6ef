"""The trusted documents' registry (README, "Trusted documents"): trusted-documents.json is
what the registered clients send, kept current by `python main.py trusted-documents`, and
every document in it is one the schema accepts within the query budget."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, OperationType, get_named_type, parse, type_from_ast, validate

from schema import build_schema
from schema.limits import QueryLimits, operation_cost
from schema.node import global_id
from schema.trusted_documents import (
    MANIFEST_FILE,
    TrustedDocuments,
    client_documents,
    manifest,
    registered_documents,
    sha256,
)
from tests.conftest import UNKNOWN

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_registry_is_current_and_the_cli_says_so() -> None:
    assert (ROOT / MANIFEST_FILE).read_text() == manifest(client_documents()), (
        f"{MANIFEST_FILE} is stale: run `python main.py trusted-documents` and commit it"
    )
    checked = subprocess.run(
        [sys.executable, "main.py", "trusted-documents", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (checked.returncode, checked.stdout) == (0, f"{MANIFEST_FILE} is current\n"), checked.stderr


def test_it_holds_every_web_client_document_as_the_browser_sends_it() -> None:
    queries = (ROOT / "webclient" / "js" / "queries.js").read_text()
    literals = re.findall(r"= `([^`]*)`", queries)
    registry = registered_documents()
    assert literals and all(registry.text(sha256(text)) == text for text in literals)
    assert {d.operation for d in client_documents()} >= {"SignIn", "MyAccounts", "Dossier", "ThisWeek"}
    # The client sends no document of its own making anywhere else.
    for script in (ROOT / "webclient" / "js").glob("*.js"):
        if script.name != "queries.js":
            assert not re.search(r"[`'\"]\s*(query|mutation|subscription)\b", script.read_text()), script


def test_every_registered_document_is_valid_and_within_the_budget() -> None:
    limits = QueryLimits()
    schema = build_schema(limits)._schema
    for document in client_documents():
        parsed = parse(document.text)
        assert validate(schema, parsed) == [], document.operation
        [operation] = parsed.definitions
        assert isinstance(operation, OperationDefinitionNode)
        if operation.operation is OperationType.QUERY:  # pages of 25, any id
            sizes = {"Int": 25, "ID": global_id("KeyAccount", UNKNOWN)}
            variables = {
                v.variable.name.value: sizes.get(get_named_type(type_from_ast(schema, v.type)).name)
                for v in operation.variable_definitions or ()
            }
            cost = operation_cost(schema, parsed, document.operation, variables)
            assert cost is not None and cost <= limits.max_cost, (document.operation, cost)


def _client(tmp_path: Path, queries: str, *graphql_files: str) -> Path:
    (tmp_path / "webclient" / "js").mkdir(parents=True)
    (tmp_path / "webclient" / "js" / "queries.js").write_text(queries)
    (tmp_path / "documents").mkdir()
    for n, text in enumerate(graphql_files):
        (tmp_path / "documents" / f"portal-{n}.graphql").write_text(text)
    return tmp_path


def test_a_document_is_registered_by_the_hash_of_its_exact_text(tmp_path) -> None:
    root = _client(
        tmp_path, "export const ME = `\nquery Me { me { id } }`;\n", "query Shared { me { name } }\n"
    )
    [web, portal] = client_documents(root)
    assert (web.operation, web.source, web.text) == (
        "Me",
        "webclient/js/queries.js",
        "\nquery Me { me { id } }",
    )
    assert (portal.operation, portal.source) == ("Shared", "documents/portal-0.graphql")
    registry = TrustedDocuments.parse(manifest([web, portal]))
    assert registry.trusts("\nquery Me { me { id } }") and not registry.trusts("query Me { me { id } }")


@pytest.mark.parametrize(
    ("queries", "documents", "why"),
    [
        ("export const ME = `query Me { me { ${field} } }`;", (), "must be a plain template literal"),
        (
            'export const ME = `query Me { me { name(x: "\\u0041") } }`;',
            (),
            "must be a plain template literal",
        ),
        ("", ("query A { me { id } } query B { me { id } }",), "holds one operation, not 2"),
    ],
)
def test_a_document_the_client_would_send_otherwise_is_refused(tmp_path, queries, documents, why) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        client_documents(_client(tmp_path, queries, *documents))


def test_a_registry_whose_hash_is_not_its_document_is_refused() -> None:
    forged = manifest(client_documents()).replace("signIn(input", "signOut(input", 1)
    with pytest.raises(ValueError, match="is not the document of its hash"):
        TrustedDocuments.parse(forged)
