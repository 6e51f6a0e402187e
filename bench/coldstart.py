"""Benchmark cold starts: each function's import and first answer, in fresh processes.

    python -m bench.coldstart [--rounds 5] [--functions health match_request ...]

For every function of ``main.FUNCTIONS`` it measures, each time in a new process:

- import: ``import main; main.NAME`` (which imports that function's module and what it needs),
  timed inside the process, as Cloud Functions pays it before the first request; once per module
  and round, since the functions of one module import the same;
- first answer: from spawning ``functions-framework --target=NAME --source=main.py`` to the first
  HTTP answer to the function's own method and path, without credentials: 401 for a signed-in
  route counts as answered, as does the 503 of ``ready`` (its dependencies are refused at once,
  see below), and a Pub/Sub function answers a junk message it drops.

Against baselines measured in the same run, alternately with the functions (so that the
machine's load hits every subject alike):

- clients alone: importing functions-framework, the Firestore client and firebase-admin's auth,
  and serving a function whose module imports them and answers at once (the ratio's baseline);
- bare framework: importing functions-framework, and serving a function that imports nothing.

No emulator is needed: the processes get emulator addresses on a closed port, so that nothing
can reach Google, and a local Cloud Tasks secret. One round of every subject warms the page
cache and the bytecode first; medians over ``--rounds`` after it.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.table import Figure
from common.config import EMULATOR_HOST_VARIABLES
from devstack.stack import ROOT, Service, free_port

__all__ = ["Subject", "main", "run"]

CLIENTS_IMPORT = "import functions_framework, google.cloud.firestore, firebase_admin.auth"
# A function should not cost more than importing the clients it may use (STYLE.md 6).
TARGET_RATIO = 1.0
_FRAMEWORK = Path(sys.executable).parent / "functions-framework"
_CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there
_ANSWER_TIMEOUT_S = 60.0
_BASELINE_SOURCES = {
    "clients": f"{CLIENTS_IMPORT}\n\n\ndef clients(request):\n    return 'ok'\n",
    "bare": "def bare(request):\n    return 'ok'\n",
}


@dataclass(frozen=True)
class Probe:
    """The first request: the function's own method and path, without credentials."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Subject:
    """One function, or one baseline, and its samples in milliseconds."""

    name: str
    module: str
    import_code: str
    source: Path
    probe: Probe
    imports: list[float] = field(default_factory=list)
    answers: list[float] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)

    @property
    def import_ms(self) -> float:
        """Return the median import time."""
        return statistics.median(self.imports)

    @property
    def answer_ms(self) -> float:
        """Return the median time to the first answer."""
        return statistics.median(self.answers)


def _child_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in EMULATOR_HOST_VARIABLES
        and key not in {"K_SERVICE", "PYTHONDONTWRITEBYTECODE"}
    }
    env.update(dict.fromkeys(EMULATOR_HOST_VARIABLES, _CLOSED))
    env.update(
        {
            "GOOGLE_CLOUD_PROJECT": "demo-peerprep",
            "LOG_LEVEL": "WARNING",
            "TASKS_CALLBACK_SECRET": "coldstart-" + "x" * 16,
            "CALLBACK_BASE_URL": "http://127.0.0.1:9/api",
        }
    )
    return env


