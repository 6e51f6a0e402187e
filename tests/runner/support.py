"""A runner service as a real process (own process group, free port) and a client for it."""

from __future__ import annotations

import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

from devstack.groups import Watchdog
from devstack.stack import HOST, ROOT, Service, StackError, free_port

__all__ = ["SANDBOX_UIDS", "RunnerService"]

SANDBOX_UIDS = range(1_000_000, 1_000_000 + 64_000)


class RunnerService:
    """One ``python -m runner`` process and a client for it."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.secret = secrets.token_urlsafe(24)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.name = name
        self.env = {**env, "RUNNER_SECRET": self.secret}
        self.http = requests.Session()
        self.service: Service | None = None
        # Stops the runner if this test process dies before stop(), however it dies.
        self.watchdog = Watchdog()

    def start(self) -> None:
        """Start the service in its own process group; wait until its health check answers."""
        log_path = Path(tempfile.mkdtemp(prefix="runner-test-")) / f"{self.name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                [sys.executable, "-m", "runner", f"--host={HOST}", f"--port={self.port}"],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env={"PATH": "/usr/bin:/bin", **self.env},
                cwd=ROOT,
                start_new_session=True,
            )
        self.watchdog.guard(process.pid)
        self.service = Service(self.name, process, log_path, on_stop=self.watchdog.release)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if not self.service.alive():
                raise StackError(f"{self.name} exited during start:\n{self.service.log_tail()}")
            try:
                if self.http.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise StackError(f"{self.name} did not start:\n{self.service.log_tail()}")

    def alive(self) -> bool:
        """Tell whether the service's process still runs."""
        return self.service is not None and self.service.alive()

    def stop(self) -> None:
        """Stop the service's process group."""
        if self.service is not None:
            self.service.stop()
        self.watchdog.close()

    def post(self, body: Any, **kwargs: Any) -> requests.Response:
        headers = {"X-Runner-Secret": self.secret, **kwargs.pop("headers", {})}
        return self.http.post(f"{self.url}/run", json=body, headers=headers, timeout=120, **kwargs)

    def run(
        self,
        language: str,
        source: str,
        tests: list[dict[str, str]] | None = None,
        *,
        limits: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        """Run ``source`` and return the judged result (failing on any HTTP error)."""
        body: dict[str, Any] = {"language": language, "source": source, "tests": tests or [{}]}
        if limits:
            body["limits"] = limits
        response = self.post(body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result
