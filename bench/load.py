"""Load: N virtual users run the whole journey, again and again, for a bounded time.

    python -m bench.load [--users 200] [--duration-s 120] [--ramp-s 10] [--think-s 1]
                         [--rematch 1] [--poll-s 0.5] [--drain-s 300] [--no-baseline]
                         [--env KEY=VALUE ...] [--firebase-cli PATH] [--tasks-emulator PATH]

It starts its own local stack (the emulators, the gateway, the runner) with the AI pointed at
the local fake of the Gemini API the tests use (tests/fake_gemini.py), then runs ``--users``
threads. Each one loops over the journey a person makes in the web client, as a new account
each time (``--rematch K``: an account matches K times before the next sign-up):

    sign up (Auth emulator) -> POST /users -> POST /match, then watch matchRequests/{uid}
    (Firestore REST, every --poll-s; a request that times out asks again) -> edit the shared
    code through Firestore with its own token (join, edit, flush) -> a chat message -> POST
    /ai/hint -> POST /sessions/{id}/run -> (one partner) POST /sessions/{id}/submit -> POST
    /sessions/{id}/leave

until ``--duration-s`` ends; a user still waiting for a partner then cancels, a user in a session
finishes its journey (the drain). Partners run at about the same moment, and a session
runs one program at a time: a 409 ``run_in_progress`` is retried after its ``Retry-After``, as a
person clicks again once the partner's run shows, and counted as a retry, not an error (its
latency includes that wait). Between two steps of a session a user pauses ``--think-s`` (0.5 to
1.5 times it, default 1 s), as a person reads and types; 0 makes every user a tight loop.

Limits are raised for the run so that the load measures the service, not the limits: runs per
minute, AI requests per hour and hints per session (``LOAD_ENV``; ``--env`` adds or overrides).

Reported: per step, its count, errors (with the first error bodies), p50, p95 and max latency
(``match wait`` is the server's own: the request's createdAt to its endedAt); throughput
(journeys per minute, requests per second, every HTTP request the users made, including their
Firestore reads and polls); the matches that timed out and were asked again; and the invariants,
checked at the end with the server library: nobody in two active sessions at once, every matched
request's session exists and holds that pair (and names those requests), no session without its
two matched requests, every session both left is ended and has both attempts, no request left
waiting. The baseline, measured in the same run before the load (``--no-baseline`` skips it), is a
lone pair making two journeys on the idle stack.

Run from a tree without node_modules or .venv-tasks (a git worktree), point at another tree's
Firebase CLI and Cloud Tasks emulator with ``--firebase-cli`` and ``--tasks-emulator`` (or the
environment variables FIREBASE_CLI_BIN and TASKS_EMULATOR_BIN).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.stats import stack_cpu_s
from bench.table import Figure
from devstack import LocalStack
from devstack.client import AuthEmulator, EditorClient, EmulatorUser, FirestoreRest, unique
from tests.fake_gemini import FakeGemini

__all__ = ["LOAD_ENV", "STEPS", "figures", "main", "run", "run_load"]

# Steps of the journey, in order; "match wait" is the wait for a partner (server timestamps).
STEPS = (
    "sign up",
    "profile",
    "match",
    "match wait",
    "match poll",
    "edit",
    "chat",
    "ai hint",
    "run",
    "submit",
    "leave",
    "cancel",
)
# Steps that are one request (or a few) to the service, whose latency is the service's.
REQUEST_STEPS = tuple(step for step in STEPS if step not in {"match wait", "match poll"})
# Settings of the stack for the load: limits far above what the run can reach, the AI on a fake.
LOAD_ENV = {
    "RUNS_PER_MINUTE": "100000",
    "AI_REQUESTS_PER_HOUR": "100000",
    "AI_HINTS_PER_SESSION": "1000",
    "GEMINI_API_KEY": "load-gemini-key",
    "AI_MODEL": "gemini-load-flash",
    "AI_TIMEOUT_S": "30",
    "LOG_LEVEL": "INFO",
}
DIFFICULTY = "easy"
LANGUAGE = "python"
TARGET_ERRORS = 0
TARGET_VIOLATIONS = 0
_EXAMPLES = 5  # error bodies kept per step
_TIMEOUT_S = 60.0


# ---- measurements ------------------------------------------------------------------------------


def _p(values: list[float], q: int) -> float | None:
    """Return the q-th percentile (inclusive method), or None without values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


