"""Benchmark the code runner: run latency per language, sandboxed against the bare runtime.

    python -m bench.runner [--repeat 40] [--repeat-compiled 12] [--languages python ...]

For a hello world and a typical solution per language it times, alternately (so that every
column sees the same machine load):

- bare: the very command the sandbox runs (same interpreter, flags and input), spawned directly
  with pipes, as a runner without a sandbox would; for java and cpp, compile then run;
- sandbox: the runner's own ``Runner.run`` in this process: the sandbox with every namespace,
  limits and cgroup, judging included, from a sandbox prepared ahead (set up, blocked before
  exec) as the service keeps one. The target (under 1.3x the bare median for python and
  javascript) is about this overhead;
- http: ``POST /run`` end to end to a runner service (adds HTTP, JSON and validation);
- cold: the same to a second service that prepares nothing (``RUNNER_WARM=0``): every run
  pays bubblewrap's setup.

Calls are paced (``--gap-ms``, 150 ms, as people press "Run"), so that what a runner does after
answering (reap bwrap, prepare the next sandbox) does not compete with the next measurement.
Reports p50 and p95 and the ratios of medians. The machine's load shows in every column: run it
on an otherwise idle machine for figures worth comparing.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import p95
from bench.table import Figure
from runner.config import Settings, get_settings
from runner.judge import Runner
from runner.languages import SPECS, Runtimes
from runner.logs import configure_logging
from runner.models import Language, RunRequest
from tests.runner.support import RunnerService

TARGET = {"python": 1.3, "javascript": 1.3}
COLUMNS = ("bare", "sandbox", "http", "cold")
MEMORY_MB = 256
_N = 100_000
HELLO = {
    "python": "print('hello')",
    "javascript": "console.log('hello')",
    "java": 'public class Main { public static void main(String[] a) { System.out.println("hello"); } }',
    "cpp": '#include <cstdio>\nint main() { std::puts("hello"); }',
}
# A typical solution: read N integers, sort them, count the distinct ones, find the widest gap.
TYPICAL = {
    "python": (
        "import sys\n"
        "def main():\n"
        "    data = sys.stdin.buffer.read().split()\n"
        "    n = int(data[0])\n"
        "    values = sorted(map(int, data[1 : n + 1]))\n"
        "    distinct = len(set(values))\n"
        "    gap = max(b - a for a, b in zip(values, values[1:]))\n"
        "    print(distinct, gap)\n"
        "main()\n"
    ),
    "javascript": (
        "const data = require('fs').readFileSync(0, 'utf8').split(/\\s+/);\n"
        "const n = Number(data[0]);\n"
        "const values = new Float64Array(n);\n"
        "for (let i = 0; i < n; i++) values[i] = Number(data[i + 1]);\n"
        "values.sort();\n"
        "let gap = 0;\n"
        "for (let i = 1; i < n; i++) gap = Math.max(gap, values[i] - values[i - 1]);\n"
        "console.log(new Set(values).size, gap);\n"
    ),
    "java": (
        "import java.io.*;\nimport java.util.*;\n"
        "public class Main {\n"
        "  public static void main(String[] args) throws IOException {\n"
        "    StreamTokenizer t = new StreamTokenizer(new BufferedReader(new InputStreamReader(System.in)));\n"
        "    t.nextToken(); int n = (int) t.nval; long[] v = new long[n];\n"
        "    for (int i = 0; i < n; i++) { t.nextToken(); v[i] = (long) t.nval; }\n"
        "    Arrays.sort(v); HashSet<Long> seen = new HashSet<>(); long gap = 0;\n"
        "    for (int i = 0; i < n; i++) { seen.add(v[i]); if (i > 0) gap = Math.max(gap, v[i] - v[i - 1]); }\n"
        '    System.out.println(seen.size() + " " + gap);\n'
        "  }\n"
        "}\n"
    ),
    "cpp": (
        "#include <algorithm>\n#include <cstdio>\n#include <unordered_set>\n#include <vector>\n"
        "int main() {\n"
        '  int n; if (std::scanf("%d", &n) != 1) return 1;\n'
        "  std::vector<long long> v(n);\n"
        '  for (auto& x : v) if (std::scanf("%lld", &x) != 1) return 1;\n'
        "  std::sort(v.begin(), v.end());\n"
        "  std::unordered_set<long long> seen(v.begin(), v.end()); long long gap = 0;\n"
        "  for (int i = 1; i < n; i++) gap = std::max(gap, v[i] - v[i - 1]);\n"
        '  std::printf("%zu %lld\\n", seen.size(), gap);\n'
        "}\n"
    ),
}


def _typical_input() -> tuple[str, str]:
    values = [(i * 7919) % 1_000_003 for i in range(_N)]
    gap = max(b - a for a, b in itertools.pairwise(sorted(values)))
    return f"{_N}\n" + " ".join(map(str, values)) + "\n", f"{len(set(values))} {gap}"


@dataclass(frozen=True)
class Case:
    """One program of one language, its input and expected output."""

    language: str
    program: str
    source: str
    stdin: str
    expected: str


@dataclass
class Row:
    """Latencies in milliseconds of one case, per column."""

    case: Case
    samples: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in COLUMNS})

    def summary(self) -> dict[str, float | str | None]:
        """Return p50 and p95 of each column and each column's median over bare's."""
        bare = statistics.median(self.samples["bare"])
        figures: dict[str, float | str | None] = {
            "language": self.case.language,
            "program": self.case.program,
            "target": TARGET.get(self.case.language),
        }
        for name, values in self.samples.items():
            figures[f"{name}P50"] = round(statistics.median(values), 1)
            figures[f"{name}P95"] = round(p95(values), 1)
            if name != "bare":
                figures[f"{name}Ratio"] = round(statistics.median(values) / bare, 2)
        return figures

    def figures(self) -> list[Figure]:
        """Return the sandboxed and the end-to-end medians, each against bare's."""
        bare = statistics.median(self.samples["bare"])
        name = f"runner {self.case.language} {self.case.program}"
        target = TARGET.get(self.case.language)
        return [
            Figure(
                f"{name}: sandbox p50",
                statistics.median(self.samples["sandbox"]),
                "ms",
                baseline=bare,
                target=target,
                target_of="ratio",
                against="bare run",
            ),
            Figure(
                f"{name}: POST /run p50",
                statistics.median(self.samples["http"]),
                "ms",
                baseline=bare,
                against="bare run",
            ),
        ]


