"""The processes of scripts/bench_throughput.py: each runs in its own child process, so its CPU time
and memory are its own. A role reports through a multiprocessing pipe: "ready", then its figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import os
import resource
import sys
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_mib() -> float:
    """The resident set size now (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def raw_passthrough(conn: Connection, access: Any, source: str, target: str, group: str, count: int) -> None:
    """(A) The ceiling: a bare aiokafka consume -> produce loop over the same broker, in batches,
    at-least-once (a batch's sends are awaited before its offsets are committed)."""
    asyncio.run(_passthrough(conn, access, source, target, group, count))


async def _passthrough(conn: Connection, access: Any, source: str, target: str, group: str, count: int) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(source, **access.aiokafka(), group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest", max_partition_fetch_bytes=1_048_576)
    producer = AIOKafkaProducer(**access.aiokafka(), acks="all", linger_ms=2, max_batch_size=262_144)
    await consumer.start()
    await producer.start()
    conn.send("ready")
    done, started, cpu_at_start = 0, 0.0, cpu_seconds()
    try:
        while done < count:
            batches = await consumer.getmany(timeout_ms=1000, max_records=500)
            if not batches:
                continue
            if not started:
                started, cpu_at_start = time.perf_counter(), cpu_seconds()
            sends = [await producer.send(target, r.value, key=r.key, headers=list(r.headers))
                     for records in batches.values() for r in records]
            await asyncio.gather(*sends)
            await consumer.commit()
            done += len(sends)
        conn.send({"seconds": time.perf_counter() - started, "cpu": cpu_seconds() - cpu_at_start, "rss": rss_mib()})
    finally:
        await producer.stop()
        await consumer.stop()


def service(conn: Connection, name: str, settings: dict[str, Any]) -> None:
    """(B) One of the hub's services, as `zorgtafel run <service>` runs it (no span exporter).
    Reports "ready" once started, then its CPU seconds and RSS samples when told "stop". With
    ZT_BENCH_PROFILE=<path> it writes a cProfile of its work to <path>.<service>."""
    asyncio.run(_service(conn, name, settings))


async def _service(conn: Connection, name: str, settings: dict[str, Any]) -> None:
    from services.catalog import Service, service_module, service_settings

    runtime = service_module(Service(name)).create_runtime(service_settings(Service(name), **settings))
    samples: list[float] = []

    async def sample() -> None:
        while True:
            samples.append(rss_mib())
            await asyncio.sleep(1.0)

    profile_to = os.environ.get("ZT_BENCH_PROFILE")  # a cProfile of the service's work, e.g. for snakeviz
    profiler = cProfile.Profile() if profile_to else None
    async with runtime.app():
        sampler = asyncio.create_task(sample())
        cpu_at_start = cpu_seconds()
        if profiler:
            profiler.enable()
        conn.send("ready")
        while True:
            command = await asyncio.to_thread(conn.recv)
            if command == "stop":
                break
            if command == "cpu":  # a reading between phases
                conn.send({"cpu": cpu_seconds() - cpu_at_start, "rss": rss_mib()})
        if profiler:
            profiler.disable()
            profiler.dump_stats(f"{profile_to}.{name}")
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        conn.send({"cpu": cpu_seconds() - cpu_at_start, "rss_samples": samples})
