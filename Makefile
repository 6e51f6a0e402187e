# PeerPrep serverless: one command to run the local stack, one to run every check.
#   make dev    install what is missing, start the emulators and the gateway (Ctrl-C stops all)
#   make test   install what is missing, then ruff, mypy and pytest against real emulators

PYTHON ?= python3
VENV := .venv
TASKS_VENV := .venv-tasks
PY := $(VENV)/bin/python
STAMP_PY := $(VENV)/.installed
STAMP_TASKS := $(TASKS_VENV)/.installed
STAMP_NODE := node_modules/.installed
# bubblewrap: the code runner's sandbox (apt; sudo unless root).
BWRAP := /usr/bin/bwrap
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: install dev demo test lint typecheck pytest bench lock clean

# The installs are independent: run them side by side.
install:
	@$(MAKE) --no-print-directory -j4 $(STAMP_PY) $(STAMP_TASKS) $(STAMP_NODE) $(BWRAP)

$(BWRAP):
	@command -v apt-get >/dev/null || { echo "install bubblewrap (the code runner's sandbox)"; exit 1; }
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null
	$(BWRAP) --version

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

dev: install
	$(PY) -m devstack

# A whole practice session against the running stack (start make dev in another shell first).
demo: install
	$(PY) -m devstack.demo

test: install lint typecheck pytest

lint: $(STAMP_PY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP_PY)
	$(VENV)/bin/mypy .

pytest: install
	$(VENV)/bin/pytest

# Benchmarks are separate commands, not tests: each starts what it measures.
bench: install
	$(PY) -m bench.matching
	$(PY) -m bench.runner

# Recompile the pinned requirement files from the *.in files.
lock: $(STAMP_PY)
	$(PY) -m pip install $(PIP_FLAGS) uv
	$(VENV)/bin/uv pip compile -q requirements.in -o requirements.txt --python-version 3.11
	$(VENV)/bin/uv pip compile -q requirements-dev.in -o requirements-dev.txt --python-version 3.11
	$(VENV)/bin/uv pip compile -q requirements-tasks-emulator.in -o requirements-tasks-emulator.txt --python-version 3.11

clean:
	rm -rf $(VENV) $(TASKS_VENV) node_modules .mypy_cache .pytest_cache .ruff_cache .devstack-logs
