"""The sandbox: one program in bubblewrap, with limits, set up ahead and released on demand.

A sandbox is spawned *prepared*: bwrap creates every namespace (user, mount, pid, network, ipc,
uts, cgroup), mounts the read-only system, the box and a size-limited tmpfs, then blocks on a pipe
before it execs the program. ``Prepared.release`` writes the test's input, unblocks it and watches
it: wall clock, output caps, exit; the kernel enforces the rest (rlimits set before bwrap starts,
the cell's cgroups). Setting up ahead takes bwrap's few milliseconds off each run's latency.

A seccomp filter refuses a few system calls no solution needs (``runner.seccomp``).
Inside: uid and gid 65534, cwd /tmp (the only writable place), an empty environment but PATH,
HOME, LANG; /box holds the program (read-only when it runs, writable only for the compiler);
/etc holds a two-line passwd and group file and the JDK's configuration, nothing of the host.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import resource
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from runner.cgroups import CgroupCell
from runner.logs import get_logger
from runner.seccomp import filter_program

__all__ = ["Cell", "Outcome", "Prepared", "SandboxError", "SandboxLimits", "SandboxSpec", "System"]

SANDBOX_ID = 65534
# runner/init.c, compiled: process 1 of each sandbox, which runs the program and measures it.
INIT = "/.runner-init"
_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", "LANG": "C.UTF-8", "TMPDIR": "/tmp"}
# bwrap's launcher and runner-init beside the program's processes.
_BWRAP_PROCESSES = 2
# bwrap's launcher and init are charged to the cell too.
_BWRAP_MEMORY = 16 * 1024 * 1024


_log = get_logger("runner.sandbox")


class SandboxError(RuntimeError):
    """The sandbox itself failed (bwrap could not set up): not the program's fault."""


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one sandboxed process tree; part of a prepared sandbox's identity."""

    cpu_s: float
    wall_s: float
    memory_mb: int
    processes: int
    file_mb: int
    open_files: int
    output_bytes: int
    tmpfs_mb: int
    # Where no cgroup bounds memory: RLIMIT_DATA (None: not set).
    data_mb: int | None = None
    # Stop the program when an output stream passes its cap (runs); compilers are only cut.
    kill_on_overflow: bool = True


@dataclass(frozen=True)
class SandboxSpec:
    """What a sandbox runs and how: the key prepared sandboxes are kept under."""

    command: tuple[str, ...]
    box_writable: bool
    limits: SandboxLimits


@dataclass
class Cell:
    """A place for one sandbox: its host uid/gid (when the server is root) and its cgroups."""

    index: int
    uid: int | None
    gid: int | None
    cgroup: CgroupCell | None


@dataclass
class Outcome:
    """What happened to one sandboxed run."""

    exit_code: int | None
    signal: int | None
    cpu_ms: int
    wall_ms: int
    memory_kb: int
    stdout: bytes
    stderr: bytes
    output_overflow: bool
    timed_out: bool
    oom_killed: bool


