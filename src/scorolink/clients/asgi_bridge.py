"""A synchronous httpx transport that serves requests from an in-process ASGI app.

httpx's own ASGITransport is async-only; scorolink's clients are synchronous (threads give
them bounded concurrency). This bridge runs the app on one private event loop in a
daemon thread, so the sandboxes work in-process from any thread without a socket.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="asgi-bridge", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(forwarded)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        timeout = request.extensions.get("timeout", {}).get("read")
        try:
            status, headers, content = future.result(timeout=timeout)
        except TimeoutError as exc:
            future.cancel()
            raise httpx.ReadTimeout("in-process app did not answer in time", request=request) from exc
        except ConnectionError as exc:  # the app cut the connection: what a socket would report as a read error
            raise httpx.ReadError("in-process app closed the connection without an answer", request=request) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
