# PeerPrep serverless: one command to run the local stack, one to run every check.
#   make dev    install what is missing, start the emulators and the gateway (Ctrl-C stops all)
#   make test   install what is missing, then ruff, mypy, the web client's tsc and vitest, and
#               pytest against real emulators (with the browser journey in Debian's chromium)

PYTHON ?= python3
VENV := .venv
TASKS_VENV := .venv-tasks
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_TASKS := $(TASKS_VENV)/.installed
STAMP_NODE := node_modules/.installed
# The web client's packages; the stamp holds the lockfile's digest (devstack/web.py reads it too).
STAMP_WEB := web/node_modules/.installed
# Debian packages: chromium (Playwright drives it: browsers cannot be downloaded), bubblewrap
# (the code runner's sandbox) and shellcheck. Installed with apt, through sudo unless root.
CHROMIUM ?= /usr/lib/chromium/chromium
BWRAP := /usr/bin/bwrap
# shellcheck: tests/test_deploy.py checks deploy.sh with it.
SHELLCHECK := /usr/bin/shellcheck
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: install system-packages dev demo test lint fmt typecheck unit web-check web-api pytest bench lock clean

# The installs are independent: run them side by side.
install:
	@$(MAKE) --no-print-directory -j5 $(STAMP_PY) $(STAMP_TASKS) $(STAMP_NODE) $(STAMP_WEB) system-packages

# One apt-get for every missing package: dpkg takes one lock at a time.
system-packages:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	[ -x $(BWRAP) ] || missing="$$missing bubblewrap"; \
	[ -x $(SHELLCHECK) ] || missing="$$missing shellcheck"; \
	if [ -n "$$missing" ]; then \
		command -v apt-get >/dev/null || { echo "install:$$missing (Debian packages)"; exit 1; }; \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP_PY): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install $(PIP_FLAGS) -r requirements.txt -r requirements-dev.txt
	touch $@

# The Cloud Tasks emulator pins protobuf<5: it gets a virtual environment of its own.
$(STAMP_TASKS): requirements-tasks-emulator.txt
	test -x $(TASKS_VENV)/bin/python || $(PYTHON) -m venv $(TASKS_VENV)
	$(TASKS_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements-tasks-emulator.txt
	$(TASKS_VENV)/bin/gcloud-tasks-emulator start --help >/dev/null 2>&1
	touch $@

$(STAMP_NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	node_modules/.bin/firebase --version >/dev/null
	touch $@

$(STAMP_WEB): web/package.json web/package-lock.json
	cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	sha256sum web/package-lock.json | cut -d' ' -f1 > $@

dev: install
	$(PY) -m devstack

# A whole practice session against the running stack (start make dev in another shell first).
demo: install
	$(PY) -m devstack.demo

# The fast tiers first (pure code, no emulators: Python units, then the web client's tsc and
# vitest), then the checks, then the rest (with the browser journey).
test: install unit web-check lint typecheck pytest

lint: $(STAMP_PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Fix what ruff can fix and format everything.
fmt: $(STAMP_PY)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

typecheck: $(STAMP_PY)
	$(VENV)/bin/mypy .

unit: $(STAMP_PY)
	$(VENV)/bin/pytest tests/unit

# The web client: types and unit tests (fast; the browser journey runs inside pytest).
web-check: $(STAMP_WEB)
	cd web && node_modules/.bin/tsc --noEmit
	cd web && node_modules/.bin/vitest run
	cd web && npm run --silent test:emulator

# Regenerate the client's API types from the OpenAPI document (tests check they are current).
web-api: $(STAMP_PY) $(STAMP_WEB)
	$(PY) -m devstack.web openapi web/openapi.json
	cd web && npm run --silent gen:api

pytest: install
	$(VENV)/bin/pytest --ignore=tests/unit

# Benchmarks are separate commands, not tests: each starts what it measures; one table at the end.
bench: install
	$(PY) -m bench

# Recompile the pinned requirement files from the *.in files.
lock: $(STAMP_PY)
	$(PY) -m pip install $(PIP_FLAGS) uv
	$(VENV)/bin/uv pip compile -q requirements.in -o requirements.txt --python-version 3.11
	$(VENV)/bin/uv pip compile -q requirements-dev.in -o requirements-dev.txt --python-version 3.11
	$(VENV)/bin/uv pip compile -q requirements-tasks-emulator.in -o requirements-tasks-emulator.txt --python-version 3.11

clean:
	rm -rf $(VENV) $(TASKS_VENV) node_modules .mypy_cache .pytest_cache .ruff_cache .devstack-logs
	rm -rf web/node_modules web/dist web/test-results
