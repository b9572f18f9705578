"""The service's HTTP side for operations: `/health/live`, `/health/ready` and `/metrics`.

FastStream's ASGI application routes the three paths and uvicorn serves them. The server starts
before the service waits for its database and broker, so a probe sees a live but unready service
while it waits, instead of no answer (which an orchestrator would take for a dead process). It
has no part in the service's shutdown signals: the service (FastStream) handles SIGTERM and
stops the server last.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import uvicorn
from faststream.asgi import AsgiFastStream, AsgiResponse, get
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from shared.operations.readiness import Readiness

JSON = {"content-type": "application/json"}


def operations_app(
    ready: Callable[[], Awaitable[Readiness]],
    scrape: Callable[[], Awaitable[CollectorRegistry]],
) -> AsgiFastStream:
    """The ASGI application: liveness answers while the event loop runs; readiness 200 or 503
    with the checks as JSON; metrics in Prometheus' text format."""

    @get(include_in_schema=False)
    async def live(scope: Any) -> AsgiResponse:
        return AsgiResponse(b'{"live":true}', 200, JSON)

    @get(include_in_schema=False)
    async def readiness(scope: Any) -> AsgiResponse:
        outcome = await ready()
        return AsgiResponse(json.dumps(outcome.body()).encode(), 200 if outcome.ready else 503, JSON)

    @get(include_in_schema=False)
    async def metrics(scope: Any) -> AsgiResponse:
        registry = await scrape()
        return AsgiResponse(generate_latest(registry), 200, {"content-type": CONTENT_TYPE_LATEST})

    return AsgiFastStream(
        asgi_routes=[("/health/live", live), ("/health/ready", readiness), ("/metrics", metrics)], logger=None
    )


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The service's own handlers stop it (and then this server): uvicorn must not take them.
        yield


class OperationsServer:
    """uvicorn on one socket, bound when started: a port in use stops the start with OSError,
    rather than a service nobody can probe. Port 0 binds any free port (`port` tells which)."""

    def __init__(self, app: AsgiFastStream, host: str, port: int) -> None:
        self._app, self._host, self._port = app, host, port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError:
            sock.close()
            raise
        sock.listen(64)
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        # No logging config of its own (the service's structlog renders its lines), no access log
        # (a scrape every 15 s is not news), no lifespan: the service's app has its own.
        config = uvicorn.Config(self._app, lifespan="off", log_config=None, access_log=False)
        self._server = _EmbeddedServer(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="operations-http")

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._server = self._task = None
