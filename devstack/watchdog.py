"""Stop the stack's process groups when the stack's own process dies, even by SIGKILL.

    python -m devstack.watchdog    (started by LocalStack, in a session of its own)

It reads lines ``guard PGID`` and ``release PGID`` on its standard input, a pipe whose only
writer is the stack's process. When that process ends, however it ends, the pipe closes: the
watchdog reads end-of-file and stops every group still guarded. A clean stop releases each group
before closing the pipe, so then there is nothing left to do.
"""

from __future__ import annotations

import signal
import sys

from devstack.groups import stop_groups

__all__ = ["main"]


def main() -> int:
    """Guard groups until standard input closes, then stop those still guarded."""
    # Ctrl-C in the terminal is for the stack, which stops the groups itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    guarded: set[int] = set()
    for line in sys.stdin:
        action, _, value = line.strip().partition(" ")
        if not value.isdigit():
            continue
        if action == "guard":
            guarded.add(int(value))
        elif action == "release":
            guarded.discard(int(value))
    stop_groups(guarded, grace_s=3.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