@dataclass
class StepStats:
    """What one step of the journey did, over every user."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    retries: int = 0
    examples: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the step's figures (latencies in seconds)."""

        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "count": len(self.latencies) + self.errors,
            "errors": self.errors,
            "retries": self.retries,
            "p50S": rounded(_p(self.latencies, 50)),
            "p95S": rounded(_p(self.latencies, 95)),
            "maxS": rounded(max(self.latencies, default=None)),
            "examples": list(self.examples),
        }


@dataclass
class Matched:
    """A match a user saw: its request, the session and the partner it was told of."""

    uid: str
    request_id: str
    session_id: str
    partner: str


class Recorder:
    """Every user's outcomes, kept under one lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.steps: dict[str, StepStats] = {step: StepStats() for step in STEPS}
        self.requests = 0
        self.journeys = 0
        self.re_asked = 0  # match requests that timed out and were asked again
        self.cancelled_at_end = 0
        self.matches: list[Matched] = []
        self.uids: set[str] = set()

    def ok(self, step: str, latency_s: float, *, requests_made: int = 1) -> None:
        with self.lock:
            self.steps[step].latencies.append(latency_s)
            self.requests += requests_made

    def error(self, step: str, detail: str, *, requests_made: int = 1) -> None:
        with self.lock:
            stats = self.steps[step]
            stats.errors += 1
            self.requests += requests_made
            if len(stats.examples) < _EXAMPLES:
                stats.examples.append(detail[:400])

    def retry(self, step: str) -> None:
        with self.lock:
            self.steps[step].retries += 1
            self.requests += 1

    def count(self, name: str, requests_made: int = 0) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)
            self.requests += requests_made


class StepFailedError(Exception):
    """A step failed; the journey goes on to leaving, or stops if it cannot."""


def _describe(response: requests.Response) -> str:
    return f"{response.request.method} {response.url}: {response.status_code} {response.text}"


# ---- one virtual user ----------------------------------------------------------------------------


@dataclass
class Context:
    """What every virtual user shares: the stack, the recorder, when to stop."""

    stack: LocalStack
    recorder: Recorder
    stop: threading.Event
    poll_s: float
    rematch: int
    think_s: float = 0.0
    max_journeys: int | None = None


class VirtualUser:
    """One person, again and again: sign up, match, work together, leave."""

    def __init__(self, context: Context, index: int) -> None:
        self.context = context
        self.index = index
        self.api = context.stack.api_url
        self.http = requests.Session()
        self.auth = AuthEmulator(context.stack)
        self.journeys = 0

    @property
    def recorder(self) -> Recorder:
        return self.context.recorder

    def done(self) -> bool:
        """Tell whether to start no other journey."""
        limit = self.context.max_journeys
        return self.context.stop.is_set() or (limit is not None and self.journeys >= limit)

    def run(self) -> None:
        """Loop over accounts, each matching ``rematch`` times, until it is time to stop."""
        while not self.done():
            user = self._account()
            if user is None:
                continue
            for _ in range(self.context.rematch):
                if self.done() or not self._journey(user):
                    break

    # -- steps ------------------------------------------------------------------------------

    def _timed(
        self, step: str, call: Callable[[], requests.Response], expected: set[int]
    ) -> requests.Response:
        """Send one request and record it; raise StepFailedError on an unexpected answer."""
        started = time.monotonic()
        try:
            response = call()
        except requests.RequestException as exc:
            self.recorder.error(step, f"{type(exc).__name__}: {exc}")
            raise StepFailedError(step) from exc
        if response.status_code not in expected:
            self.recorder.error(step, _describe(response))
            raise StepFailedError(step)
        self.recorder.ok(step, time.monotonic() - started)
        return response

    def _post(self, path: str, user: EmulatorUser, body: dict[str, Any] | None = None) -> Any:
        return self.http.post(
            f"{self.api}{path}", json=body or {}, headers=user.headers, timeout=_TIMEOUT_S
        )

    def _account(self) -> EmulatorUser | None:
        started = time.monotonic()
        try:
            user = self.auth.sign_up()
        except requests.RequestException as exc:
            self.recorder.error("sign up", f"{type(exc).__name__}: {exc}")
            return None
        self.recorder.ok("sign up", time.monotonic() - started)
        with self.recorder.lock:
            self.recorder.uids.add(user.uid)
        body = {"username": unique("l")[:20], "preferredLanguage": LANGUAGE}
        try:
            self._timed("profile", lambda: self._post("/users", user, body), {201})
        except StepFailedError:
            return None
        return user

    def _journey(self, user: EmulatorUser) -> bool:
        """Match, then every step of the session; True if the user can go on."""
        try:
            matched = self._match(user)
        except StepFailedError:
            return False
        if matched is None:
            return False
        session_id = matched.session_id
        self._think()
        with contextlib.suppress(StepFailedError):
            self._edit(user, session_id)
        self._think()
        with contextlib.suppress(StepFailedError):
            self._chat(user, session_id)
        self._think()
        with contextlib.suppress(StepFailedError):
            self._timed(
                "ai hint", lambda: self._post("/ai/hint", user, {"sessionId": session_id}), {200}
            )
        # Both partners run the code; one of them (the smaller uid) submits it for the pair, as
        # a pair does, so that every session is judged once.
        steps = ("run", "submit") if user.uid < matched.partner else ("run",)
        for step in steps:
            self._think()
            with contextlib.suppress(StepFailedError):
                self._run(user, session_id, step)
        self._think()
        try:
            self._timed("leave", lambda: self._post(f"/sessions/{session_id}/leave", user), {200})
        except StepFailedError:
            return False
        self.journeys += 1
        self.recorder.count("journeys")
        return True

    def _think(self) -> None:
        """Pause between two clicks, as a person reads and types (0.5 to 1.5 times think_s)."""
        if self.context.think_s:
            time.sleep(self.context.think_s * random.uniform(0.5, 1.5))

    def _match(self, user: EmulatorUser) -> Matched | None:
        """Ask until matched; None if the run ended first (the request then cancelled)."""
        body = {"difficulty": DIFFICULTY, "topics": [], "language": LANGUAGE}
        while True:
            response = self._timed("match", lambda: self._post("/match", user, body), {202})
            request_id = str(response.json()["requestId"])
            doc = self._wait(user, request_id)
            if doc is None:
                return None
            status = doc.get("status")
            if status == "matched":
                return self._record_match(user, request_id, doc)
            if status == "timed_out" and not self.done():
                self.recorder.count("re_asked")
                continue
            if status == "timed_out":
                return None
            self.recorder.error("match wait", f"{user.uid}: request {request_id} ended {status}")
            raise StepFailedError("match wait")

    def _record_match(self, user: EmulatorUser, request_id: str, doc: dict[str, Any]) -> Matched:
        wait_s = (_instant(doc["endedAt"]) - _instant(doc["createdAt"])).total_seconds()
        self.recorder.ok("match wait", wait_s, requests_made=0)
        matched = Matched(user.uid, request_id, str(doc.get("sessionId")), _partner(doc))
        with self.recorder.lock:
            self.recorder.matches.append(matched)
        return matched

    def _read_request(self, rest: FirestoreRest, uid: str) -> dict[str, Any] | None:
        started = time.monotonic()
        try:
            response = rest.get(f"matchRequests/{uid}")
        except requests.RequestException as exc:
            self.recorder.error("match poll", f"{type(exc).__name__}: {exc}")
            return None
        if response.status_code != 200:
            self.recorder.error("match poll", _describe(response))
            return None
        self.recorder.ok("match poll", time.monotonic() - started)
        return FirestoreRest.fields(response)

    def _wait(self, user: EmulatorUser, request_id: str) -> dict[str, Any] | None:
        """Watch the request until it ends (as the client's listener); cancel if the run ends."""
        rest = FirestoreRest(self.context.stack, user.token)
        while True:
            time.sleep(self.context.poll_s)
            doc = self._read_request(rest, user.uid)
            mine = doc is not None and doc.get("requestId") == request_id
            if mine and doc is not None and doc.get("status") != "waiting":
                return doc
            if self.context.stop.is_set():
                return self._cancel(user, rest, request_id)

    def _cancel(
        self, user: EmulatorUser, rest: FirestoreRest, request_id: str
    ) -> dict[str, Any] | None:
        """Cancel the waiting request; if it ended meanwhile, return how it ended."""
        response = self._timed(
            "cancel",
            lambda: self.http.delete(f"{self.api}/match", headers=user.headers, timeout=_TIMEOUT_S),
            {200, 409},
        )
        if response.status_code == 200:
            self.recorder.count("cancelled_at_end")
            return None
        doc = self._read_request(rest, user.uid)
        if doc is None or doc.get("requestId") != request_id or doc.get("status") == "waiting":
            self.recorder.error("cancel", f"{user.uid}: 409 but the request still waits: {doc}")
            raise StepFailedError("cancel")
        return doc

    def _edit(self, user: EmulatorUser, session_id: str) -> None:
        started = time.monotonic()
        editor = EditorClient(self.context.stack, user, session_id)
        try:
            editor.join()
            editor.edit(index=len(editor.text), insert=f"\n# {user.uid} was here\n")
            editor.flush()
        except requests.RequestException as exc:
            detail = exc.response.text if exc.response is not None else ""
            self.recorder.error("edit", f"{type(exc).__name__}: {exc} {detail}", requests_made=3)
            raise StepFailedError("edit") from exc
        # join: the session and one page of updates; flush: one commit
        self.recorder.ok("edit", time.monotonic() - started, requests_made=3)

    def _chat(self, user: EmulatorUser, session_id: str) -> None:
        rest = FirestoreRest(self.context.stack, user.token)
        text = f"hello from virtual user {self.index}"
        self._timed(
            "chat",
            lambda: rest.add(f"sessions/{session_id}/messages", {"author": user.uid, "text": text}),
            {200},
        )

    def _run(self, user: EmulatorUser, session_id: str, step: str) -> None:
        """Run or submit, clicking again while the partner's run holds the session."""
        path = f"/sessions/{session_id}/{step}"
        body = {"stdin": ""} if step == "run" else None
        started = time.monotonic()
        deadline = started + _TIMEOUT_S
        while True:
            try:
                response = self._post(path, user, body)
            except requests.RequestException as exc:
                self.recorder.error(step, f"{type(exc).__name__}: {exc}")
                raise StepFailedError(step) from exc
            busy = response.status_code == 409 and "run_in_progress" in response.text
            if busy and time.monotonic() < deadline:
                # Click again when the answer says (the partner's run shows meanwhile).
                self.recorder.retry(step)
                after_s = float(response.headers.get("Retry-After") or 1)
                time.sleep(after_s * random.uniform(0.75, 1.25))
                continue
            if response.status_code != 200:
                waited = f"after {time.monotonic() - started:.0f} s: " if busy else ""
                self.recorder.error(step, waited + _describe(response))
                raise StepFailedError(step)
            self.recorder.ok(step, time.monotonic() - started)
            return


def _instant(value: Any) -> Any:
    """A timestamp read over REST (RFC 3339 text) or with the server library (a datetime)."""
    import datetime as dt

    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value


# ---- invariants --------------------------------------------------------------------------------


def check_invariants(recorder: Recorder) -> list[str]:
    """Return every invariant the run broke, read with the server library after the drain.

    Only the run's own accounts count (a baseline ran on the same stack before).
    """
    from common.clients import firestore_client

    db = firestore_client()
    mine = recorder.uids
    sessions = {
        s.id: s.to_dict() or {}
        for s in db.collection("sessions").stream()
        if mine & set((s.to_dict() or {}).get("participants") or [])
    }
    requests_ = {
        s.id: s.to_dict() or {} for s in db.collection("matchRequests").stream() if s.id in mine
    }
    violations: list[str] = []

    # Nobody in two active sessions at once: one's sessions, by creation, each left before the next.
    by_uid: dict[str, list[tuple[Any, Any, str]]] = {}
    for sid, session in sessions.items():
        for uid in session.get("participants") or []:
            left = (session.get("leftAt") or {}).get(uid) or session.get("endedAt")
            by_uid.setdefault(uid, []).append((session["createdAt"], left, sid))
            if session.get("status") == "active" and uid not in (session.get("leftBy") or []):
                violations.append(f"{uid}: still in active session {sid} after the run")
    for uid, spans in by_uid.items():
        spans.sort(key=lambda span: span[0])
        for (_, left, sid), (created, _, next_sid) in itertools.pairwise(spans):
            if left is None or left > created:
                violations.append(f"{uid}: in {sid} and {next_sid} at once")

    # Every matched request (the last of each account, and every one a user saw) names a session
    # that exists, holds that pair and names those requests; every session is named by one.
    last = [
        Matched(uid, str(doc.get("requestId")), str(doc.get("sessionId")), _partner(doc))
        for uid, doc in requests_.items()
        if doc.get("status") == "matched"
    ]
    named: set[str] = set()
    for match in [*last, *recorder.matches]:
        found = sessions.get(match.session_id)
        named.add(match.session_id)
        if found is None:
            violations.append(f"{match.uid}: session {match.session_id} missing")
        elif sorted(found.get("participants") or []) != sorted([match.uid, match.partner]):
            violations.append(f"{match.uid}: session {match.session_id} holds another pair")
        elif (found.get("matchRequestIds") or {}).get(match.uid) != match.request_id:
            violations.append(f"{match.uid}: session {match.session_id} names another request")
    violations += [f"session {sid}: no matched request names it" for sid in set(sessions) - named]

    # Every session both left is ended and holds both attempts.
    both_left = [
        (sid, session)
        for sid, session in sessions.items()
        if set(session.get("leftBy") or []) >= set(session.get("participants") or [])
    ]
    violations += [
        f"session {sid}: both left, status {session.get('status')}"
        for sid, session in both_left
        if session.get("status") != "ended"
    ]
    references = [
        db.collection("users").document(uid).collection("attempts").document(sid)
        for sid, session in both_left
        for uid in session.get("participants") or []
    ]
    for snapshot in db.get_all(references) if references else []:
        if not snapshot.exists:
            uid = snapshot.reference.parent.parent.id
            violations.append(f"{uid}: no attempt for session {snapshot.id}")

    # No request left waiting.
    violations += [
        f"{uid}: request {doc.get('requestId')} still waiting"
        for uid, doc in requests_.items()
        if doc.get("status") == "waiting"
    ]
    return violations


def _partner(doc: dict[str, Any]) -> str:
    return str((doc.get("partner") or {}).get("uid"))


# ---- a run -------------------------------------------------------------------------------------


def _join(threads: list[threading.Thread], deadline: float) -> int:
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in threads)


