"""The configuration reference in docs/operations.md is the settings class, and the
README's table names every setting."""

import re
from pathlib import Path

from server.settings import Settings
from server.settings_reference import BEGIN, DOC, END, reference, rewritten, variable

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_reference_in_docs_operations_is_current() -> None:
    text = DOC.read_text()
    assert rewritten(text) == text, "run `python main.py settings-reference`"


def test_the_reference_has_a_row_per_setting_with_its_default_and_bounds() -> None:
    rows = reference().splitlines()
    assert rows[0] == BEGIN and rows[-1] == END
    assert len(rows) == len(Settings.model_fields) + 4  # markers, header, rule
    assert "| `RAPPORT_PORT` | `8000` | integer, ≥ 1, ≤ 65,535 | Port the HTTP server binds. |" in rows
    assert any(row.startswith("| `RAPPORT_METRICS_ENABLED` | `false` | `true` \\| `false` |") for row in rows)
    assert any(
        row.startswith("| `RAPPORT_CURSOR_SECRET` | unset | secret text, length ≥ 32 |") for row in rows
    )


def test_a_stale_reference_is_rewritten() -> None:
    stale = DOC.read_text().replace("| `RAPPORT_PORT` | `8000` |", "| `RAPPORT_PORT` | `8080` |")
    assert rewritten(stale) == DOC.read_text()


def test_the_readme_configuration_table_names_every_setting() -> None:
    table = README.read_text().partition("## Configuration")[2].partition("\n### ")[0]
    listed = set(re.findall(r"^\| `(RAPPORT_[A-Z0-9_]+)` \|", table, re.MULTILINE))
    assert {variable(name) for name in Settings.model_fields} - listed == set()
