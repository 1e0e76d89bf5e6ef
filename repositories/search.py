"""Word-prefix search on an indexed array of folded terms (SecantusDB has no `$text`).

A word is a range on the index (`term >= word and term < word-with-last-char-bumped`),
which both MongoDB and the embedded server answer with an index scan; an anchored
regex is a collection scan on the embedded server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def prefix_range(word: str) -> dict[str, str]:
    """Terms that start with `word` (a non-empty folded word)."""
    return {"$gte": word, "$lt": word[:-1] + chr(ord(word[-1]) + 1)}


def search_clauses(field: str, words: Sequence[str]) -> list[dict[str, Any]]:
    """Each word must start one of the record's terms. `$elemMatch` makes one term meet
    both ends of the range: a bare range on an array lets one term be >= the word and
    another < its end ("zhao" and "lei" would match "wang")."""
    return [{field: {"$elemMatch": prefix_range(word)}} for word in words]
