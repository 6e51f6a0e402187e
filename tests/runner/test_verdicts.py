"""Ordinary programs per language: accepted, wrong answer, compile and runtime errors, judged over
HTTP by a real runner."""

from __future__ import annotations

import errno

import pytest

from runner.judge import normalise_output
from runner.seccomp import DENIED
from tests.runner.programs import BROKEN, CRASH, SUM
from tests.runner.support import RunnerService

LANGUAGES = list(SUM)
TESTS = [
    {"input": "1 2\n", "expected": "3\n"},
    {"input": "40 2\n-5 5\n", "expected": "42\n0"},
    {"input": "1000000000 1000000000\n", "expected": "2000000000  \n\n"},
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_correct_solution_is_accepted_on_every_test(runner: RunnerService, language: str) -> None:
    result = runner.run(language, SUM[language], TESTS)

    assert result["verdict"] == "accepted", result
    assert [r["verdict"] for r in result["results"]] == ["accepted"] * 3
    assert result["results"][1]["stdout"] == "42\n0\n"
    assert all(r["exitCode"] == 0 and r["signal"] is None for r in result["results"])
    assert result["memoryKb"] > 0
    assert result["timeMs"] == max(r["timeMs"] for r in result["results"])
    assert (result["compile"] is not None) == (language in BROKEN)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_wrong_output_is_a_wrong_answer_and_stops_the_run(
    runner: RunnerService, language: str
) -> None:
    tests = [TESTS[0], {"input": "2 2\n", "expected": "5\n"}, TESTS[1]]

    result = runner.run(language, SUM[language], tests)

    assert result["verdict"] == "wrong_answer"
    assert [r["verdict"] for r in result["results"]] == ["accepted", "wrong_answer"]
    assert result["results"][1]["stdout"] == "4\n"


def test_every_test_runs_when_asked_not_to_stop(runner: RunnerService) -> None:
    body = {
        "language": "python",
        "source": SUM["python"],
        "tests": [{"input": "2 2\n", "expected": "5"}, TESTS[0]],
        "stopOnFailure": False,
    }

    result = runner.post(body).json()

    assert result["verdict"] == "wrong_answer"
    assert [r["verdict"] for r in result["results"]] == ["wrong_answer", "accepted"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_crash_is_a_runtime_error_with_its_message(runner: RunnerService, language: str) -> None:
    result = runner.run(language, CRASH[language], [{"expected": "anything"}])

    assert result["verdict"] == "runtime_error"
    [test] = result["results"]
    if language == "cpp":
        assert test["signal"] == "SIGSEGV"
    else:
        assert test["exitCode"] != 0
        assert "boom" in test["stderr"]


@pytest.mark.parametrize("language", list(BROKEN))
def test_a_program_that_does_not_compile_is_a_compile_error(
    runner: RunnerService, language: str
) -> None:
    result = runner.run(language, BROKEN[language], [TESTS[0]])

    assert result["verdict"] == "compile_error"
    assert result["results"] == []
    assert result["compile"]["ok"] is False
    assert "error" in result["compile"]["stderr"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_test_without_expected_output_accepts_a_clean_exit(
    runner: RunnerService, language: str
) -> None:
    result = runner.run(language, SUM[language], [{"input": "20 22\n"}])

    assert result["verdict"] == "accepted"
    assert result["results"][0]["stdout"] == "42\n"


def test_a_large_input_reaches_the_program(runner: RunnerService) -> None:
    lines = "".join(f"{i} {i}\n" for i in range(60_000))
    source = "import sys\nprint(sum(int(a) + int(b) for a, b in map(str.split, sys.stdin)))"

    result = runner.run("python", source, [{"input": lines, "expected": str(60_000 * 59_999)}])

    assert result["verdict"] == "accepted", result


def test_the_program_sees_an_empty_environment_and_its_own_uid(runner: RunnerService) -> None:
    source = (
        "import os\nprint(sorted(os.environ))\nprint(os.getuid(), os.getgid(), os.getpid())\n"
        "print(open('/etc/passwd').read().count('\\n'))\nprint(sorted(os.listdir('/')))"
    )

    result = runner.run("python", source)

    lines = result["results"][0]["stdout"].splitlines()
    assert lines[0] == "['HOME', 'LANG', 'PATH', 'PWD', 'TMPDIR']"
    assert lines[1] == "65534 65534 2"
    assert lines[2] == "1"
    assert "work" not in lines[3] and "root" not in lines[3]


def test_the_program_may_write_in_tmp_but_not_elsewhere(runner: RunnerService) -> None:
    source = (
        "import os\nopen('/tmp/ok', 'w').write('x')\nopen('/dev/null', 'w').write('x')\n"
        "for path in ('/box/x', '/usr/x', '/etc/x', '/x', '/dev/x', '/dev/shm/x', '/proc/x'):\n"
        "    try:\n        open(path, 'w')\n        print('wrote', path)\n"
        "    except OSError as e:\n        print(e.errno)"
    )

    result = runner.run("python", source)

    assert "wrote" not in result["results"][0]["stdout"], result


def test_outputs_compare_modulo_trailing_whitespace() -> None:
    assert normalise_output("1 2  \n3\r\n\n\n") == normalise_output("1 2\n3")
    assert normalise_output(" 1") != normalise_output("1")
    assert normalise_output("1\n\n2") != normalise_output("1\n2")


def test_system_calls_that_open_the_kernel_up_are_refused(runner: RunnerService) -> None:
    source = (
        "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
        "for name, number in sorted(NUMBERS.items()):\n"
        "    result = libc.syscall(number, 0, 0, 0, 0, 0)\n"
        "    print(name, result, ctypes.get_errno())\n"
        "print('getpid', libc.syscall(39), 0)"
    ).replace("NUMBERS", repr(DENIED))

    result = runner.run("python", source)

    lines = result["results"][0]["stdout"].splitlines()
    assert [line.split()[0] for line in lines[:-1]] == sorted(DENIED)
    assert all(line.split()[1:] == ["-1", str(errno.ENOSYS)] for line in lines[:-1]), lines
    assert lines[-1] == "getpid 2 0"
