"""Check the bank's judging data without the sandbox: each question's tests against its reference.

``python -m tools.judge_local [slug...]`` validates ``data/judging/<slug>.json`` (the signature,
one structured test per visible example, at least 8 hidden tests, arguments that fit the
signature) and runs ``data/solutions/<slug>.py`` on every test with the python driver, directly
with this interpreter. For authors of the bank; the tests judge the same data through the runner.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from common.judging.compare import read_answer, same_answer
from common.judging.drivers import python as python_driver
from common.judging.signature import JudgeTest, Signature, check_test
from common.questions import slugify

ROOT = Path(__file__).resolve().parent.parent
MIN_HIDDEN = 8
_MARK = "@@peerprep-local@@"


def _problems(slug: str, question: dict[str, Any], judging: dict[str, Any]) -> list[str]:
    problems = []
    signature = TypeAdapter(Signature).validate_python(judging["signature"])
    examples = [JudgeTest.model_validate(item) for item in judging["examples"]]
    hidden = [JudgeTest.model_validate(item) for item in judging["hidden"]]
    if len(examples) != len(question["examples"]):
        problems.append(f"{len(examples)} structured examples for {len(question['examples'])}")
    if len(hidden) < MIN_HIDDEN:
        problems.append(f"only {len(hidden)} hidden tests")
    source = (ROOT / "data" / "solutions" / f"{slug}.py").read_text()
    program = python_driver.program(signature, source, _MARK)
    for label, tests in (("example", examples), ("hidden", hidden)):
        for index, test in enumerate(tests):
            try:
                check_test(signature, test.args, test.expected)
            except ValueError as error:
                problems.append(f"{label} {index}: {error}")
                continue
            done = subprocess.run(
                [sys.executable, "-c", program],
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
    parser.add_argument("slugs", nargs="*")
    options = parser.parse_args(argv)
    questions = {
        slugify(q["title"]): q for q in json.loads((ROOT / "data" / "questions.json").read_text())
    }
    slugs = options.slugs or sorted(p.stem for p in (ROOT / "data" / "judging").glob("*.json"))
    failed = 0
    for slug in slugs:
        if slug not in questions:
            sys.stdout.write(f"{slug}: no such question in data/questions.json\n")
            failed += 1
            continue
        judging = json.loads((ROOT / "data" / "judging" / f"{slug}.json").read_text())
        problems = _problems(slug, questions[slug], judging)
        failed += bool(problems)
        sys.stdout.write(f"{slug}: {'ok' if not problems else 'FAILED'}\n")
        for problem in problems:
            sys.stdout.write(f"  {problem}\n")
    sys.stdout.write(f"{len(slugs) - failed} of {len(slugs)} ok\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
