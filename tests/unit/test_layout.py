"""The layout's boundaries hold: domain/ is pure, schema/ reaches nothing in server/."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for module in pkgutil.iter_modules(package.__path__):
    importlib.import_module(f"{sys.argv[1]}.{module.name}")
print(" ".join(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _top_level_imports(package: str) -> set[str]:
    """Every top-level module importing all of `package` loads, in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, package],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(result.stdout.split())


def test_domain_imports_no_other_layer_and_no_driver() -> None:
    loaded = _top_level_imports("domain")
    assert not loaded & {"repositories", "resolvers", "schema", "server", "pymongo", "bson", "strawberry"}


def test_schema_imports_nothing_from_server() -> None:
    assert not _top_level_imports("schema") & {"server", "main", "demo_data"}
