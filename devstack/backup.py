"""Back up and restore the running local stack's Firestore, the way production does it.

    python -m devstack.backup export [--dir backups] [--name NAME]
        export every document of the running stack (``make dev``) to DIR/NAME, in the layout of
        ``gcloud firestore export`` (NAME: the time, by default); prints the export's path
    python -m devstack.backup wipe
        delete every document of the running stack's Firestore
    PEERPREP_FIRESTORE_IMPORT=backups/NAME make dev
        start the stack from an export (the emulator imports only when it starts)

The stack's addresses come from ``.devstack.json`` (or ``PEERPREP_STATE_FILE``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

from devstack.stack import ROOT, StackError, firestore_export, firestore_wipe

__all__ = ["main"]


def _running_stack() -> tuple[str, str]:
    state_file = Path(os.environ.get("PEERPREP_STATE_FILE") or ROOT / ".devstack.json")
    try:
        addresses = json.loads(state_file.read_text())
    except FileNotFoundError:
        raise StackError("no local stack is running (start it with make dev)") from None
    return str(addresses["firestore"]), str(addresses["projectId"])


def main(argv: list[str] | None = None) -> int:
    """Export or wipe the running stack's Firestore."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack.backup", description=__doc__.split("\n\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="export every document")
    export.add_argument("--dir", type=Path, default=ROOT / "backups")
    export.add_argument(
        "--name", default=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H-%M-%SZ"), help="its name"
    )
    commands.add_parser("wipe", help="delete every document")
    args = parser.parse_args(argv)
    try:
        host, project_id = _running_stack()
        if args.command == "export":
            metadata = firestore_export(host, project_id, args.dir, args.name)
            sys.stdout.write(f"{metadata.parent}\n")
            sys.stdout.write(
                f"start from it: PEERPREP_FIRESTORE_IMPORT={metadata.parent} make dev\n"
            )
        else:
            firestore_wipe(host, project_id)
            sys.stdout.write(f"deleted every document of the Firestore emulator at {host}\n")
    except StackError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
