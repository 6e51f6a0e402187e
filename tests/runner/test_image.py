"""The runner's container, read rather than built (no Docker here): it installs each runtime, and
the runner package stands alone with dependencies pinned like the rest of the project."""

from __future__ import annotations

import ast
import re
import sys

from devstack.stack import ROOT

RUNNER = ROOT / "runner"


def _pins(path: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / path).read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins


def test_the_dockerfile_installs_every_runtime_and_the_sandbox() -> None:
    dockerfile = (RUNNER / "Dockerfile").read_text()

    assert re.search(r"^FROM python:3\.11-slim-bookworm$", dockerfile, re.MULTILINE)
    assert "FROM node:20-bookworm-slim AS node" in dockerfile
    assert "COPY --from=node /usr/local/bin/node /usr/local/bin/node" in dockerfile
    for package in ("bubblewrap", "openjdk-17-jdk-headless", "g++", "libc6-dev"):
        assert re.search(rf"^\s+{re.escape(package)} ?\\?$", dockerfile, re.MULTILINE), package
    assert "cc -O2 -static -o /usr/local/libexec/runner-init runner/init.c" in dockerfile
    assert "RUNNER_INIT_BINARY=/usr/local/libexec/runner-init" in dockerfile
    assert 'CMD ["python", "-m", "runner"]' in dockerfile


def test_the_image_pins_what_the_project_pins() -> None:
    image, project = _pins("runner/requirements.txt"), _pins("requirements.txt")

    assert image
    assert {name: image[name] for name in image} == {name: project.get(name) for name in image}


def test_the_runner_imports_nothing_from_the_rest_of_the_project() -> None:
    image = set(_pins("runner/requirements.txt"))
    distribution = {"flask": "flask", "werkzeug": "werkzeug", "gunicorn": "gunicorn"}
    distribution |= {"pydantic": "pydantic", "pydantic_settings": "pydantic-settings"}
    distribution |= {"google": "google-auth", "requests": "requests"}
    distribution |= {"pythonjsonlogger": "python-json-logger"}
    for path in RUNNER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in {"__future__", "runner"}:
                    continue
                assert top in distribution, f"{path.name} imports {name}"
                assert distribution[top] in image, f"{path.name}: {distribution[top]} not pinned"
