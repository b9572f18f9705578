"""What `zorgtafel ops status` gathers: each service's readiness (its /health/ready), the lag of
its consumer groups and its dead letters (both from the broker, as the operations principal).
A tool beside the services: it reads their operations endpoints and the broker, never their
databases. Used by the CLI and at the end of the demo."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared.operations.dead_letters import read_dead_letters
from shared.operations.lag import PartitionLag, consumer_lag
from shared.security.acls import OPERATIONS
from shared.settings import ServiceSettings

HTTP_TIMEOUT_S = 3.0


@dataclass
class ServiceStatus:
    """`state`: ready, unready (a check failed: `failing`) or down (no answer at `url`)."""

    service: str
    url: str
    state: str = "down"
    failing: dict[str, str] = field(default_factory=dict)
    outbox: dict[str, Any] | None = None
    lag: int | None = None
    dead_letters: int | None = None


@dataclass
class HubStatus:
    services: list[ServiceStatus]
    # Set when the broker could not be read: lag and dead letters are then unknown.
    broker_error: str | None = None

    @property
    def all_ready(self) -> bool:
        return all(s.state == "ready" for s in self.services)


def local_url(settings: ServiceSettings, service: str) -> str:
    host = "127.0.0.1" if settings.http_host in ("0.0.0.0", "::") else settings.http_host
    return f"http://{host}:{settings.http_port_for(service)}"


def probe(url: str) -> tuple[str, dict[str, Any] | None]:
    """GET <url>/health/ready: ("ready" | "unready", its body) or ("down", None)."""
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=HTTP_TIMEOUT_S) as answer:
            return "ready", json.loads(answer.read())
    except urllib.error.HTTPError as refused:
        try:
            return ("unready", json.loads(refused.read())) if refused.code == 503 else ("down", None)
        except ValueError:
            return "down", None
    except (OSError, ValueError):
        return "down", None


async def hub_status(settings: ServiceSettings, services: list[str], urls: dict[str, str]) -> HubStatus:
    """Every service's status; `urls` overrides a service's local address."""
    found = [ServiceStatus(s, urls.get(s) or local_url(settings, s)) for s in services]
    answers = await asyncio.gather(*(asyncio.to_thread(probe, s.url) for s in found))
    for status, (state, body) in zip(found, answers, strict=True):
        status.state = state
        if body:
            status.failing = {k: v for k, v in body.get("checks", {}).items() if v != "ok"}
            status.outbox = body.get("outbox")
    hub = HubStatus(found)
    try:
        access = settings.kafka_access(OPERATIONS)
        lags = await consumer_lag(access, settings.consumer_group_prefix, settings.topic_prefix)
        letters = await read_dead_letters(access, settings.topic_prefix)
    except Exception as exc:  # its text may name hosts; the type says enough here
        hub.broker_error = type(exc).__name__
        return hub
    total = lag_by_service(lags)
    by_consumer = Counter(letter.consumer for letter in letters)
    for status in found:
        status.lag = total.get(status.service, 0)
        status.dead_letters = by_consumer.get(status.service, 0)
    return hub


def lag_by_service(lags: list[PartitionLag]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for lag in lags:
        total[lag.service] += lag.lag
    return dict(total)


async def status_of(runtimes: list[Any]) -> HubStatus:
    """The status of runtimes running in this process (the demo), at the ports they bound."""
    settings = runtimes[0].settings
    urls = {r.service: f"http://127.0.0.1:{r.operations.port}" for r in runtimes}
    return await hub_status(settings, list(urls), urls)
