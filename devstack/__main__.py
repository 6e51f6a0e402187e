"""Run the local stack until Ctrl-C or SIGTERM: ``python -m devstack`` (``make dev``).

``python -m devstack env`` prints the environment that points clients at the running stack.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from devstack.stack import ROOT, LocalStack, StackError
from devstack.web import WebBuild

_STATE_FILE = Path(os.environ.get("PEERPREP_STATE_FILE") or ROOT / ".devstack.json")


def print_env() -> int:
    """Print ``export`` lines pointing clients at the running stack (for ``eval``)."""
    try:
        addresses = json.loads(_STATE_FILE.read_text())
    except FileNotFoundError:
        print("no local stack is running (start it with make dev)", file=sys.stderr)
        return 1
    exports = {
        "GOOGLE_CLOUD_PROJECT": addresses["projectId"],
        "FIRESTORE_EMULATOR_HOST": addresses["firestore"],
        "PUBSUB_EMULATOR_HOST": addresses["pubsub"],
        "FIREBASE_AUTH_EMULATOR_HOST": addresses["auth"],
        "CLOUD_TASKS_EMULATOR_HOST": addresses["tasks"],
        "PEERPREP_API": addresses["api"],
    }
    for name, value in exports.items():
        print(f"export {name}={value}")
    return 0


class _Stopped(BaseException):
    """A signal asked the stack to stop (raised in the main thread, wherever it is)."""


def _on_signal(signum: int, _frame: FrameType | None) -> None:
    raise _Stopped(signum)


def _die_with_parent() -> None:
    """Get SIGTERM when the parent (``make``) dies, even by SIGKILL (Linux only)."""
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before the request took effect
        raise _Stopped(signal.SIGTERM)


def main() -> int:
    """Start everything, print the addresses and the ready line, stop on a signal."""
    if sys.argv[1:] == ["env"]:
        return print_env()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    started = time.monotonic()
    # PEERPREP_FIRESTORE_IMPORT: an export (python -m devstack.backup export) to start from.
    firestore_import = os.environ.get("PEERPREP_FIRESTORE_IMPORT")
    stack = LocalStack(
        log_dir=Path(os.environ.get("PEERPREP_LOG_DIR") or ROOT / ".devstack-logs"),
        firestore_import=Path(firestore_import) if firestore_import else None,
    )
    stack.log_dir.mkdir(parents=True, exist_ok=True)
    print(f"starting the local stack (logs in {stack.log_dir}) ...", flush=True)
    try:
        _die_with_parent()
        # The web client builds (only when its sources changed) while the emulators start.
        web_build = WebBuild.start()
        stack.start()
        print("seeding the question bank ...", flush=True)
        stack.seed()
        print("serving the web client ...", flush=True)
        stack.start_web(build=web_build)
        _STATE_FILE.write_text(json.dumps(stack.addresses(), indent=2) + "\n")
        for part, address in stack.addresses().items():
            print(f"  {part:<10} {address}", flush=True)
        print(f"  {'openapi':<10} {stack.api_url}/openapi.json", flush=True)
        print(
            f"PeerPrep local stack ready in {time.monotonic() - started:.1f} s: "
            f"{stack.api_url}, web client {stack.web_url} (Ctrl-C to stop)",
            flush=True,
        )
        while True:
            time.sleep(1.0)
            for name, service in stack.services.items():
                if not service.alive():
                    print(f"{name} exited unexpectedly:\n{service.log_tail()}", flush=True)
                    return 1
    except _Stopped:
        return 0
    except StackError as exc:
        print(f"the local stack failed to start: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the stop itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping the local stack ...", flush=True)
        stack.stop()
        with contextlib.suppress(FileNotFoundError):
            _STATE_FILE.unlink()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
