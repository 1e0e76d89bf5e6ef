"""Is .venv what `make` would build now? Run by the interpreter the Makefile picked; stdlib only.

    venv_state.py check VENV LOCK   exit 0 if VENV runs, was made by this interpreter, and holds
                                    exactly what was installed from LOCK and pyproject.toml;
                                    else say why on stderr and exit 1 (make then rebuilds it)
    venv_state.py stamp VENV LOCK   record that, once an install has finished
    venv_state.py lock-current LOCK exit 1 with a one-line message if pyproject.toml's
                                    dependencies changed since LOCK was made
    venv_state.py build-requires    print pyproject.toml's build requirements (they are locked too)
    venv_state.py mark-lock LOCK    write the dependencies' fingerprint at the top of LOCK

Run from the project directory (pyproject.toml is read from there). The stamp is
VENV/.installed; it is written last, so an install that crashed leaves none.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

STAMP = ".installed"
FINGERPRINT = "# pyproject.toml dependencies sha256: "

# Run by the venv's own interpreter (-I: no cwd, no PYTHON* variables on its path).
PROBE = """
import importlib.metadata, json, os, sys
print(json.dumps({
    "python": [os.path.realpath(getattr(sys, "_base_executable", sys.executable)), sys.version],
    "distributions": sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions()),
}))
"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pyproject() -> dict:
    with open("pyproject.toml", "rb") as f:
        return tomllib.load(f)


def dependencies_fingerprint() -> str:
    """What the lock is made from: the dependencies, extras, Python range and build requirements."""
    p = pyproject()
    project = p.get("project", {})
    inputs = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "build-requires": p.get("build-system", {}).get("requires", []),
    }
    return sha256(json.dumps(inputs, sort_keys=True).encode())


def project_fingerprint() -> str:
    """What the editable install of the project itself is made from."""
    p = pyproject()
    inputs = {
        "project": p.get("project", {}),
        "build-system": p.get("build-system", {}),
        "setuptools": p.get("tool", {}).get("setuptools", {}),
    }
    return sha256(json.dumps(inputs, sort_keys=True).encode())


def this_python() -> list[str]:
    return [os.path.realpath(getattr(sys, "_base_executable", sys.executable)), sys.version]


def probe(venv: Path) -> dict | None:
    try:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-I", "-c", PROBE],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        return json.loads(out)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def wanted(venv: Path, lock: Path, state: dict) -> dict:
    return {
        "python": state["python"],
        "lock": sha256(lock.read_bytes()),
        "project": project_fingerprint(),
        "distributions": state["distributions"],
    }


def check(venv: Path, lock: Path) -> str | None:
    """Why VENV must be rebuilt, or None if it is fine."""
    if not venv.exists():
        return f"{venv} does not exist"
    state = probe(venv)
    if state is None:
        return f"{venv}/bin/python does not run (its interpreter moved or was removed?)"
    if state["python"] != this_python():
        made_by = state["python"][1].split()[0]
        return f"{venv} was made by Python {made_by} at {state['python'][0]}, not by {sys.executable}"
    try:
        stamp = json.loads((venv / STAMP).read_text())
    except (OSError, ValueError):
        return f"{venv} has no record of a finished install"
    if not isinstance(stamp, dict):
        return f"{venv} has no record of a finished install"
    now = wanted(venv, lock, state)
    if stamp.get("python") != now["python"]:
        return f"{venv} was installed by another Python"
    if stamp.get("lock") != now["lock"]:
        return f"{lock} changed since {venv} was installed"
    if stamp.get("project") != now["project"]:
        return f"pyproject.toml changed since {venv} was installed"
    if stamp.get("distributions") != now["distributions"]:
        installed, recorded = set(now["distributions"]), set(stamp.get("distributions") or [])
        changed = sorted(installed ^ recorded)
        return f"the packages in {venv} changed since it was installed: {', '.join(changed[:5])}"
    return None


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "check":
        venv, lock = Path(args[0]), Path(args[1])
        reason = check(venv, lock)
        if reason is None:
            return 0
        print(f"rebuilding {venv}: {reason}", file=sys.stderr)
        return 1
    if command == "stamp":
        venv, lock = Path(args[0]), Path(args[1])
        state = probe(venv)
        if state is None:
            print(f"{venv}/bin/python does not run", file=sys.stderr)
            return 1
        (venv / STAMP).write_text(json.dumps(wanted(venv, lock, state), indent=1) + "\n")
        return 0
    if command == "lock-current":
        lock = Path(args[0])
        try:
            first_line = lock.read_text().splitlines()[0]
        except (OSError, IndexError):
            first_line = ""
        if first_line != FINGERPRINT + dependencies_fingerprint():
            print(f"{lock} does not match pyproject.toml's dependencies: run `make lock`", file=sys.stderr)
            return 1
        return 0
    if command == "build-requires":
        print("\n".join(pyproject().get("build-system", {}).get("requires", [])))
        return 0
    if command == "mark-lock":
        lock = Path(args[0])
        lines = [line for line in lock.read_text().splitlines() if not line.startswith(FINGERPRINT)]
        lock.write_text("\n".join([FINGERPRINT + dependencies_fingerprint(), *lines]) + "\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
