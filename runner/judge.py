"""The runner: slots, compile once, run each test in a sandbox, and judge what came out."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import queue
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from runner.cgroups import CgroupTree
from runner.config import Settings
from runner.languages import SPECS, LanguageSpec, Runtimes, java_class_name
from runner.logs import get_logger
from runner.models import (
    CompileResult,
    Language,
    Limits,
    RunRequest,
    RunResponse,
    TestCase,
    TestResult,
    Verdict,
)
from runner.pool import Slot
from runner.sandbox import Cell, Outcome, SandboxError, SandboxLimits, SandboxSpec, System

__all__ = ["BusyError", "Runner", "normalise_output"]

_log = get_logger("runner.judge")
_OUTPUT_BYTES = 64 * 1024
# Compilers get their own, larger limits.
_COMPILE = SandboxLimits(
    cpu_s=10,
    wall_s=20,
    memory_mb=1024,
    processes=64,
    file_mb=64,
    open_files=256,
    output_bytes=_OUTPUT_BYTES,
    tmpfs_mb=256,
    kill_on_overflow=False,
)
_RUN_TMPFS_MB = 64
# Without a memory cgroup, RLIMIT_DATA bounds memory; JIT runtimes need room beyond their heap.
_DATA_HEADROOM_MB = {Language.JAVA: 192, Language.JAVASCRIPT: 128}


class BusyError(RuntimeError):
    """Every slot stayed busy for the queue timeout."""


def normalise_output(text: str) -> str:
    """Compare outputs modulo trailing whitespace on each line and trailing blank lines."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _signal_name(number: int | None) -> str | None:
    if number is None:
        return None
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"SIG{number}"


@dataclass(frozen=True)
class _Mode:
    cgroups: bool
    own_uids: bool

    def describe(self) -> str:
        memory = "cgroup-v1" if self.cgroups else "rlimits"
        return f"{memory}+{'uid-per-cell' if self.own_uids else 'shared-uid'}"


