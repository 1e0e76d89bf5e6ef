"""Trusted documents: the operations registered clients send, known by the SHA-256 of their
text, and the gate that lets chosen tokens send nothing else.

The registry is `trusted-documents.json` (committed; `python main.py trusted-documents`
writes it, `--check` says whether it is current): every document of the web client
(`webclient/js/queries.js`, the text exactly as its JavaScript sends it) and of the other
registered clients (`documents/*.graphql`, one document a file, e.g. a partner portal's).

A request names a registered document APQ-style, by hash instead of text:
`"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}` (as Apollo
Client, urql and Relay send it). An unknown hash is PERSISTED_QUERY_NOT_FOUND (such clients
then send the text with the hash; nothing is registered at run time). With the text, the
hash must be the text's. For a request the context marks `trusted_documents_only` (the
token's role is one of RAPPORT_TRUSTED_DOCUMENTS_ROLES), any document that is not
registered, sent as text or not, is DOCUMENT_NOT_TRUSTED, before it is even parsed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
from graphql import OperationDefinitionNode, parse
from strawberry.extensions import SchemaExtension

from domain.errors import BadArgument

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_FILE = "trusted-documents.json"
WEB_CLIENT_DOCUMENTS = "webclient/js/queries.js"
OTHER_CLIENTS_DOCUMENTS = "documents"
_HASH = re.compile(r"[0-9a-f]{64}")
#: `export const NAME = `…`;` in the web client's queries module.
_JS_DOCUMENT = re.compile(r"export const (\w+) = `([^`]*)`;")
PERSISTED_QUERY = "extensions.persistedQuery"
HASH_FIELD = f"{PERSISTED_QUERY}.sha256Hash"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class PersistedQueryNotFound(BadArgument):
    code = "PERSISTED_QUERY_NOT_FOUND"

    def __init__(self) -> None:
        super().__init__("no registered document has this sha256Hash: send the document's text", HASH_FIELD)


class DocumentNotTrusted(BadArgument):
    code = "DOCUMENT_NOT_TRUSTED"

    def __init__(self) -> None:
        super().__init__(
            "this token may send only registered documents (trusted documents): "
            "this one is not in the service's list",
            "query",
        )


# --- the registry --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustedDocument:
    operation: str
    source: str  # the file it comes from, relative to the repository
    text: str

    @property
    def sha256(self) -> str:
        return sha256(self.text)


@dataclass(frozen=True)
class TrustedDocuments:
    by_hash: Mapping[str, str]  # SHA-256 (hex) -> document text

    def text(self, sha256_hash: str) -> str | None:
        return self.by_hash.get(sha256_hash)

    def trusts(self, text: str) -> bool:
        return sha256(text) in self.by_hash

    def named_in(self, extensions: object) -> str | None:
        """The registered text a request's `extensions` name by hash, if they name one
        (a quick look, for the sign-in check before GraphQL: the gate checks the rest)."""
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        return self.by_hash.get(digest) if isinstance(digest, str) else None

    @classmethod
    def parse(cls, manifest: str) -> TrustedDocuments:
        entries = orjson.loads(manifest)["documents"]
        for digest, entry in entries.items():
            if sha256(entry["document"]) != digest:
                raise ValueError(f"{MANIFEST_FILE}: {entry['operation']} is not the document of its hash")
        return cls({digest: entry["document"] for digest, entry in entries.items()})


@lru_cache
def registered_documents(root: Path = ROOT) -> TrustedDocuments:
    """The committed registry (read once per process)."""
    return TrustedDocuments.parse((root / MANIFEST_FILE).read_text())


def client_documents(root: Path = ROOT) -> list[TrustedDocument]:
    """Every document the registered clients send, from their sources, in a stable order."""
    found: list[TrustedDocument] = []
    queries = root / WEB_CLIENT_DOCUMENTS
    for constant, text in _JS_DOCUMENT.findall(queries.read_text()):
        if "${" in text or "\\" in text or "\r" in text:
            # The hash is of the text the browser sends: a template literal that
            # substitutes or escapes would send something else than its source.
            raise ValueError(f"{WEB_CLIENT_DOCUMENTS}: {constant} must be a plain template literal")
        found.append(TrustedDocument(_operation_name(text, constant), WEB_CLIENT_DOCUMENTS, text))
    for path in sorted((root / OTHER_CLIENTS_DOCUMENTS).glob("*.graphql")):
        source = path.relative_to(root).as_posix()
        found.append(TrustedDocument(_operation_name(path.read_text(), source), source, path.read_text()))
    return found


def _operation_name(text: str, where: str) -> str:
    names = [
        d.name.value if d.name else "(anonymous)"
        for d in parse(text).definitions
        if isinstance(d, OperationDefinitionNode)
    ]
    if len(names) != 1:
        raise ValueError(f"{where}: a trusted document holds one operation, not {len(names)}")
    return names[0]


def manifest(documents: list[TrustedDocument]) -> str:
    """The registry's file: every document by its hash, with its operation and source."""
    body = {
        "about": (
            "Trusted documents: what the registered clients send, by the SHA-256 of its text. "
            "Written by `python main.py trusted-documents`; do not edit."
        ),
        "documents": {
            d.sha256: {"operation": d.operation, "source": d.source, "document": d.text} for d in documents
        },
    }
    return orjson.dumps(body, option=orjson.OPT_INDENT_2).decode() + "\n"


# --- the gate ------------------------------------------------------------------------------


class TrustedDocumentGate(SchemaExtension):
    """Before parsing: turns a persisted query's hash into its registered text, and refuses
    any other document for a request that may send only trusted ones. A refusal is a
    request error (nothing parsed or executed; HTTP 400 for graphql-response+json)."""

    def __init__(self, documents: TrustedDocuments) -> None:
        self.documents = documents

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.query = self._document(context.query, context.operation_extensions or {})
        only_trusted = getattr(context.context, "trusted_documents_only", False)
        if only_trusted and context.query is not None and not self.documents.trusts(context.query):
            raise DocumentNotTrusted()
        yield

    def _document(self, query: str | None, extensions: Mapping[str, Any]) -> str | None:
        if "persistedQuery" not in extensions:
            return query
        persisted = extensions["persistedQuery"]
        if not isinstance(persisted, dict):
            raise BadArgument("persistedQuery is an object with version 1 and a sha256Hash", PERSISTED_QUERY)
        version = persisted.get("version", 1)
        if type(version) is not int or version != 1:  # (JSON true is no version)
            raise BadArgument("version 1 (SHA-256) is the one known", f"{PERSISTED_QUERY}.version")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.fullmatch(digest):
            raise BadArgument("sha256Hash is the document's SHA-256 in 64 lowercase hex digits", HASH_FIELD)
        if query is not None:
            if sha256(query) != digest:
                raise BadArgument("sha256Hash is not the SHA-256 of the query sent", HASH_FIELD)
            return query
        text = self.documents.text(digest)
        if text is None:
            raise PersistedQueryNotFound()
        return text
