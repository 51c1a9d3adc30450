"""ASGI middleware in front of the endpoint: API key, body size and the access log, before any parsing.

Order matters for exposure: the key is checked on the raw header bytes before the body is read, so an
unauthenticated client learns nothing about validation and a non-ASCII header cannot raise. The body is
then read up to ``max_body_bytes`` (413 beyond, whatever Content-Length claims) and replayed to the app.
Every request leaves one structured access-log record with its latency.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Child of Serve's logger: in a replica these records land in Serve's (JSON) replica log with the
# request id; in a plain process they go wherever logging is configured.
access_log = logging.getLogger("ray.serve.learec.access")
OPEN_PATHS = ("/healthz", "/docs", "/openapi.json", "/docs/oauth2-redirect")


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    def __init__(self, app: ASGIApp, api_key: str | None, max_body_bytes: int) -> None:
        self.app = app
        self.api_key = api_key.encode() if api_key else None
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500, "bytes": 0}

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif message["type"] == "http.response.body":
                status["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self._guarded(scope, receive, send_logged)
        finally:
            record = {
                "method": scope.get("method"),
                "path": scope.get("path", "")[:200],
                "status": status["code"],
                "latency_ms": round((time.perf_counter() - started) * 1000, 3),
                "response_bytes": status["bytes"],
            }
            access_log.info(
                "%s %s %s %.1fms",
                record["method"],
                record["path"],
                record["status"],
                record["latency_ms"],
                extra=record,
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        relative = path[len(root) :] if root and path.startswith(root) else path
        if self.api_key is not None and relative not in OPEN_PATHS and not self._key_ok(scope):
            await _reply(send, 401, "missing or wrong x-api-key header")
            return
        if scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive)
        if body is None:
            await _reply(send, 413, f"request body over {self.max_body_bytes} bytes")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: wait for the disconnect, as a server would
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _key_ok(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", []):
            if name == b"x-api-key":
                return hmac.compare_digest(value, self.api_key or b"")
        return False

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is (or claims to be) over the cap."""
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    if int(value) > self.max_body_bytes:
                        return None
                except ValueError:
                    pass  # the server has already rejected a malformed length, if it cares
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)
