"""The schema is a contract (README, "The schema as a contract"): the committed SDL is the
live schema, and it changes only compatibly from the previous commit's, unless what goes
was deprecated first."""

from __future__ import annotations

import subprocess
from pathlib import Path

from schema.contract import SDL_FILE, breaking_changes, current_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_sdl_is_the_live_schema() -> None:
    committed = (ROOT / SDL_FILE).read_text()
    assert committed == current_sdl(), (
        f"{SDL_FILE} is stale: run `python main.py export-schema` and commit it"
    )


def _previous_sdl() -> str | None:
    """schema.graphql as the commit before HEAD had it (None: no history, or none there)."""
    shown = subprocess.run(
        ["git", "show", f"HEAD~1:{SDL_FILE}"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return shown.stdout if shown.returncode == 0 else None


def test_the_sdl_changes_only_compatibly_since_the_previous_commit() -> None:
    previous = _previous_sdl() or (ROOT / SDL_FILE).read_text()
    found = breaking_changes(previous, (ROOT / SDL_FILE).read_text())
    assert found == [], "breaking changes (deprecate first, remove later): " + "; ".join(
        f"{b.kind}: {b.description}" for b in found
    )


def test_a_removal_is_breaking_unless_deprecated_first() -> None:
    sdl = current_sdl()
    field = "  recency: Int!\n"
    start = sdl.index(field, sdl.index("\ntype Rfm {"))
    removed = sdl[:start] + sdl[start + len(field) :]
    assert [(b.kind, b.description) for b in breaking_changes(sdl, removed)] == [
        ("FIELD_REMOVED", "Field Rfm.recency was removed.")
    ]
    end = start + len(field) - 1
    deprecated = sdl[:end] + ' @deprecated(reason: "read r")' + sdl[end:]
    assert breaking_changes(deprecated, removed) == []