class Runner:
    """Everything one server process needs to run programs, created once at start."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runtimes = Runtimes.find(settings)
        if not Path(settings.bwrap).is_file():
            raise SandboxError(f"bubblewrap is not installed at {settings.bwrap}")
        root = os.geteuid() == 0
        self._state = Path(settings.state_dir) / str(os.getpid())
        _prepare_state_dir(Path(settings.state_dir), self._state, root)
        self._tree = CgroupTree.create() if settings.cgroup == "auto" and root else None
        self.mode = _Mode(cgroups=self._tree is not None, own_uids=root)
        self._system = System.create(
            bwrap=settings.bwrap,
            init=_runner_init(settings, Path(settings.state_dir)),
            state_dir=self._state,
            extra_ro=self.runtimes.extra_system_dirs(),
        )
        cells_per_slot = settings.warm + 2
        # Runners on one host (make dev beside make test) each take their own block of uids:
        # RLIMIT_NPROC counts a uid's processes host-wide.
        self._uid_lock, first_uid = (
            _claim_uid_block(Path(settings.state_dir), settings.sandbox_uid) if root else (-1, 0)
        )
        self._slots: queue.Queue[Slot] = queue.Queue()
        self._all_slots: list[Slot] = []
        for index in range(settings.slots):
            box = self._state / f"slot{index}" / "box"
            box.mkdir(parents=True)
            if root:
                box.parent.chmod(0o711)
                os.chown(box, 0, first_uid)
                box.chmod(0o2770)
            cells = []
            for k in range(cells_per_slot):
                number = index * cells_per_slot + k
                cells.append(
                    Cell(
                        index=number,
                        uid=first_uid + 1 + number if root else None,
                        gid=first_uid if root else None,
                        cgroup=self._tree.cell(number) if self._tree else None,
                    )
                )
            slot = Slot(index, system=self._system, box=box, cells=cells, warm_max=settings.warm)
            self._all_slots.append(slot)
            self._slots.put(slot)

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Check the sandbox works, then prepare sandboxes for each language's default limits."""
        missing = self.runtimes.missing()
        if Language.PYTHON.value in missing:
            raise SandboxError(f"no python for the sandbox ({self.runtimes.python!r})")
        probe = self.run(
            RunRequest(
                language=Language.PYTHON,
                source="print(6 * 7)",
                tests=[TestCase(expected="42")],
            )
        )
        if probe.verdict is not Verdict.ACCEPTED:
            raise SandboxError(f"the sandbox does not work: {probe.model_dump_json()}")
        for slot in self._all_slots:
            for language, spec in SPECS.items():
                if language.value in missing:
                    continue
                if spec.compiled:
                    slot.keep_warm(self._compile_command(spec, spec.source_name("")))
                slot.keep_warm(self._run_spec(spec, Limits()))
        _log.info(
            "runner ready",
            extra={
                "event": "runner_ready",
                "sandboxMode": self.mode.describe(),
                "slots": self.settings.slots,
                "missingLanguages": missing,
            },
        )

    def close(self) -> None:
        """Kill prepared sandboxes and remove the runner's cgroups and state."""
        for slot in self._all_slots:
            slot.close()
        if self._tree is not None:
            self._tree.remove()
        shutil.rmtree(self._state, ignore_errors=True)
        if self._uid_lock >= 0:
            os.close(self._uid_lock)
            self._uid_lock = -1

    # ---- specs -----------------------------------------------------------------------------

    def _compile_command(self, spec: LanguageSpec, source_name: str) -> SandboxSpec:
        # Fixed for a language but Java's, whose file is named after its class: Main is usual.
        limits = self._limits(_COMPILE, spec)
        command = spec.compile_command(self.runtimes, source_name, limits.memory_mb)
        return SandboxSpec(tuple(command), True, limits)

    def _run_spec(self, spec: LanguageSpec, limits: Limits) -> SandboxSpec:
        sandbox_limits = SandboxLimits(
            cpu_s=limits.cpu_s,
            wall_s=limits.wall_limit_s,
            memory_mb=limits.memory_mb,
            processes=limits.processes,
            file_mb=limits.file_mb,
            open_files=limits.open_files,
            output_bytes=limits.output_kb * 1024,
            tmpfs_mb=_RUN_TMPFS_MB,
        )
        command = spec.run_command(self.runtimes, limits.memory_mb)
        return SandboxSpec(tuple(command), False, self._limits(sandbox_limits, spec))

    def _limits(self, limits: SandboxLimits, spec: LanguageSpec) -> SandboxLimits:
        if self.mode.cgroups:
            return limits
        data_mb = limits.memory_mb + _DATA_HEADROOM_MB.get(spec.language, 0)
        return SandboxLimits(**{**limits.__dict__, "data_mb": data_mb})

    # ---- runs ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _slot(self) -> Iterator[Slot]:
        try:
            slot = self._slots.get(timeout=self.settings.queue_timeout_s)
        except queue.Empty as exc:
            raise BusyError("every slot is busy") from exc
        try:
            slot.wipe_box()
            yield slot
        finally:
            slot.wipe_box()
            self._slots.put(slot)

    def worst_case_s(self, request: RunRequest) -> float:
        """Return the longest a request may take: compiling, then every test to its wall limit."""
        compile_s = _COMPILE.wall_s if SPECS[request.language].compiled else 0.0
        return compile_s + len(request.tests) * request.limits.wall_limit_s

    def run(self, request: RunRequest) -> RunResponse:
        """Compile the program once if needed, then run and judge each test in order."""
        spec = SPECS[request.language]
        started = time.monotonic()
        with self._slot() as slot:
            source_name = spec.source_name(request.source)
            source_path = slot.box / source_name
            source_path.write_text(request.source)
            source_path.chmod(0o644)
            compiled: CompileResult | None = None
            if spec.compiled:
                compiled = self._compile(slot, spec, source_name, request.source)
                if not compiled.ok:
                    return RunResponse(
                        verdict=Verdict.COMPILE_ERROR,
                        compile=compiled,
                        results=[],
                        time_ms=0,
                        memory_kb=0,
                    )
            run_spec = self._run_spec(spec, request.limits)
            results: list[TestResult] = []
            for index, test in enumerate(request.tests):
                more = index + 1 < len(request.tests)
                outcome = slot.run(run_spec, test.input.encode(), more=more)
                results.append(_result(outcome, spec, request.limits, test.expected))
                if results[-1].verdict is not Verdict.ACCEPTED and request.stop_on_failure:
                    break
        verdict = next(
            (r.verdict for r in results if r.verdict is not Verdict.ACCEPTED), Verdict.ACCEPTED
        )
        response = RunResponse(
            verdict=verdict,
            compile=compiled,
            results=results,
            time_ms=max(r.time_ms for r in results),
            memory_kb=max(r.memory_kb for r in results),
        )
        _log.info(
            "run judged",
            extra={
                "event": "run_judged",
                "language": request.language.value,
                "verdict": verdict.value,
                "tests": len(request.tests),
                "ran": len(results),
                "elapsedMs": int((time.monotonic() - started) * 1000),
            },
        )
        return response

    def _compile(
        self, slot: Slot, spec: LanguageSpec, source_name: str, source: str
    ) -> CompileResult:
        outcome = slot.run(self._compile_command(spec, source_name), b"")
        stderr = _text(outcome.stderr)
        ok = outcome.exit_code == 0 and not outcome.timed_out
        if outcome.timed_out or outcome.signal in {signal.SIGXCPU, signal.SIGKILL}:
            ok = False
            stderr += "\n[the compiler ran out of time]"
        elif outcome.oom_killed:
            ok = False
            stderr += "\n[the compiler ran out of memory]"
        if ok and spec.language is Language.JAVA:
            args = slot.box / "java.args"
            args.write_text(f"-cp /box {java_class_name(source)}\n")
            args.chmod(0o644)
        if ok and spec.language is Language.CPP and not (slot.box / "main").is_file():
            ok = False
        return CompileResult(
            ok=ok,
            stdout=_text(outcome.stdout),
            stderr=stderr,
            exit_code=outcome.exit_code,
            time_ms=outcome.cpu_ms,
            wall_ms=outcome.wall_ms,
            memory_kb=outcome.memory_kb,
        )