@dataclass(frozen=True)
class System:
    """The host side of every sandbox: bwrap, the read-only system, the fake /etc."""

    bwrap: str
    init: Path
    etc_dir: Path
    seccomp: Path
    extra_ro: tuple[str, ...] = ()
    _root_links: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    @classmethod
    def create(cls, *, bwrap: str, init: Path, state_dir: Path, extra_ro: list[str]) -> System:
        """Write the sandbox's passwd and group files and look at the host's root layout."""
        etc_dir = state_dir / "etc"
        etc_dir.mkdir(parents=True, exist_ok=True)
        etc_dir.chmod(0o755)
        (etc_dir / "passwd").write_text(
            f"sandbox:x:{SANDBOX_ID}:{SANDBOX_ID}:sandbox:/tmp:/usr/sbin/nologin\n"
        )
        (etc_dir / "group").write_text(f"sandbox:x:{SANDBOX_ID}:\n")
        for name in ("passwd", "group"):
            (etc_dir / name).chmod(0o644)
        seccomp = state_dir / "seccomp.bpf"
        seccomp.write_bytes(filter_program())
        seccomp.chmod(0o644)
        links = []
        for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
            path = Path(top)
            if path.is_symlink():
                links.append((top, str(path.readlink())))
            elif path.is_dir():
                links.append((top, ""))
        return cls(bwrap, init, etc_dir, seccomp, tuple(extra_ro), tuple(links))

    def argv(
        self,
        spec: SandboxSpec,
        *,
        box: Path,
        block_fd: int,
        info_fd: int,
        report_fd: int,
        seccomp_fd: int,
    ) -> list[str]:
        """Return the bwrap command line of a sandbox."""
        args = [
            self.bwrap,
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--as-pid-1",
            "--die-with-parent",
            "--new-session",
            "--clearenv",
            "--cap-drop",
            "ALL",
            "--hostname",
            "sandbox",
            "--uid",
            str(SANDBOX_ID),
            "--gid",
            str(SANDBOX_ID),
            "--ro-bind",
            "/usr",
            "/usr",
        ]
        for top, target in self._root_links:
            args += ["--symlink", target, top] if target else ["--ro-bind", top, top]
        args += [
            "--ro-bind",
            str(self.etc_dir / "passwd"),
            "/etc/passwd",
            "--ro-bind",
            str(self.etc_dir / "group"),
            "/etc/group",
            "--ro-bind-try",
            "/etc/ld.so.cache",
            "/etc/ld.so.cache",
            "--ro-bind-try",
            "/etc/alternatives",
            "/etc/alternatives",
        ]
        for path in self.extra_ro:
            args += ["--ro-bind-try", path, path]
        args += [
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            "--size",
            str(spec.limits.tmpfs_mb * 1024 * 1024),
            "--tmpfs",
            "/tmp",
            "--bind" if spec.box_writable else "--ro-bind",
            str(box),
            "/box",
            "--ro-bind",
            str(self.init),
            INIT,
            # bwrap builds / and /dev as tmpfs owned by the sandbox's user: make both read-only.
            "--remount-ro",
            "/dev",
            "--remount-ro",
            "/",
            "--chdir",
            "/tmp",
        ]
        for name, value in _ENV.items():
            args += ["--setenv", name, value]
        args += ["--info-fd", str(info_fd), "--block-fd", str(block_fd)]
        args += ["--seccomp", str(seccomp_fd), "--"]
        return [*args, INIT, str(report_fd), *spec.command]


def _rlimits(limits: SandboxLimits) -> list[tuple[int, int, int]]:
    cpu = max(1, math.ceil(limits.cpu_s))
    mib = 1024 * 1024
    values = [
        # SIGXCPU at the soft limit, SIGKILL a second later.
        (resource.RLIMIT_CPU, cpu, cpu + 1),
        (resource.RLIMIT_NPROC, limits.processes + _BWRAP_PROCESSES, 0),
        (resource.RLIMIT_FSIZE, limits.file_mb * mib, 0),
        (resource.RLIMIT_NOFILE, limits.open_files, 0),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_STACK, min(64, limits.memory_mb) * mib, 0),
        (resource.RLIMIT_MEMLOCK, 0, 0),
    ]
    if limits.data_mb is not None:
        values.append((resource.RLIMIT_DATA, limits.data_mb * mib, 0))
    return [(res, soft, hard or soft) for res, soft, hard in values]


def _launcher(system: System, cell: Cell, limits: SandboxLimits) -> list[str]:
    """Return runner-init's launcher prefix: join the cell's cgroups, set rlimits, drop the uid.

    Done by a small exec'd helper rather than in a ``preexec_fn``: the server (threads and all)
    is then spawned from with vfork, never forked whole.
    """
    procs = list(cell.cgroup.procs_files) if cell.cgroup else []
    rlimits = ",".join(f"{res}:{soft}:{hard}" for res, soft, hard in _rlimits(limits))
    uid = "-" if cell.uid is None else str(cell.uid)
    gid = "-" if cell.gid is None else str(cell.gid)
    return [str(system.init), "--launch", *procs, "--", uid, gid, rlimits]


