"""Code runs: the request, the stored run and what the API answers about it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from common.catalogue import Language
from common.models import ApiInput, ApiModel

__all__ = [
    "MAX_STDIN_CHARS",
    "Run",
    "RunCreate",
    "RunDoc",
    "RunStatus",
    "TestOutcome",
    "Verdict",
]

MAX_STDIN_CHARS = 16_000

RunStatus = Literal["queued", "running", "done"]
Verdict = Literal[
    "accepted",
    "wrong_answer",
    "compile_error",
    "runtime_error",
    "time_limit",
    "memory_limit",
    "output_limit",
    "runner_error",
]


class RunCreate(ApiInput):
    """Run the session's current code with this standard input."""

    stdin: Annotated[str, StringConstraints(max_length=MAX_STDIN_CHARS, strip_whitespace=False)] = (
        ""
    )


class TestOutcome(ApiModel):
    """One judged test of a submission; a hidden test shows only its verdict, time and memory."""

    __test__ = False  # not a pytest class

    index: int
    hidden: bool
    verdict: Verdict | Literal["skipped"]
    time_ms: int | None = None
    memory_kb: int | None = None
    message: str | None = None
    args: str | None = None
    expected: str | None = None
    actual: str | None = None
    stdout: str | None = None
    stderr: str | None = None


class Run(ApiModel):
    """A run as both partners see it (``sessions/{id}/runs/{runId}``)."""

    id: str
    kind: Literal["run", "submit"] = "run"
    author: str
    language: Language
    status: RunStatus
    verdict: Verdict | None = None
    stdin: str = ""
    stdout: str = ""
    stderr: str = ""
    compile_output: str = ""
    exit_code: int | None = None
    time_ms: int | None = None
    memory_kb: int | None = None
    tests: list[TestOutcome] = Field(default_factory=list)
    passed: int | None = None
    total: int | None = None
    created_at: AwareDatetime
    finished_at: AwareDatetime | None = None


class RunDoc(Run):
    """``sessions/{id}/runs/{runId}`` as stored (the id is the document's)."""

    id: str = Field(default="", exclude=True)
