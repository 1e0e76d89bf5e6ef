"""tools/venv_state.py, which `make` runs on every command, against small fake environments."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "venv_state.py"
PYPROJECT = '[project]\nname = "x"\ndependencies = ["a>=1"]\n'


def state(cwd: Path, *args: str, python: str = sys.executable) -> subprocess.CompletedProcess[str]:
    return subprocess.run([python, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "requirements.lock").write_text("a==1 --hash=sha256:00\n")
    return tmp_path


def make_venv(project: Path, python: str = sys.executable) -> Path:
    subprocess.run([python, "-m", "venv", "--without-pip", str(project / ".venv")], check=True, timeout=60)
    return project / ".venv"


def test_a_finished_install_passes_until_the_lock_or_its_packages_change(project: Path) -> None:
    venv = make_venv(project)
    half_done = state(project, "check", ".venv", "requirements.lock")
    assert half_done.returncode == 1
    assert "no record of a finished install" in half_done.stderr

    assert state(project, "stamp", ".venv", "requirements.lock").returncode == 0
    assert state(project, "check", ".venv", "requirements.lock").returncode == 0

    (project / "requirements.lock").write_text("a==2 --hash=sha256:11\n")
    assert "requirements.lock changed" in state(project, "check", ".venv", "requirements.lock").stderr

    state(project, "stamp", ".venv", "requirements.lock")
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "intruder-1.0.dist-info").mkdir()
    (site / "intruder-1.0.dist-info" / "METADATA").write_text("Name: intruder\nVersion: 1.0\n")
    assert "packages in .venv changed" in state(project, "check", ".venv", "requirements.lock").stderr


def test_an_interpreter_that_is_gone_means_a_rebuild(project: Path) -> None:
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(project / "no-such-python3.10")
    result = state(project, "check", ".venv", "requirements.lock")
    assert result.returncode == 1
    assert "does not run" in result.stderr


def test_a_venv_of_another_python_means_a_rebuild(project: Path) -> None:
    this = f"python3.{sys.version_info.minor}"
    candidates = [shutil.which(f"python3.{m}") for m in (10, 12, 13)]
    candidates += [
        str(p)
        for p in sorted(Path.home().glob(".pyenv/versions/3.*/bin/python3"))
        if this not in p.resolve().name
    ]
    other = next((p for p in candidates if p and _runs(p)), None)
    if other is None:
        pytest.skip("no other Python 3 on PATH")
    make_venv(project, other)
    result = state(project, "check", ".venv", "requirements.lock")
    assert result.returncode == 1
    assert "was made by Python 3.1" in result.stderr


def test_a_lock_older_than_the_dependencies_asks_for_make_lock(project: Path) -> None:
    assert state(project, "mark-lock", "requirements.lock").returncode == 0
    assert state(project, "lock-current", "requirements.lock").returncode == 0
    (project / "pyproject.toml").write_text(PYPROJECT.replace("a>=1", "a>=2"))
    result = state(project, "lock-current", "requirements.lock")
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "requirements.lock does not match pyproject.toml's dependencies: run `make lock`"
    )


def test_the_repository_lock_matches_pyproject() -> None:
    assert state(ROOT, "lock-current", "requirements.lock").returncode == 0


def _runs(python: str) -> bool:
    return subprocess.run([python, "-c", ""], capture_output=True, timeout=30).returncode == 0