class Prepared:
    """A sandbox set up and blocked before exec: release it once, with the test's input."""

    def __init__(self, system: System, spec: SandboxSpec, cell: Cell, box: Path) -> None:
        self.spec = spec
        self.cell = cell
        self.cell_clean = True
        self.released = False
        self._init_pid = 0
        self._init_pidfd: int | None = None
        self._status: int | None = None
        if cell.cgroup is not None:
            cell.cgroup.configure(
                memory_bytes=spec.limits.memory_mb * 1024 * 1024 + _BWRAP_MEMORY,
                processes=spec.limits.processes + _BWRAP_PROCESSES,
            )
        self._stdin = os.memfd_create("stdin", os.MFD_CLOEXEC)
        block_r, self._block_w = os.pipe()
        info_r, info_w = os.pipe()
        self._report_r, report_w = os.pipe()
        seccomp_fd = os.open(system.seccomp, os.O_RDONLY)
        try:
            bwrap = system.argv(
                spec,
                box=box,
                block_fd=block_r,
                info_fd=info_w,
                report_fd=report_w,
                seccomp_fd=seccomp_fd,
            )
            self._process = subprocess.Popen(  # noqa: S603 - a fixed command line, no shell
                [*_launcher(system, cell, spec.limits), *bwrap],
                stdin=self._stdin,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env={},
                pass_fds=(block_r, info_w, report_w, seccomp_fd),
                cwd="/",
            )
        except BaseException:
            for fd in (self._stdin, self._block_w, self._report_r, info_r):
                os.close(fd)
            raise
        finally:
            for fd in (block_r, info_w, report_w, seccomp_fd):
                os.close(fd)
        try:
            info = _read_all(info_r)
        finally:
            os.close(info_r)
        try:
            self._init_pid = int(json.loads(info)["child-pid"])
            self._init_pidfd = os.pidfd_open(self._init_pid)
        except (ValueError, KeyError, OSError) as exc:
            self._reap()
            stderr = self._stderr_now()
            self.discard()
            raise SandboxError(f"bwrap did not start: {stderr!r}") from exc

    def _exited(self) -> bool:
        if self._status is None:
            pid, status = os.waitpid(self._process.pid, os.WNOHANG)
            if pid:
                self._status = status
                self._process.returncode = os.waitstatus_to_exitcode(status)
        return self._status is not None

    def _stderr_now(self) -> bytes:
        if not self._exited() or self._process.stderr is None:
            return b""
        return self._process.stderr.read(4096)

    def alive(self) -> bool:
        """Tell whether the sandbox is still blocked, ready to run."""
        return not self._exited()

    def release(self, stdin: bytes) -> Outcome:
        """Run the program on ``stdin`` until it exits or breaks a limit.

        Returns as soon as runner-init has reported (the program and everything it started are
        gone by then); ``finish`` reaps bwrap and empties the cell afterwards, off the run's path.
        """
        if self.released:
            raise RuntimeError("a prepared sandbox runs once")
        self.released = True
        if self._exited():
            raise SandboxError(f"the sandbox exited before its program ran: {self._stderr_now()!r}")
        os.write(self._stdin, stdin)
        os.lseek(self._stdin, 0, os.SEEK_SET)
        cgroup = self.cell.cgroup
        oom_before = 0
        if cgroup is not None:
            cgroup.reset_peak()
            oom_before = cgroup.oom_kills()
        started = time.monotonic()
        os.write(self._block_w, b"x")
        os.close(self._block_w)
        self._block_w = -1
        watched = self._watch(started, self.spec.limits)
        wall_ms = int((time.monotonic() - started) * 1000)
        oom_killed = cgroup is not None and cgroup.oom_kills() > oom_before
        report = _parse_report(watched.report)
        if report is not None:
            program_status, cpu_ms, memory_kb = report
            exit_code, signal_number = _decode(program_status)
        elif watched.timed_out or watched.overflow:
            # Killed for a limit before runner-init could report: the sample taken before.
            cpu_ms, memory_kb = watched.sample
            exit_code, signal_number = None, signal.SIGKILL
        else:
            # runner-init itself died (the OOM killer's choice, say): bwrap reports for it.
            cpu_ms, memory_kb = watched.sample
            exit_code, signal_number = _decode_bwrap(self._reap())
        return Outcome(
            exit_code=exit_code,
            signal=signal_number,
            cpu_ms=cpu_ms,
            wall_ms=wall_ms,
            memory_kb=memory_kb,
            stdout=watched.stdout,
            stderr=watched.stderr,
            output_overflow=watched.overflow,
            timed_out=watched.timed_out,
            oom_killed=oom_killed,
        )

    def finish(self) -> None:
        """Kill what is left, reap bwrap, close every pipe and empty the cell."""
        self._kill()
        self._reap()
        self._cleanup()

    def _reap(self, timeout_s: float = 5.0) -> int:
        """Wait for bwrap to exit (killing it after ``timeout_s``); return its wait status."""
        if self._status is None:
            pidfd = os.pidfd_open(self._process.pid)
            try:
                with selectors.DefaultSelector() as selector:
                    selector.register(pidfd, selectors.EVENT_READ)
                    if not selector.select(timeout_s):
                        _log.warning("bwrap did not exit: killed", extra={"cell": self.cell.index})
                        os.kill(self._process.pid, signal.SIGKILL)
            finally:
                os.close(pidfd)
            _, self._status = os.waitpid(self._process.pid, 0)
            self._process.returncode = os.waitstatus_to_exitcode(self._status)
        return self._status

    def _watch(self, started: float, limits: SandboxLimits) -> _Watched:
        """Read the streams up to their caps until runner-init reports or a limit is broken."""
        process = self._process
        assert process.stdout is not None and process.stderr is not None
        out_fd, err_fd = process.stdout.fileno(), process.stderr.fileno()
        streams = {out_fd: bytearray(), err_fd: bytearray()}
        watched = _Watched()
        deadline = started + limits.wall_s
        exited_at: float | None = None
        pidfd = os.pidfd_open(process.pid)
        try:
            with selectors.DefaultSelector() as selector:
                for fd in (out_fd, err_fd, self._report_r, pidfd):
                    selector.register(fd, selectors.EVENT_READ)
                while not watched.report:
                    wait = _next_wait(deadline, exited_at, watched)
                    if wait is None or not selector.get_map():
                        break
                    for key, _ in selector.select(wait):
                        fd = int(key.fd)
                        if fd == pidfd:
                            selector.unregister(fd)
                            exited_at = time.monotonic()
                        elif fd == self._report_r:
                            watched.report = os.read(fd, 4096) or b"-"
                            selector.unregister(fd)
                        elif not _read_capped(fd, streams[fd], limits.output_bytes, watched):
                            selector.unregister(fd)
                    if watched.overflow and limits.kill_on_overflow:
                        break
        finally:
            os.close(pidfd)
        self._settle(watched, streams, limits, bwrap_exited=exited_at is not None)
        watched.stdout, watched.stderr = bytes(streams[out_fd]), bytes(streams[err_fd])
        return watched

    def _settle(
        self,
        watched: _Watched,
        streams: dict[int, bytearray],
        limits: SandboxLimits,
        *,
        bwrap_exited: bool,
    ) -> None:
        """Collect the last output of a finished program, or measure and kill a running one."""
        if watched.report:
            # Everything in the sandbox is gone: what it wrote sits in the pipes, unread.
            for fd, buffer in streams.items():
                _drain(fd, buffer, limits.output_bytes, watched)
            return
        if not bwrap_exited:
            watched.sample = _sample_children(self._init_pid)
        self._kill()

    def _kill(self) -> None:
        """Kill runner-init, process 1, which takes every process of the sandbox with it.

        bwrap itself is left to reap it and exit: killed first, it would leave its child to the
        host's init, a zombie that still counts against the sandbox uid's process limit.
        """
        if self._init_pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._init_pidfd, signal.SIGKILL)

    def _cleanup(self) -> None:
        for fd in (self._stdin, self._block_w, self._report_r):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._stdin = self._block_w = self._report_r = -1
        if self._init_pidfd is not None:
            os.close(self._init_pidfd)
            self._init_pidfd = None
        for stream in (self._process.stdout, self._process.stderr):
            if stream is not None:
                stream.close()
        if self.cell.cgroup is not None:
            self.cell_clean = self.cell.cgroup.empty()

    def discard(self) -> None:
        """Kill a sandbox that will not run (evicted, or the server stops)."""
        self.released = True
        self.finish()