def run_users(
    stack: LocalStack,
    *,
    users: int,
    duration_s: float,
    ramp_s: float = 0.0,
    poll_s: float = 0.5,
    rematch: int = 1,
    think_s: float = 0.0,
    max_journeys: int | None = None,
    drain_s: float = 300.0,
) -> dict[str, Any]:
    """Run the users against a running stack; return the report of that run."""
    recorder = Recorder()
    context = Context(stack, recorder, threading.Event(), poll_s, rematch, think_s, max_journeys)
    virtual = [VirtualUser(context, index) for index in range(users)]
    threads = [threading.Thread(target=u.run, name=f"vu-{u.index}", daemon=True) for u in virtual]
    started = time.monotonic()
    step = ramp_s / users if users else 0.0
    for index, thread in enumerate(threads):
        delay = started + index * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        thread.start()
    window_end = started + duration_s
    while time.monotonic() < window_end and any(thread.is_alive() for thread in threads):
        time.sleep(0.2)
    context.stop.set()
    stuck = _join(threads, time.monotonic() + drain_s)
    elapsed_s = time.monotonic() - started
    violations = check_invariants(recorder)
    if stuck:
        violations.append(f"{stuck} users still in a journey {drain_s:g} s after the end")
    minutes = elapsed_s / 60
    return {
        "users": users,
        "durationS": duration_s,
        "elapsedS": round(elapsed_s, 1),
        "drainS": round(max(0.0, elapsed_s - duration_s), 1),
        "accounts": len(recorder.uids),
        "journeys": recorder.journeys,
        "journeysPerMin": round(recorder.journeys / minutes, 1) if minutes else 0.0,
        "requests": recorder.requests,
        "requestsPerS": round(recorder.requests / elapsed_s, 1) if elapsed_s else 0.0,
        "reAsked": recorder.re_asked,
        "cancelledAtEnd": recorder.cancelled_at_end,
        "errors": sum(stats.errors for stats in recorder.steps.values()),
        "violations": len(violations),
        "violationExamples": violations[:10],
        "steps": {step: stats.summary() for step, stats in recorder.steps.items()},
    }


@contextlib.contextmanager
def _load_stack(
    env: dict[str, str], firebase_cli: str, tasks_emulator: str
) -> Iterator[LocalStack]:
    """A local stack for the load, its AI on a local fake of Gemini; the server library on it."""
    import devstack.stack as stack_module
    from common.config import get_settings

    if firebase_cli:
        stack_module.FIREBASE_CLI = Path(firebase_cli)
    if tasks_emulator:
        stack_module.TASKS_EMULATOR = Path(tasks_emulator)
    fake = FakeGemini()
    fake.start()
    stack = LocalStack(extra_env={**LOAD_ENV, "AI_BASE_URL": fake.base_url, **env})
    saved = dict(os.environ)
    try:
        with stack.running():
            stack.seed()
            os.environ.update({**stack.client_env(), **stack.extra_env})
            get_settings.cache_clear()
            import common.clients

            common.clients.firestore_client.cache_clear()
            yield stack
    finally:
        fake.stop()
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()


def _load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _cpu_s(stack: LocalStack) -> dict[str, float]:
    """CPU seconds used so far by each part of the stack, and by this load command."""
    return {**stack_cpu_s(stack), "bench.load": sum(os.times()[:4])}


def run_load(
    *,
    users: int,
    duration_s: float,
    ramp_s: float,
    poll_s: float,
    rematch: int,
    think_s: float,
    drain_s: float,
    baseline: bool,
    env: dict[str, str],
    firebase_cli: str = "",
    tasks_emulator: str = "",
) -> dict[str, Any]:
    """Start a stack; measure a lone pair (the baseline), then the load; return the report."""
    report: dict[str, Any] = {"settings": {**LOAD_ENV, **env}}
    with _load_stack(env, firebase_cli, tasks_emulator) as stack:
        report["logDir"] = str(stack.log_dir)
        report["loadAverageBefore"] = _load_average()
        pace = functools.partial(
            run_users, stack, poll_s=poll_s, rematch=rematch, think_s=think_s, drain_s=drain_s
        )
        if baseline:
            report["baseline"] = pace(users=2, duration_s=120, max_journeys=2)
        cpu_before = _cpu_s(stack)
        report["load"] = pace(users=users, duration_s=duration_s, ramp_s=ramp_s)
        cpu_after = _cpu_s(stack)
        report["loadAverage"] = _load_average()
        report["load"]["cpuS"] = {
            name: round(used - cpu_before.get(name, 0.0), 1) for name, used in cpu_after.items()
        }
    return report


