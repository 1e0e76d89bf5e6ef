# The README's commands. Each installs what it needs into .venv by itself.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
STATE := $(PYTHON) tools/venv_state.py
PIP := $(BIN)/python -m pip --quiet --disable-pip-version-check
# Checked on every run (a fraction of a second): .venv must run, be made by $(PYTHON), and hold
# exactly what was installed from $(LOCK) and pyproject.toml; otherwise it is built again.
ENSURE_VENV := $(STATE) check $(VENV) $(LOCK) || $(MAKE) --no-print-directory fresh-venv

.PHONY: run test bench audit lint lock venv fresh-venv clean chromium

venv:
	@$(STATE) lock-current $(LOCK)
	@$(ENSURE_VENV)

# Every package with its hashes from the lock, then the project itself; the stamp comes last,
# so an install that stopped half-way is redone.
fresh-venv:
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r $(LOCK)
	$(PIP) install --no-deps --no-build-isolation -e .
	@$(STATE) stamp $(VENV) $(LOCK)

# After changing dependencies in pyproject.toml. Keeps the other pins; to move them all to the
# newest allowed releases: make lock LOCK_FLAGS=--upgrade
lock:
	@test -x $(BIN)/uv || { $(ENSURE_VENV); }
	$(STATE) build-requires | $(BIN)/uv pip compile --quiet --universal --python-version 3.11 \
		--generate-hashes --extra dev --custom-compile-command 'make lock' $(LOCK_FLAGS) \
		pyproject.toml - -o $(LOCK)
	$(STATE) mark-lock $(LOCK)

run: venv
	$(BIN)/python main.py serve --seed-if-empty

# The browser tests drive Debian's Chromium (never a browser Playwright downloads): installed
# here where it is missing, so CI runs them on a fresh machine (sudo only when not root).
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

test: venv chromium
	$(BIN)/python -m pytest

bench: venv
	$(BIN)/python -m tests.bench

audit: venv
	tests/graphql_http_audit.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache
