"""Start and stop the emulators and the gateway, each in its own process group, on free ports."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from devstack.groups import Watchdog, stop_groups

if TYPE_CHECKING:
    from common.config import Settings
    from devstack.web import WebBuild

__all__ = [
    "ROOT",
    "LocalStack",
    "Service",
    "StackError",
    "export_metadata",
    "firestore_export",
    "firestore_wipe",
    "free_port",
]

ROOT = Path(__file__).resolve().parent.parent
FIRESTORE_EMULATOR = Path(
    os.environ.get(
        "FIRESTORE_EMULATOR_BIN",
        "/usr/lib/google-cloud-sdk/platform/cloud-firestore-emulator/cloud_firestore_emulator",
    )
)
PUBSUB_EMULATOR = Path(
    os.environ.get(
        "PUBSUB_EMULATOR_BIN",
        "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
    )
)
FIREBASE_CLI = ROOT / "node_modules" / ".bin" / "firebase"
TASKS_EMULATOR = ROOT / ".venv-tasks" / "bin" / "gcloud-tasks-emulator"
HOST = "127.0.0.1"

_log = logging.getLogger("devstack")


class StackError(RuntimeError):
    """A part of the local stack could not start."""


def _admin_url(host: str, project_id: str) -> str:
    return f"http://{host}/emulator/v1/projects/{project_id}"


def firestore_export(host: str, project_id: str, directory: Path, name: str) -> Path:
    """Export every document of the emulator at ``host`` to ``directory/name``, in the layout
    of ``gcloud firestore export``; return the export's ``.overall_export_metadata`` file."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    body = {
        "database": f"projects/{project_id}/databases/(default)",
        "export_directory": str(directory),
        "export_name": name,
    }
    response = requests.post(f"{_admin_url(host, project_id)}:export", json=body, timeout=300)
    metadata = directory / name / f"{name}.overall_export_metadata"
    if response.status_code != 200 or not metadata.is_file():
        raise StackError(f"firestore: the export failed ({response.status_code}): {response.text}")
    return metadata


def firestore_wipe(host: str, project_id: str) -> None:
    """Delete every document of the default database of the emulator at ``host``."""
    url = f"{_admin_url(host, project_id)}/databases/(default)/documents"
    response = requests.delete(url, timeout=60)
    if response.status_code != 200:
        raise StackError(f"firestore: the wipe failed ({response.status_code}): {response.text}")


def export_metadata(path: Path) -> Path:
    """Return an export's ``.overall_export_metadata`` file, given it or the export's folder."""
    path = path.resolve()
    if path.is_file() and path.name.endswith(".overall_export_metadata"):
        return path
    found = sorted(path.glob("*.overall_export_metadata")) if path.is_dir() else []
    if len(found) != 1:
        raise StackError(f"{path} is not a Firestore export (no single .overall_export_metadata)")
    return found[0]


def free_port() -> int:
    """Return a TCP port that was free on the loopback interface a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _port(variable: str) -> int:
    value = os.environ.get(variable)
    return int(value) if value else free_port()


@dataclass
class Service:
    """One process group of the stack and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    # Called with the group id once the group is stopped (the stack's watchdog lets it go).
    on_stop: Callable[[int], None] | None = None

    def alive(self) -> bool:
        """Tell whether the group's leader still runs."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines this service wrote."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop the whole process group: SIGTERM, then SIGKILL after the grace period."""
        stop_groups([self.process.pid], grace_s=grace_s, reap=[self.process])
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=1)
        if self.on_stop is not None:
            self.on_stop(self.process.pid)


@dataclass
class LocalStack:
    """The emulators and the gateway for one project id, on ports chosen at run time.

    Ports come from ``PEERPREP_<PART>_PORT`` when set (PART: API, WEB, FIRESTORE, PUBSUB, AUTH,
    TASKS), else are picked free, so two stacks never collide. The web port is chosen with the
    others, before the gateway starts, so that the gateway's CORS allows the web client's origin.
    """

    project_id: str = "demo-peerprep"
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="peerprep-stack-")))
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, Service] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    tasks_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    runner_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # An export (its ``.overall_export_metadata`` file or its folder) Firestore starts with.
    firestore_import: Path | None = None
    # Serve the Pub/Sub push endpoints from a gateway process of their own ("events"), as the
    # worker is its own service in production (benchmarks; the tests read one gateway's log).
    worker_apart: bool = False
    # Stops every group if this process dies without stopping them (see devstack/watchdog.py).
    _watchdog: Watchdog = field(default_factory=Watchdog, init=False, repr=False)

    # ---- addresses -------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Return the gateway's base URL for the API (``…/api``)."""
        return f"http://{HOST}:{self.ports['api']}/api"

    def host(self, part: str) -> str:
        """Return ``host:port`` of one part of the stack."""
        return f"{HOST}:{self.ports[part]}"

    @property
    def web_url(self) -> str:
        """Return the web client's address (served by ``start_web``)."""
        return f"http://{HOST}:{self.ports['web']}/"

    def web_origins(self) -> list[str]:
        """Return the origins the web client is reached at, which the gateway's CORS allows."""
        if "web" not in self.ports:
            return []
        return [f"http://{HOST}:{self.ports['web']}", f"http://localhost:{self.ports['web']}"]

    def addresses(self) -> dict[str, str]:
        """Return the addresses written to ``.devstack.json``."""
        web = {"web": self.web_url} if "web" in self.services else {}
        return {
            "api": self.api_url,
            **web,
            "firestore": self.host("firestore"),
            "auth": self.host("auth"),
            "pubsub": self.host("pubsub"),
            "tasks": self.host("tasks"),
            "runner": f"http://{self.host('runner')}",
            "projectId": self.project_id,
        }

    def client_env(self) -> dict[str, str]:
        """Return the environment that points Google clients and the functions at this stack."""
        env = {
            "GOOGLE_CLOUD_PROJECT": self.project_id,
            "FIRESTORE_EMULATOR_HOST": self.host("firestore"),
            "PUBSUB_EMULATOR_HOST": self.host("pubsub"),
            "FIREBASE_AUTH_EMULATOR_HOST": self.host("auth"),
            "CLOUD_TASKS_EMULATOR_HOST": self.host("tasks"),
            "TASKS_CALLBACK_SECRET": self.tasks_secret,
        }
        if "api" in self.ports:
            env["PUBLIC_BASE_URL"] = self.api_url
        if "runner" in self.ports:
            env["RUNNER_URL"] = f"http://{self.host('runner')}"
            env["RUNNER_SECRET"] = self.runner_secret
        return env

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start every emulator and the gateway, and wait until each answers."""
        for part in ("api", "web", "firestore", "pubsub", "auth", "tasks", "runner"):
            self.ports.setdefault(part, _port(f"PEERPREP_{part.upper()}_PORT"))
        try:
            self.start_firestore(import_data=self.firestore_import)
            self._spawn(
                "pubsub",
                [str(PUBSUB_EMULATOR), f"--host={HOST}", f"--port={self.ports['pubsub']}"],
            )
            self._start_auth()
            self._spawn(
                "tasks",
                [
                    str(TASKS_EMULATOR),
                    "start",
                    f"--port={self.ports['tasks']}",
                    f"--default-queue={self._queue_name()}",
                    "--max-retries=20",
                    "--quiet",  # errors only: it logs every pending task ten times a second
                ],
            )
            self._spawn(
                "runner",
                [
                    sys.executable,
                    "-m",
                    "runner",
                    f"--host={HOST}",
                    f"--port={self.ports['runner']}",
                ],
                env={"RUNNER_SECRET": self.runner_secret, "RUNNER_SLOTS": "2"},
                cwd=ROOT,
            )
            self.wait_http("firestore", f"http://{self.host('firestore')}/")
            self.wait_http("pubsub", f"http://{self.host('pubsub')}/")
            self.wait_http("auth", f"http://{self.host('auth')}/")
            self._wait_tcp("tasks", self.ports["tasks"])
            self._create_pubsub_resources()
            self.wait_http("runner", f"http://{self.host('runner')}/health")
            if self.worker_apart:
                self.start_gateway("events")
            self.start_gateway()
        except BaseException:
            self.stop()
            raise

    def seed(self) -> None:
        """Import the question bank into this stack's Firestore (idempotent)."""
        result = subprocess.run(
            [sys.executable, "-m", "jobs.import_questions"],
            cwd=ROOT,
            env={**os.environ, **self.client_env(), **self.extra_env},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if result.returncode != 0:
            raise StackError(f"seeding the question bank failed:\n{result.stdout}{result.stderr}")
        _log.info("seeded the question bank: %s", result.stdout.strip().splitlines()[-1:])

    def start_firestore(
        self, name: str = "firestore", port: int | None = None, *, import_data: Path | None = None
    ) -> Service:
        """Start a Firestore emulator with ``firestore.rules`` loaded (wait with ``wait_http``),
        holding the documents of the export ``import_data`` when given."""
        port = port or self.ports.setdefault(name, free_port())
        command = [
            str(FIRESTORE_EMULATOR),
            "start",
            f"--host={HOST}",
            f"--port={port}",
            f"--rules={ROOT / 'firestore.rules'}",
        ]
        if import_data is not None:
            command.append(f"--import-data={export_metadata(import_data)}")
        return self._spawn(name, command)

    # ---- Firestore backups: the emulator's side of `gcloud firestore export` and `import` -----

    def export_firestore(self, directory: Path, name: str) -> Path:
        """Export every document to ``directory/name``, in the layout of ``gcloud firestore
        export``; return the export's ``.overall_export_metadata`` file."""
        return firestore_export(self.host("firestore"), self.project_id, directory, name)

    def wipe_firestore(self) -> None:
        """Delete every document of the emulator's default database."""
        firestore_wipe(self.host("firestore"), self.project_id)

    def restart_firestore(self, *, import_data: Path | None = None) -> Service:
        """Restart the Firestore emulator on its port with the rules, from an export when given
        (the emulator imports only at start), and wait until it answers."""
        self.stop_service("firestore")
        service = self.start_firestore(import_data=import_data)
        self.wait_http("firestore", f"http://{self.host('firestore')}/")
        return service

    def start_gateway(self, name: str = "api", env: dict[str, str] | None = None) -> Service:
        """Start the gateway serving every function under ``/api`` and wait for its health."""
        port = self.ports.setdefault(name, free_port())
        merged = {**self.client_env(), **self.extra_env, **(env or {})}
        origins = [o for o in merged.get("ALLOWED_ORIGINS", "").split(",") if o.strip()]
        merged["ALLOWED_ORIGINS"] = ",".join(dict.fromkeys([*origins, *self.web_origins()]))
        service = self._spawn(
            name,
            [sys.executable, "-m", "devstack.gateway", f"--host={HOST}", f"--port={port}"],
            env=merged,
            cwd=ROOT,
        )
        self.wait_http(name, f"http://{HOST}:{port}/api/health")
        return service

    def start_web(
        self, *, build: WebBuild | None = None, api: str = "api", name: str = "web"
    ) -> Service:
        """Build the web client when needed, serve it with a config naming gateway ``api``.

        ``build`` is a build already under way (``WebBuild.start()``), else one runs now.
        """
        # Imported here: ``python -m devstack.web`` must not find itself imported by the package.
        from devstack.web import WebBuild, WebBuildError, client_config

        try:
            (build or WebBuild.start()).wait()
        except WebBuildError as exc:
            raise StackError(str(exc)) from exc
        port = self.ports.setdefault(name, free_port())
        config = client_config(
            api_url=f"http://{self.host(api)}/api",
            project_id=self.project_id,
            auth_host=self.host("auth"),
            firestore_host=self.host("firestore"),
            database=self.settings().firestore_database,
        )
        service = self._spawn(
            name,
            [
                sys.executable,
                "-m",
                "devstack.web",
                "serve",
                f"--host={HOST}",
                f"--port={port}",
                f"--config={json.dumps(config)}",
            ],
            cwd=ROOT,
        )
        self.wait_http(name, f"http://{HOST}:{port}/config.json")
        return service

    def stop(self, grace_s: float = 5.0) -> None:
        """Stop every process group at once: SIGTERM, then SIGKILL after ``grace_s``."""
        services = list(self.services.values())
        self.services.clear()
        stop_groups(
            [service.process.pid for service in services],
            grace_s=grace_s,
            reap=[service.process for service in services],
        )
        for service in services:
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=1)
            self._release(service.process.pid)
        self._watchdog.close()

    def _release(self, pgid: int) -> None:
        self._watchdog.release(pgid)

    def stop_service(self, name: str) -> None:
        """Stop one part started on its own (a second gateway, say), if it runs."""
        service = self.services.pop(name, None)
        if service is not None:
            service.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalStack]:
        """Run the stack for the duration of a ``with`` block."""
        self.start()
        try:
            yield self
        finally:
            self.stop()

    # ---- helpers -----------------------------------------------------------------------------

    def settings(self) -> Settings:
        """Return the settings that name this stack's resources (topic, queue, its location)."""
        from common.config import Settings

        names = ("match_topic", "tasks_queue", "tasks_location")
        given = {
            name: self.extra_env[name.upper()] for name in names if name.upper() in self.extra_env
        }
        return Settings.model_validate(given)

    def _queue_name(self) -> str:
        settings = self.settings()
        return (
            f"projects/{self.project_id}/locations/{settings.tasks_location}"
            f"/queues/{settings.tasks_queue}"
        )

    def _spawn(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Service:
        if not Path(command[0]).exists():
            raise StackError(f"{name}: {command[0]} is missing (run `make install`)")
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                cwd=cwd or self.log_dir,
                start_new_session=True,
            )
        service = Service(name, process, log_path, on_stop=self._release)
        self.services[name] = service
        self._watchdog.guard(process.pid)
        return service

    def wait_http(self, name: str, url: str, timeout_s: float = 90.0) -> None:
        """Wait until ``url`` answers (any status below 500), or fail with the service's log."""
        self._wait(name, lambda: requests.get(url, timeout=2).status_code < 500, timeout_s)

    def _wait_tcp(self, name: str, port: int, timeout_s: float = 90.0) -> None:
        def connects() -> bool:
            with socket.create_connection((HOST, port), timeout=1):
                return True

        self._wait(name, connects, timeout_s)

    def _wait(self, name: str, probe: Callable[[], bool], timeout_s: float) -> None:
        service = self.services[name]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not service.alive():
                raise StackError(f"{name} exited during start:\n{service.log_tail()}")
            with contextlib.suppress(OSError, requests.RequestException):
                if probe():
                    return
            time.sleep(0.2)
        raise StackError(f"{name} did not answer within {timeout_s:.0f} s:\n{service.log_tail()}")

    def _start_auth(self) -> None:
        config = {
            "emulators": {
                "auth": {"host": HOST, "port": self.ports["auth"]},
                "hub": {"host": HOST, "port": free_port()},
                "logging": {"host": HOST, "port": free_port()},
                "ui": {"enabled": False},
            }
        }
        config_path = self.log_dir / "firebase.json"
        config_path.write_text(json.dumps(config))
        self._spawn(
            "auth",
            [
                str(FIREBASE_CLI),
                "emulators:start",
                "--only=auth",
                f"--project={self.project_id}",
                f"--config={config_path}",
            ],
            env={"FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true", "CI": "true"},
        )

    def _create_pubsub_resources(self) -> None:
        from common.registry import all_endpoints

        base = f"http://{self.host('pubsub')}/v1/projects/{self.project_id}"
        topic = self.settings().match_topic
        for name in (topic, f"{topic}-dead-letter"):
            response = requests.put(f"{base}/topics/{name}", json={}, timeout=10)
            if response.status_code not in {200, 409}:
                raise StackError(f"pubsub: could not create topic {name}: {response.text}")
        # The push endpoint: the worker's own gateway when it runs apart, as in production.
        if self.worker_apart:
            self.ports.setdefault("events", free_port())
        api_port = self.ports["events" if self.worker_apart else "api"]
        for endpoint in all_endpoints():
            if endpoint.access != "pubsub":
                continue
            body = {
                "topic": f"projects/{self.project_id}/topics/{topic}",
                "pushConfig": {"pushEndpoint": f"http://{HOST}:{api_port}/events/{endpoint.name}"},
                "ackDeadlineSeconds": 30,
                "retryPolicy": {"minimumBackoff": "1s", "maximumBackoff": "10s"},
            }
            response = requests.put(
                f"{base}/subscriptions/{endpoint.name.replace('_', '-')}", json=body, timeout=10
            )
            if response.status_code not in {200, 409}:
                raise StackError(f"pubsub: could not create the push subscription: {response.text}")
