"""Search words: folded for case and accents, and bounded so a search costs little."""

from __future__ import annotations

import unicodedata

from domain.errors import BadArgument
from domain.validation import control_character_problem

SEARCH_LENGTH_MAX = 200
SEARCH_WORDS_MAX = 8
#: Prefixes are stored up to this length; a longer search word also checks the whole term.
PREFIX_MAX = 24


def fold(text: str) -> str:
    """Case- and accent-insensitive form used for search and name ordering."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_terms(*texts: str | None) -> list[str]:
    """What a record is found by: the folded words of its texts (an email stays whole)."""
    terms: set[str] = set()
    for text in texts:
        if text:
            terms.update(fold(text).split())
    return sorted(terms)


def search_prefixes(terms: list[str]) -> list[str]:
    """Every prefix of every term (up to PREFIX_MAX characters): a search word is then an
    exact match on one of them, the cheapest indexed query there is."""
    return sorted({term[:n] for term in terms for n in range(1, min(len(term), PREFIX_MAX) + 1)})


def search_words(text: str | None, field: str) -> list[str]:
    """The folded words of a search, each of which must start one of a record's terms."""
    if text is None:
        return []
    if len(text) > SEARCH_LENGTH_MAX:
        raise BadArgument(f"{field} is longer than {SEARCH_LENGTH_MAX} characters", field)
    if control_character_problem(text):
        raise BadArgument(f"{field} holds control characters", field)
    words = list(dict.fromkeys(fold(text).split()))
    if len(words) > SEARCH_WORDS_MAX:
        raise BadArgument(f"{field} has more than {SEARCH_WORDS_MAX} words", field)
    return words
