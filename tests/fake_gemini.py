"""A local stand-in for the Gemini API, speaking its REST protocol to the real google-genai client.

It serves ``POST /v1beta/models/{model}:generateContent`` (one JSON response) and
``POST /v1beta/models/{model}:streamGenerateContent?alt=sse`` (``data: {...}`` events), records
every request, and answers each with the first rule whose marker occurs in its prompt (the
system instruction and the user text), else with the default reply. Tests put a unique marker
in their session's code, so that rules and records never mix between tests, even concurrent ones.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from devstack.stack import HOST, free_port

__all__ = ["FakeGemini", "Recorded", "Reply"]

DEFAULT_CHUNKS = ("Think about ", "which numbers ", "you have already seen.")


@dataclass(frozen=True)
class Reply:
    """How to answer a request."""

    chunks: tuple[str, ...] = DEFAULT_CHUNKS
    status: int = 200  # anything else answers Gemini's error body with this status
    delay_s: float = 0.0  # wait before answering (longer than the client's timeout: a hang)
    stall_after: int | None = None  # streaming: send this many chunks, then wait ``delay_s``
    block_prompt: bool = False  # answer promptFeedback.blockReason SAFETY, no candidates
    finish_reason: str = "STOP"  # "SAFETY": the answer is stopped by the safety filters


@dataclass
class Recorded:
    """One request the fake received, and the usage it reported back."""

    model: str
    method: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def system(self) -> str:
        """Return the system instruction's text."""
        parts = (self.body.get("systemInstruction") or {}).get("parts") or []
        return "".join(str(part.get("text", "")) for part in parts)

    @property
    def prompt(self) -> str:
        """Return the text of the user contents."""
        return "".join(
            str(part.get("text", ""))
            for content in self.body.get("contents") or []
            for part in content.get("parts") or []
        )

    @property
    def generation_config(self) -> dict[str, Any]:
        """Return the generation settings sent."""
        return dict(self.body.get("generationConfig") or {})


class _Server(ThreadingHTTPServer):
    # socketserver listens with a backlog of 5: a burst of callers (bench/load.py) would be
    # refused before a thread accepts them, which no real endpoint does.
    request_queue_size = 256


class FakeGemini:
    """The fake server: ``start()`` in a background thread, ``stop()`` when done."""

    def __init__(self) -> None:
        self.port = free_port()
        self.records: list[Recorded] = []
        self.rules: list[tuple[str, Reply]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """Return the URL to give the client as its base URL."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Listen on 127.0.0.1 at a free port, serving from a background thread."""
        server = _Server((HOST, self.port), _handler(self))
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="fake-gemini")
        self._thread.start()

    def stop(self) -> None:
        """Release hanging answers, stop serving and close the socket."""
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def on(self, marker: str, reply: Reply) -> None:
        """Answer requests whose prompt contains ``marker`` with ``reply``."""
        with self.lock:
            self.rules.append((marker, reply))

    def reply_for(self, text: str) -> Reply:
        """Return the reply of the first rule matching ``text``, else the default."""
        with self.lock:
            return next((reply for marker, reply in self.rules if marker in text), Reply())

    def requests_with(self, marker: str) -> list[Recorded]:
        """Return the recorded requests whose prompt contains ``marker``, oldest first."""
        with self.lock:
            return [r for r in self.records if marker in r.system or marker in r.prompt]

    def record(self, recorded: Recorded) -> None:
        with self.lock:
            self.records.append(recorded)


def _usage(recorded: Recorded, answered: str) -> dict[str, int]:
    prompt_tokens = max(1, len(recorded.system + recorded.prompt) // 4)
    answer_tokens = max(1, len(answered) // 4)
    return {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": answer_tokens,
        "totalTokenCount": prompt_tokens + answer_tokens,
    }


def _candidate(text: str | None, finish_reason: str | None) -> dict[str, Any]:
    candidate: dict[str, Any] = {"index": 0}
    if text is not None:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    if finish_reason is not None:
        candidate["finishReason"] = finish_reason
    return candidate


def _handler(fake: FakeGemini) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeGemini/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests inspect ``fake.records`` instead

        def do_POST(self) -> None:
            try:
                self._serve()
            except OSError:
                return  # the client gave up (its timeout), as a real client does

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            prefix = "/v1beta/models/"
            model, _, method = url.path.removeprefix(prefix).partition(":")
            if not url.path.startswith(prefix) or method not in {
                "generateContent",
                "streamGenerateContent",
            }:
                self._json(
                    404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}
                )
                return
            recorded = Recorded(
                model=model,
                method=method,
                query=url.query,
                headers={key.lower(): value for key, value in self.headers.items()},
                body=body,
            )
            fake.record(recorded)
            reply = fake.reply_for(recorded.system + recorded.prompt)
            if reply.delay_s and reply.stall_after is None:
                fake.stopping.wait(reply.delay_s)
            if reply.status != 200:
                error = {"code": reply.status, "message": "Internal error.", "status": "INTERNAL"}
                self._json(reply.status, {"error": error})
                return
            if method == "streamGenerateContent":
                self._stream(recorded, reply)
            else:
                self._json(200, self._whole(recorded, reply))

        def _whole(self, recorded: Recorded, reply: Reply) -> dict[str, Any]:
            response: dict[str, Any] = {
                "modelVersion": recorded.model,
                "responseId": uuid.uuid4().hex,
            }
            if reply.block_prompt:
                recorded.usage = _usage(recorded, "")
                response["promptFeedback"] = {"blockReason": "SAFETY"}
            else:
                text = "".join(reply.chunks)
                recorded.usage = _usage(recorded, text)
                blocked = reply.finish_reason != "STOP"
                response["candidates"] = [
                    _candidate(None if blocked else text, reply.finish_reason)
                ]
            response["usageMetadata"] = recorded.usage
            return response

        def _stream(self, recorded: Recorded, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            events: list[dict[str, Any]] = []
            sent = ""
            if reply.block_prompt:
                recorded.usage = _usage(recorded, "")
                events.append({"promptFeedback": {"blockReason": "SAFETY"}})
            else:
                for number, chunk in enumerate(reply.chunks, start=1):
                    sent += chunk
                    last = number == len(reply.chunks) and reply.finish_reason == "STOP"
                    events.append({"candidates": [_candidate(chunk, "STOP" if last else None)]})
                if reply.finish_reason != "STOP":
                    events.append({"candidates": [_candidate(None, reply.finish_reason)]})
                recorded.usage = _usage(recorded, sent)
            for number, event in enumerate(events):
                if reply.stall_after is not None and number == reply.stall_after:
                    fake.stopping.wait(reply.delay_s)
                event["usageMetadata"] = recorded.usage
                event["modelVersion"] = recorded.model
                self.wfile.write(f"data: {json.dumps(event)}\r\n\r\n".encode())
                self.wfile.flush()

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