class _Bare:
    """The sandbox's own commands, run directly in a scratch directory standing in for /box."""

    def __init__(self, case: Case, work: Path) -> None:
        self.spec = SPECS[Language(case.language)]
        self.runtimes = Runtimes.find(Settings.model_validate({"secret": "x" * 16}))
        self.work = work
        self.source_name = self.spec.source_name(case.source)
        (work / self.source_name).write_text(case.source)
        self.env = {"PATH": "/usr/bin:/bin", "HOME": str(work), "LANG": "C.UTF-8"}

    def _here(self, command: list[str]) -> list[str]:
        return [part.replace("/box", str(self.work)) for part in command]

    def run(self, stdin: str) -> str:
        """Compile (java, cpp) and run the program; return what it printed."""
        if self.spec.compiled:
            command = self.spec.compile_command(self.runtimes, self.source_name, 1024)
            subprocess.run(self._here(command), check=True, capture_output=True, env=self.env)
            if self.spec.language is Language.JAVA:
                (self.work / "java.args").write_text(f"-cp {self.work} Main\n")
        done = subprocess.run(
            self._here(self.spec.run_command(self.runtimes, MEMORY_MB)),
            input=stdin.encode(),
            capture_output=True,
            env=self.env,
            cwd=self.work,
            check=False,
        )
        return done.stdout.decode()