@dataclass
class _Watched:
    stdout: bytes = b""
    stderr: bytes = b""
    report: bytes = b""
    overflow: bool = False
    timed_out: bool = False
    # (CPU ms, max RSS KiB) of the program, read just before it was killed.
    sample: tuple[int, int] = (0, 0)


_TICKS = os.sysconf("SC_CLK_TCK")


def _next_wait(deadline: float, exited_at: float | None, watched: _Watched) -> float | None:
    """Return how long to wait for the next event, or None when watching is over."""
    now = time.monotonic()
    if exited_at is None:
        if now >= deadline:
            watched.timed_out = True
            return None
        return deadline - now
    # bwrap is gone without a report: its pipes close at once; drain them, briefly.
    wait = exited_at + 1.0 - now
    return wait if wait > 0 else None


def _drain(fd: int, buffer: bytearray, cap: int, watched: _Watched) -> None:
    """Read what a pipe holds without waiting for more."""
    os.set_blocking(fd, False)
    with contextlib.suppress(BlockingIOError):
        while _read_capped(fd, buffer, cap, watched):
            pass


def _read_capped(fd: int, buffer: bytearray, cap: int, watched: _Watched) -> bool:
    """Read what a stream has, keeping at most ``cap`` bytes; return False at end of stream."""
    chunk = os.read(fd, 65536)
    room = cap - len(buffer)
    if len(chunk) > room:
        watched.overflow = True
    buffer += chunk[: max(room, 0)]
    return bool(chunk)


