"""Requests and responses of ``POST /run``: what to run, under which limits, and what came out."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CompileResult",
    "Language",
    "Limits",
    "RunRequest",
    "RunResponse",
    "TestCase",
    "TestResult",
    "Verdict",
]

MAX_SOURCE_CHARS = 256 * 1024
MAX_IO_CHARS = 1024 * 1024


class Language(StrEnum):
    """Languages the runner knows."""

    PYTHON = "python"
    JAVASCRIPT = "javascript"
    JAVA = "java"
    CPP = "cpp"


class Verdict(StrEnum):
    """Outcome of one test, or of the whole run (its first non-accepted test)."""

    ACCEPTED = "accepted"
    WRONG_ANSWER = "wrong_answer"
    COMPILE_ERROR = "compile_error"
    RUNTIME_ERROR = "runtime_error"
    TIME_LIMIT = "time_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Limits(_Model):
    """Limits of each test's run; every field has a default and a ceiling."""

    cpu_s: float = Field(default=2.0, gt=0, le=10, alias="cpuS")
    wall_s: float | None = Field(
        default=None, gt=0, le=30, alias="wallS", description="Default: twice the CPU time + 1 s."
    )
    memory_mb: int = Field(default=256, ge=32, le=1024, alias="memoryMb")
    processes: int = Field(default=64, ge=1, le=256, description="Processes and threads.")
    file_mb: int = Field(default=16, ge=0, le=64, alias="fileMb", description="Largest file.")
    open_files: int = Field(default=64, ge=16, le=1024, alias="openFiles")
    output_kb: int = Field(default=64, ge=1, le=64, alias="outputKb", description="Per stream.")

    @property
    def wall_limit_s(self) -> float:
        """Return the wall-clock limit, explicit or derived from the CPU limit."""
        return self.wall_s if self.wall_s is not None else min(30.0, self.cpu_s * 2 + 1)


class TestCase(_Model):
    """One run of the program: its standard input and, when judged, the expected output."""

    __test__ = False  # not a pytest class

    input: Annotated[str, Field(max_length=MAX_IO_CHARS)] = ""
    expected: Annotated[str, Field(max_length=MAX_IO_CHARS)] | None = None


class RunRequest(_Model):
    """``POST /run``: compile once (java, cpp), then run every test."""

    language: Language
    source: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS)
    tests: list[TestCase] = Field(min_length=1)
    limits: Limits = Field(default_factory=Limits)
    stop_on_failure: bool = Field(
        default=True, alias="stopOnFailure", description="Skip the tests after a failed one."
    )

    @model_validator(mode="after")
    def _bounded_total(self) -> RunRequest:
        total = sum(len(t.input) + len(t.expected or "") for t in self.tests)
        if total > 4 * MAX_IO_CHARS:
            raise ValueError("tests: inputs and expected outputs exceed 4 MiB in total")
        return self


class _Output(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CompileResult(_Output):
    """What the compiler said; a failed compile ends the run with ``compile_error``."""

    ok: bool
    stdout: str
    stderr: str
    exit_code: int | None = Field(alias="exitCode")
    time_ms: int = Field(alias="timeMs")
    wall_ms: int = Field(alias="wallMs")
    memory_kb: int = Field(alias="memoryKb")


class TestResult(_Output):
    """Outcome of one test; ``timeMs`` is CPU time, ``wallMs`` elapsed time."""

    __test__ = False  # not a pytest class

    verdict: Verdict
    stdout: str
    stderr: str
    exit_code: int | None = Field(alias="exitCode")
    signal: str | None = None
    time_ms: int = Field(alias="timeMs")
    wall_ms: int = Field(alias="wallMs")
    memory_kb: int = Field(alias="memoryKb")


class RunResponse(_Output):
    """The run: overall verdict (first non-accepted test), compile output, per-test results."""

    verdict: Verdict
    compile: CompileResult | None = None
    results: list[TestResult]
    time_ms: int = Field(alias="timeMs", description="Largest CPU time of a test.")
    memory_kb: int = Field(alias="memoryKb", description="Largest memory of a test.")
