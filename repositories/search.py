"""Word-prefix search on an indexed array of folded terms (SecantusDB has no `$text`).

A word is a range on the terms index: some term must be >= the word and below the word
with its last character bumped. The range sits inside `$elemMatch` so that ONE term
meets both ends; a bare range on an array lets one term be >= the word and another
below its end, so "wang" would match ["lei", "zhao"]. MongoDB answers an `$elemMatch`
range with tight bounds on the multikey index; the embedded server's planner uses an
index only for a lone bare range and scans the collection here (README, Performance).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def prefix_range(word: str) -> dict[str, str]:
    """Terms that start with `word` (a non-empty folded word)."""
    return {"$gte": word, "$lt": word[:-1] + chr(ord(word[-1]) + 1)}


def search_clauses(field: str, words: Sequence[str]) -> list[dict[str, Any]]:
    """Each word must start one of the record's terms."""
    return [{field: {"$elemMatch": prefix_range(word)}} for word in words]