def _pubsub_probe() -> Probe:
    junk = base64.b64encode(b"{}").decode()
    return Probe(
        "POST",
        "/",
        headers={
            "Content-Type": "application/json",
            "ce-id": "coldstart",
            "ce-specversion": "1.0",
            "ce-source": "//pubsub.googleapis.com/projects/demo-peerprep/topics/coldstart",
            "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        },
        body=json.dumps({"message": {"data": junk, "messageId": "coldstart"}}).encode(),
    )


def function_subjects(names: list[str] | None = None) -> list[Subject]:
    """Return a subject per function of main.py's table (or the given ones), in its order."""
    import main
    from common.registry import by_name

    subjects = []
    for name, module in main.FUNCTIONS.items():
        if names and name not in names:
            continue
        endpoint = by_name(name)
        if endpoint.is_http:
            path = endpoint.path or "/"
            for param in endpoint.path_params:
                path = path.replace(f"{{{param}}}", "coldstart")
            probe = Probe(str(endpoint.method), path)
        else:
            probe = _pubsub_probe()
        subjects.append(Subject(name, module, f"import main; main.{name}", ROOT / "main.py", probe))
    return subjects


def _baseline_subjects(directory: Path) -> list[Subject]:
    subjects = []
    for name, imports in (("clients", CLIENTS_IMPORT), ("bare", "import functions_framework")):
        source = directory / f"{name}.py"
        source.write_text(_BASELINE_SOURCES[name])
        subjects.append(Subject(name, "(baseline)", imports, source, Probe("GET", "/")))
    return subjects


def _time_import(subject: Subject, env: dict[str, str]) -> float:
    code = (
        "import time\n_started = time.perf_counter()\n"
        f"{subject.import_code}\n"
        "print((time.perf_counter() - _started) * 1000)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing {subject.name} failed: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def _time_first_answer(subject: Subject, env: dict[str, str], logs: Path) -> tuple[float, int]:
    port = free_port()
    log_path = logs / f"{subject.name}.log"
    url = f"http://127.0.0.1:{port}{subject.probe.path}"
    with log_path.open("wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                str(_FRAMEWORK),
                f"--target={subject.name}",
                f"--source={subject.source}",
                f"--port={port}",
                "--host=127.0.0.1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    service = Service(f"coldstart-{subject.name}", process, log_path)
    try:
        while True:
            try:
                response = requests.request(
                    subject.probe.method,
                    url,
                    headers=subject.probe.headers,
                    data=subject.probe.body,
                    timeout=_ANSWER_TIMEOUT_S,
                )
                break
            except requests.ConnectionError:
                if not service.alive():
                    raise RuntimeError(
                        f"{subject.name} exited before answering:\n{service.log_tail()}"
                    ) from None
                if time.perf_counter() - started > _ANSWER_TIMEOUT_S:
                    raise RuntimeError(f"{subject.name} did not answer within 60 s") from None
                time.sleep(0.005)
        elapsed = (time.perf_counter() - started) * 1000
    finally:
        service.stop()
    if response.status_code in {404, 405}:
        raise RuntimeError(f"{subject.name}: the probe missed its route ({response.status_code})")
    return elapsed, response.status_code


def measure(subjects: list[Subject], *, rounds: int) -> None:
    """Warm every subject once, then time each ``rounds`` times, alternately."""
    env = _child_env()
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as logs:
        for number in range(rounds + 1):
            imported_by: dict[str, float] = {}
            for subject in subjects:
                key = subject.module if subject.module.startswith("functions.") else subject.name
                if key not in imported_by:
                    imported_by[key] = _time_import(subject, env)
                imported = imported_by[key]
                answered, status = _time_first_answer(subject, env, Path(logs))
                if number:  # round 0 only warms up
                    subject.imports.append(imported)
                    subject.answers.append(answered)
                    subject.statuses.add(status)
            print(
                f"  round {number}/{rounds} done" + (" (warm-up)" if not number else ""), flush=True
            )


def _table(functions: list[Subject], clients: Subject, bare: Subject, rounds: int) -> str:
    lines = [
        f"cold start: medians of {rounds} rounds, milliseconds; ratio = over the clients alone"
        f" (target <= {TARGET_RATIO:g}x)",
        f"{'function':<24}{'module':<22}{'import':>8}{'ratio':>8}{'1st answer':>12}{'ratio':>8}"
        f"{'status':>8}",
    ]
    for subject in [clients, bare, *functions]:
        statuses = ",".join(str(status) for status in sorted(subject.statuses))
        lines.append(
            f"{subject.name:<24}{subject.module:<22}{subject.import_ms:>8.0f}"
            f"{subject.import_ms / clients.import_ms:>7.2f}x{subject.answer_ms:>12.0f}"
            f"{subject.answer_ms / clients.answer_ms:>7.2f}x{statuses:>8}"
        )
    return "\n".join(lines)


def _count(functions: int) -> str:
    return f"{functions} function" + ("s" if functions > 1 else "")


def _figures(functions: list[Subject], clients: Subject) -> list[Figure]:
    """Per module: its import, and the median first answer of its functions (a max over every
    function would mostly pick the noisiest sample)."""
    by_module: dict[str, list[Subject]] = {}
    for subject in functions:
        by_module.setdefault(subject.module, []).append(subject)
    figures = []
    for module, members in by_module.items():
        figures.append(
            Figure(
                f"cold import: {module}",
                members[0].import_ms,
                "ms",
                baseline=clients.import_ms,
                target=TARGET_RATIO,
                target_of="ratio",
                against="clients alone",
            )
        )
        figures.append(
            Figure(
                f"cold first answer: {module} ({_count(len(members))})",
                statistics.median(member.answer_ms for member in members),
                "ms",
                baseline=clients.answer_ms,
                target=TARGET_RATIO,
                target_of="ratio",
                against="clients alone",
            )
        )
    return figures


def run(argv: list[str] | None = None) -> list[Figure]:
    """Run the benchmark, print its table, and return its figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.coldstart", description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds after a warm-up one")
    parser.add_argument("--functions", nargs="+", help="only these functions (default: all)")
    args = parser.parse_args(argv)
    functions = function_subjects(args.functions)
    if not functions:
        parser.error("no such function in main.FUNCTIONS")
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-src-") as directory:
        clients, bare = _baseline_subjects(Path(directory))
        print(
            f"cold start benchmark: {len(functions)} functions, {args.rounds} rounds",
            flush=True,
        )
        measure([clients, bare, *functions], rounds=args.rounds)
    print(_table(functions, clients, bare, args.rounds))
    return _figures(functions, clients)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its table."""
    run(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
