"""Word-prefix search (SecantusDB has no `$text`): a record stores its folded terms and
every prefix of them (up to PREFIX_MAX characters); a search word is an equality on the
prefixes, exact on an array and the cheapest indexed query on MongoDB and the embedded
server alike. A word longer than PREFIX_MAX also checks the whole term with an
`$elemMatch` range (so one term meets both ends: a bare range on an array would let one
term be >= the word and another below its end).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from domain.search import PREFIX_MAX, search_prefixes, search_terms

__all__ = ["combine", "search_clauses", "search_fields"]


def search_fields(*texts: str | None) -> dict[str, list[str]]:
    """What a record is found by, as stored."""
    terms = search_terms(*texts)
    return {"searchTerms": terms, "searchPrefixes": search_prefixes(terms)}


def _prefix_range(word: str) -> dict[str, str]:
    return {"$gte": word, "$lt": word[:-1] + chr(ord(word[-1]) + 1)}


def search_clauses(words: Sequence[str]) -> list[dict[str, Any]]:
    """Each word must start one of the record's terms."""
    clauses: list[dict[str, Any]] = []
    for word in words:
        clauses.append({"searchPrefixes": word[:PREFIX_MAX]})
        if len(word) > PREFIX_MAX:
            clauses.append({"searchTerms": {"$elemMatch": _prefix_range(word)}})
    return clauses


def combine(clauses: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One filter document: flat when the clauses name different fields (the embedded
    server's planner uses an index only for a flat filter), else an `$and`."""
    flat: dict[str, Any] = {}
    for clause in clauses:
        if flat.keys() & clause.keys():
            return {"$and": list(clauses)}
        flat.update(clause)
    return flat