def _verdict(  # noqa: PLR0911 - one return per verdict, in order of precedence
    outcome: Outcome, spec: LanguageSpec, limits: Limits, expected: str | None
) -> Verdict:
    if outcome.output_overflow:
        return Verdict.OUTPUT_LIMIT
    if outcome.timed_out:
        return Verdict.TIME_LIMIT
    failed = outcome.exit_code != 0
    stderr = _text(outcome.stderr[-4096:])
    if outcome.oom_killed or (failed and spec.ran_out_of_memory(stderr)):
        return Verdict.MEMORY_LIMIT
    if outcome.signal == signal.SIGXCPU or outcome.cpu_ms > limits.cpu_s * 1000:
        return Verdict.TIME_LIMIT
    if failed:
        return Verdict.RUNTIME_ERROR
    if expected is not None and normalise_output(_text(outcome.stdout)) != normalise_output(
        expected
    ):
        return Verdict.WRONG_ANSWER
    return Verdict.ACCEPTED


def _result(
    outcome: Outcome, spec: LanguageSpec, limits: Limits, expected: str | None
) -> TestResult:
    return TestResult(
        verdict=_verdict(outcome, spec, limits, expected),
        stdout=_text(outcome.stdout),
        stderr=_text(outcome.stderr),
        exit_code=outcome.exit_code,
        signal=_signal_name(outcome.signal),
        time_ms=outcome.cpu_ms,
        wall_ms=outcome.wall_ms,
        memory_kb=outcome.memory_kb,
    )


def _runner_init(settings: Settings, base: Path) -> Path:
    """Return runner-init: the image's build, else compiled from init.c once per version."""
    if settings.init_binary:
        return Path(settings.init_binary)
    source = Path(__file__).with_name("init.c")
    target = base / f"runner-init-{hashlib.sha256(source.read_bytes()).hexdigest()[:12]}"
    if not target.is_file():
        compiler = shutil.which("cc") or shutil.which("gcc")
        if compiler is None:
            raise SandboxError("no C compiler to build runner-init (set RUNNER_INIT_BINARY)")
        partial = target.with_name(f"{target.name}.{os.getpid()}")
        subprocess.run(  # noqa: S603 - fixed arguments
            [compiler, "-O2", "-static", "-o", str(partial), str(source)],
            check=True,
            capture_output=True,
            timeout=120,
        )
        partial.chmod(0o755)
        partial.replace(target)
    return target


UID_BLOCK = 1000
_UID_BLOCKS = 64


def _claim_uid_block(base: Path, first: int) -> tuple[int, int]:
    """Lock a free block of sandbox uids for this process; return the lock's fd, the block's uid.

    The lock (flock on a file per block) lasts as long as the process.
    """
    base.mkdir(parents=True, exist_ok=True)
    for block in range(_UID_BLOCKS):
        fd = os.open(base / f"uids-{block}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return fd, first + block * UID_BLOCK
    raise SandboxError(f"every block of sandbox uids is taken ({_UID_BLOCKS} runners)")


def _prepare_state_dir(base: Path, state: Path, root: bool) -> None:
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o711 if root else 0o700)
    for entry in base.iterdir():
        if entry.name.isdigit() and not _alive(int(entry.name)):
            shutil.rmtree(entry, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    state.chmod(0o711 if root else 0o700)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