# ---- output ------------------------------------------------------------------------------------


def _slowest(run: dict[str, Any]) -> tuple[str, float | None]:
    """The request step with the highest p95, and that p95."""
    timed = [(step, run["steps"][step]["p95S"]) for step in REQUEST_STEPS]
    timed = [(step, p95) for step, p95 in timed if p95 is not None]
    return max(timed, key=lambda item: item[1], default=("-", None))


def figures(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the headline figures, as keyword arguments of ``bench.table.Figure``.

    Journeys per minute, the p95 of the slowest request step and the p95 wait for a partner,
    each against the lone pair of the same run; errors and invariant violations against 0.
    """
    load = report["load"]
    base = report.get("baseline")
    users = load["users"]
    step, p95 = _slowest(load)
    base_steps = base["steps"] if base else {}
    wait = load["steps"]["match wait"]["p95S"]
    against = "a lone pair, same run"
    return [
        {
            "name": f"load {users} users: journeys/min",
            "value": float(load["journeysPerMin"]),
            "unit": "journeys/min",
            "baseline": float(base["journeysPerMin"]) if base else None,
            "better": "higher",
            "against": against,
        },
        {
            "name": f"load {users} users: p95 of the slowest step ({step})",
            "value": float("nan") if p95 is None else float(p95),
            "unit": "s",
            "baseline": (base_steps.get(step) or {}).get("p95S"),
            "against": against,
        },
        {
            "name": f"load {users} users: p95 wait for a partner",
            "value": float("nan") if wait is None else float(wait),
            "unit": "s",
            "baseline": (base_steps.get("match wait") or {}).get("p95S"),
            "against": against,
        },
        {
            "name": f"load {users} users: errors",
            "value": float(load["errors"]),
            "unit": "",
            "target": float(TARGET_ERRORS),
        },
        {
            "name": f"load {users} users: invariant violations",
            "value": float(load["violations"]),
            "unit": "",
            "target": float(TARGET_VIOLATIONS),
        },
    ]


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def table(run: dict[str, Any], title: str) -> str:
    """Return one run's steps as an aligned table, then its totals."""
    lines = [
        title,
        f"{'step':<11} {'count':>7} {'errors':>6} {'retries':>7} {'p50 s':>7} "
        f"{'p95 s':>7} {'max s':>7}",
    ]
    for step, row in run["steps"].items():
        if not row["count"]:
            continue
        lines.append(
            f"{step:<11} {row['count']:>7} {row['errors']:>6} {row['retries']:>7} "
            f"{_seconds(row['p50S']):>7} {_seconds(row['p95S']):>7} {_seconds(row['maxS']):>7}"
        )
    lines.append(
        f"{run['journeys']} journeys by {run['accounts']} accounts in {run['elapsedS']} s "
        f"(drain {run['drainS']} s): {run['journeysPerMin']} journeys/min, "
        f"{run['requests']} requests, {run['requestsPerS']} requests/s; "
        f"{run['reAsked']} asked again after a timeout, {run['cancelledAtEnd']} cancelled at end"
    )
    lines.append(
        f"errors: {run['errors']} (target {TARGET_ERRORS}); "
        f"invariant violations: {run['violations']} (target {TARGET_VIOLATIONS})"
    )
    for step, row in run["steps"].items():
        for example in row["examples"][:3]:
            lines.append(f"  error in {step}: {example}")
    lines += [f"  violation: {example}" for example in run["violationExamples"]]
    return "\n".join(lines)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--users", type=int, default=200, help="virtual users at once")
    parser.add_argument("--duration-s", type=float, default=120.0, help="start journeys this long")
    parser.add_argument("--ramp-s", type=float, default=10.0, help="start the users over this")
    parser.add_argument("--poll-s", type=float, default=0.5, help="match request read interval")
    parser.add_argument("--rematch", type=int, default=1, help="matches per account")
    parser.add_argument(
        "--think-s", type=float, default=1.0, help="pause between two steps of a session"
    )
    parser.add_argument(
        "--drain-s", type=float, default=300.0, help="longest wait for journeys under way"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the lone pair")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="a setting of the stack"
    )
    parser.add_argument(
        "--firebase-cli",
        default=os.environ.get("FIREBASE_CLI_BIN", ""),
        help="the firebase CLI (default: node_modules/.bin/firebase of this tree)",
    )
    parser.add_argument(
        "--tasks-emulator",
        default=os.environ.get("TASKS_EMULATOR_BIN", ""),
        help="gcloud-tasks-emulator (default: .venv-tasks/bin of this tree)",
    )
    args = parser.parse_args(argv)
    if args.users < 2 or args.rematch < 1:
        parser.error("--users must be 2 or more and --rematch 1 or more")
    for item in args.env:
        if "=" not in item:
            parser.error(f"--env wants KEY=VALUE, got {item!r}")
    return args


def run(argv: list[str] | None = None) -> list[Figure]:
    """Run the load; print a table per run and the JSON report; return the figures."""
    args = _parse(argv)
    env = dict(item.split("=", 1) for item in args.env)
    report = run_load(
        users=args.users,
        duration_s=args.duration_s,
        ramp_s=args.ramp_s,
        poll_s=args.poll_s,
        rematch=args.rematch,
        think_s=args.think_s,
        drain_s=args.drain_s,
        baseline=not args.no_baseline,
        env=env,
        firebase_cli=args.firebase_cli,
        tasks_emulator=args.tasks_emulator,
    )
    if "baseline" in report:
        print(table(report["baseline"], "baseline: a lone pair, two journeys, on the idle stack"))
        print()
    title = (
        f"load: {args.users} users for {args.duration_s:g} s (ramp {args.ramp_s:g} s), "
        f"load average at the end {report['loadAverage']}"
    )
    print(table(report["load"], title))
    print(
        f"load average before the runs {report['loadAverageBefore']} (other work included); "
        f"CPU s during the load: {report['load']['cpuS']}"
    )
    print(json.dumps(report))
    return [Figure(**figure) for figure in figures(report)]


def main(argv: list[str] | None = None) -> int:
    """Run the load; exit 1 if a target (0 errors, 0 violations) is missed."""
    found = run(argv)
    return 1 if any(figure.met is False for figure in found) else 0


if __name__ == "__main__":
    sys.exit(main())