def _timed(action: Callable[[], None]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def _measure(
    runner: Runner,
    services: tuple[RunnerService, RunnerService],
    case: Case,
    *,
    repeat: int,
    gap_s: float,
) -> Row:
    work = Path(tempfile.mkdtemp(prefix="bench-runner-"))
    try:
        bare = _Bare(case, work)
        body = {
            "language": case.language,
            "source": case.source,
            "tests": [{"input": case.stdin, "expected": case.expected}],
            "limits": {"cpuS": 5, "memoryMb": MEMORY_MB},
        }
        request = RunRequest.model_validate(body)

        def check(verdict: str, detail: object) -> None:
            if verdict != "accepted":
                raise RuntimeError(f"{case.language} {case.program}: {str(detail)[:500]}")

        def direct() -> None:
            output = bare.run(case.stdin).strip()
            check("accepted" if output == case.expected else "wrong_answer", output)

        def in_sandbox() -> None:
            result = runner.run(request)
            check(result.verdict.value, result)

        def over_http(service: RunnerService) -> None:
            result = service.post(body).json()
            check(result["verdict"], result)

        warm, cold = services
        actions: dict[str, Callable[[], None]] = {
            "bare": direct,
            "sandbox": in_sandbox,
            "http": lambda: over_http(warm),
            "cold": lambda: over_http(cold),
        }
        for action in actions.values():  # warm every path: page cache, prepared sandboxes
            action()
        row = Row(case)
        for _ in range(repeat):
            for name, action in actions.items():
                row.samples[name].append(_timed(action))
                time.sleep(gap_s)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _header() -> str:
    cells = [f"{'language':<11}{'program':<8}{'bare p50':>9}{'p95':>7}"]
    cells += [f"{name + ' p50':>12}{'p95':>7}{'ratio':>7}" for name in COLUMNS[1:]]
    return "".join(cells) + f"{'target':>8}"


def _line(figures: dict[str, float | str | None]) -> str:
    target = figures["target"]
    cells = [f"{figures['language']!s:<11}{figures['program']!s:<8}"]
    cells.append(f"{figures['bareP50']!s:>9}{figures['bareP95']!s:>7}")
    for name in COLUMNS[1:]:
        ratio = f"{figures[f'{name}Ratio']}x"
        cells.append(f"{figures[f'{name}P50']!s:>12}{figures[f'{name}P95']!s:>7}{ratio:>7}")
    cells.append(f"{f'<{target}x' if target else '-':>8}")
    return "".join(cells)


def run(argv: list[str] | None = None) -> list[Figure]:
    """Run the benchmark; print a table and the figures as one JSON line; return the figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.runner", description=__doc__)
    parser.add_argument("--repeat", type=int, default=40, help="timed runs per python/js case")
    parser.add_argument("--repeat-compiled", type=int, default=12, help="per java/cpp case")
    parser.add_argument("--gap-ms", type=float, default=150, help="pause between calls")
    parser.add_argument("--languages", nargs="+", default=list(HELLO), choices=list(HELLO))
    args = parser.parse_args(argv)
    typical_input, typical_output = _typical_input()
    os.environ.setdefault("RUNNER_SECRET", secrets.token_urlsafe(24))
    configure_logging("WARNING")
    services = (
        RunnerService("bench-runner", {"RUNNER_SLOTS": "1"}),
        RunnerService("bench-runner-cold", {"RUNNER_SLOTS": "1", "RUNNER_WARM": "0"}),
    )
    runner = Runner(get_settings())
    rows: list[Row] = []
    try:
        runner.start()
        for service in services:
            service.start()
        print(
            f"runner benchmark: sandbox {runner.mode.describe()}; milliseconds; ratio = median"
            f" over bare's; {args.gap_ms:.0f} ms between calls"
        )
        print(_header())
        for language in args.languages:
            compiled = SPECS[Language(language)].compiled
            for program, source, stdin, expected in (
                ("hello", HELLO[language], "", "hello"),
                ("typical", TYPICAL[language], typical_input, typical_output),
            ):
                row = _measure(
                    runner,
                    services,
                    Case(language, program, source, stdin, expected),
                    repeat=args.repeat_compiled if compiled else args.repeat,
                    gap_s=args.gap_ms / 1000,
                )
                rows.append(row)
                print(_line(row.summary()), flush=True)
    finally:
        for service in services:
            service.stop()
        runner.close()
    print(json.dumps([row.summary() for row in rows]))
    return [figure for row in rows for figure in row.figures()]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print a table, then the figures as one JSON line."""
    run(argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
