"""Check the bank's judging data without the sandbox: each question's tests against its reference.

``python -m tools.judge_local [--language L] [slug...]`` validates ``data/judging/<slug>.json``
(the signature, one structured test per visible example, at least 8 hidden tests, arguments that
fit the signature) and runs the reference ``data/solutions/<slug>.<ext>`` on every test with the
language's driver, directly on this machine: python with this interpreter (the default), javascript
with node, java with javac and java, C++ with g++ (each program is compiled once per question).
For authors of the bank; the tests judge the same data through the runner.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from common.judging import drivers
from common.judging.compare import read_answer, same_answer
from common.judging.drivers import java as java_driver
from common.judging.signature import JudgeTest, Signature, check_test
from common.questions import slugify

ROOT = Path(__file__).resolve().parent.parent
MIN_HIDDEN = 8
_MARK = "@@peerprep-local@@"
EXTENSIONS = {"python": "py", "javascript": "js", "java": "java", "cpp": "cpp"}


class CompileError(Exception):
    """The reference did not compile."""


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CompileError(f"{name} is not installed")
    return found


def _command(language: str, program: str, work: Path) -> list[str]:
    """Write the program into ``work``, compile it if needed; return the command that runs it."""
    if language == "python":
        return [sys.executable, "-c", program]
    if language == "javascript":
        (work / "main.js").write_text(program)
        return [_tool("node"), str(work / "main.js")]
    if language == "java":
        source = work / f"{java_driver.MAIN_CLASS}.java"
        compiler = [_tool("javac"), "-J-XX:TieredStopAtLevel=1", "-encoding", "UTF-8"]
        compiler += ["-d", str(work), str(source)]
        run = [_tool("java"), "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", str(work)]
        run.append(java_driver.MAIN_CLASS)
    else:
        source = work / "main.cpp"
        compiler = [_tool("g++"), "-std=c++17", "-O2", "-pipe", "-o", str(work / "main")]
        compiler.append(str(source))
        run = [str(work / "main")]
    source.write_text(program)
    done = subprocess.run(  # noqa: S603 - the compiler found on PATH, on the program just written
        compiler, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise CompileError((done.stdout + done.stderr)[-2000:])
    return run


def _problems(
    slug: str, question: dict[str, Any], judging: dict[str, Any], language: str = "python"
) -> list[str]:
    problems = []
    signature = TypeAdapter(Signature).validate_python(judging["signature"])
    examples = [JudgeTest.model_validate(item) for item in judging["examples"]]
    hidden = [JudgeTest.model_validate(item) for item in judging["hidden"]]
    if len(examples) != len(question["examples"]):
        problems.append(f"{len(examples)} structured examples for {len(question['examples'])}")
    if len(hidden) < MIN_HIDDEN:
        problems.append(f"only {len(hidden)} hidden tests")
    source = (ROOT / "data" / "solutions" / f"{slug}.{EXTENSIONS[language]}").read_text()
    program = drivers.program(language, signature, source, _MARK)
    with tempfile.TemporaryDirectory(prefix="judge-local-") as work:
        try:
            command = _command(language, program, Path(work))
        except CompileError as error:
            return [*problems, f"the reference does not compile: {error}"]
        problems += _run_tests(signature, command, examples, hidden)
    return problems


def _run_tests(
    signature: Signature, command: list[str], examples: list[JudgeTest], hidden: list[JudgeTest]
) -> list[str]:
    problems = []
    for label, tests in (("example", examples), ("hidden", hidden)):
        for index, test in enumerate(tests):
            try:
                check_test(signature, test.args, test.expected)
            except ValueError as error:
                problems.append(f"{label} {index}: {error}")
                continue
            done = subprocess.run(  # noqa: S603 - the reference, built by _command
                command,
                input=json.dumps(test.args),
                capture_output=True,
                text=True,
                timeout=20,
                check=False,
            )
            answer = read_answer(done.stdout, _MARK)
            if answer.error:
                problems.append(f"{label} {index}: {answer.error}: {done.stderr[-500:]}")
            elif not same_answer(signature.compare, test.expected, answer.value, test.args):
                problems.append(
                    f"{label} {index}: expected {test.expected!r}, got {answer.value!r}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check the named questions (all that have judging data by default); 1 if any fails."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--language", choices=list(EXTENSIONS), default="python")
    parser.add_argument(
        "--judging",
        type=Path,
        default=ROOT / "data" / "judging",
        help="the directory of the judging data (data/judging by default)",
    )
    parser.add_argument("slugs", nargs="*")
    options = parser.parse_args(argv)
    questions = {
        slugify(q["title"]): q for q in json.loads((ROOT / "data" / "questions.json").read_text())
    }
    slugs = options.slugs or sorted(p.stem for p in options.judging.glob("*.json"))
    failed = 0
    for slug in slugs:
        if slug not in questions:
            sys.stdout.write(f"{slug}: no such question in data/questions.json\n")
            failed += 1
            continue
        judging = json.loads((options.judging / f"{slug}.json").read_text())
        problems = _problems(slug, questions[slug], judging, options.language)
        failed += bool(problems)
        sys.stdout.write(f"{slug} ({options.language}): {'ok' if not problems else 'FAILED'}\n")
        for problem in problems:
            sys.stdout.write(f"  {problem}\n")
    sys.stdout.write(f"{len(slugs) - failed} of {len(slugs)} ok\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