def _sample_children(init_pid: int) -> tuple[int, int]:
    """Return the CPU time and peak memory of runner-init's children, from /proc."""
    cpu_ticks = memory_kb = 0
    try:
        stat = Path(f"/proc/{init_pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu_ticks += int(stat[13]) + int(stat[14])  # cutime, cstime: children already reaped
        children = Path(f"/proc/{init_pid}/task/{init_pid}/children").read_text().split()
    except (OSError, IndexError, ValueError):
        return 0, 0
    for child in children:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            cpu_ticks += sum(int(value) for value in fields[11:15])
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    memory_kb = max(memory_kb, int(line.split()[1]))
    return cpu_ticks * 1000 // _TICKS, memory_kb


def _parse_report(data: bytes) -> tuple[int, int, int] | None:
    """Return (wait status, CPU ms, max RSS KiB) from runner-init's line, if it wrote one."""
    try:
        status, cpu_us, rss_kb = (int(part) for part in data.split())
    except ValueError:
        return None
    return (status, cpu_us // 1000, rss_kb) if status >= 0 else None


def _read_all(fd: int) -> bytes:
    data = bytearray()
    while chunk := os.read(fd, 4096):
        data += chunk
    return bytes(data)


def _decode(status: int) -> tuple[int | None, int | None]:
    """Return (exit code, signal) from a wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def _decode_bwrap(status: int) -> tuple[int | None, int | None]:
    """Return (exit code, signal) from bwrap's own wait status (a killed child is 128 + N)."""
    exit_code, signal_number = _decode(status)
    if exit_code is not None and 128 < exit_code < 128 + 65:
        return None, exit_code - 128
    return exit_code, signal_number
