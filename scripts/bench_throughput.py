"""Benchmark: the hub's intake beside a raw Kafka passthrough on the same broker. Prints figures.

    .venv/bin/python scripts/bench_throughput.py [--messages 5000] [--rounds 3] [--rates 20,50,200]

Issue 13, deliverable 1. In one run, on one broker (the tests' local Kafka and PostgreSQL):

- (A) a raw aiokafka consume -> produce passthrough of N ~1 KB records (batches of up to 500,
  sends awaited per batch, offsets committed per batch), and (B) intake draining N pre-produced
  sealed referrals (validate, open, seal under the case key, persist, outbox, acknowledge, trace,
  processing record) until the Nth acknowledgement is on the party's inbox; interleaved over
  rounds (alternating which goes first), medians, and the ratio of their rates B/A; CPU time per
  message of each process;
- publish -> acknowledgement latency (p50/p95/p99) at fixed rates, and accept -> triage-opened
  latency at 20/s (the Procesregisseur's signed accept to triage's `triage.case-opened`);
- each service's resident memory (its peak, and first/last with `--soak-seconds`).

Each side runs in its own process (scripts/bench_roles.py), so CPU and memory are its own. Figures,
not assertions: compare runs on the same machine, and say which machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import statistics
import sys
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_roles  # noqa: E402
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: E402

from services.intake.config import IntakeSettings  # noqa: E402
from services.procesregisseur import Procesregisseur  # noqa: E402
from shared.contracts.topics import AANMELDING_EVENTS, TRIAGE_EVENTS, Topic, partner_inbound, partner_inbox  # noqa: E402
from shared.security.acls import party_principal  # noqa: E402
from tests import infra as infra_module  # noqa: E402
from tests.provisioning import TEST_STAFF, enrol_test_staff, provision_namespace  # noqa: E402
from tests.support import PARTY, a_referral, personal_data, settings_for  # noqa: E402

SPAWN = multiprocessing.get_context("spawn")


class Child:
    """A role in its own process; `ready` waits for it to have started."""

    def __init__(self, target: Any, *args: Any) -> None:
        self.conn, child = SPAWN.Pipe()
        self.process = SPAWN.Process(target=target, args=(child, *args), daemon=True)
        self.process.start()

    async def receive(self, timeout: float = 300.0) -> Any:
        if not await asyncio.to_thread(self.conn.poll, timeout):
            raise TimeoutError("the benchmark's child process did not answer")
        return self.conn.recv()

    async def stop(self) -> dict[str, Any]:
        self.conn.send("stop")
        figures: dict[str, Any] = await self.receive()
        await asyncio.to_thread(self.process.join, 30)
        return figures


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def produce(access: Any, topic: str, values: Iterable[bytes]) -> None:
    producer = AIOKafkaProducer(**access.aiokafka(), acks="all", linger_ms=5, max_batch_size=262_144)
    await producer.start()
    try:
        futures = [await producer.send(topic, v, headers=[("content-type", b"application/json")]) for v in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


class Watch:
    """Reads a topic from an offset and notes when each matching message arrived."""

    def __init__(self, access: Any, topic: Topic, prefix: str, key: str, event_type: str) -> None:
        self.access, self.key, self.event_type = access, key, event_type
        self.partitions = [TopicPartition(topic.named(prefix), p) for p in range(topic.partitions)]
        self.seen: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Watch:
        self._consumer = AIOKafkaConsumer(**self.access.aiokafka(), enable_auto_commit=False)
        await self._consumer.start()
        self._consumer.assign(self.partitions)
        await self._consumer.seek_to_end(*self.partitions)
        for tp in self.partitions:  # resolved now, before anything is sent
            await self._consumer.position(tp)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        while True:
            for records in (await self._consumer.getmany(timeout_ms=200)).values():
                now = time.perf_counter()
                for r in records:
                    body = json.loads(r.value)
                    if body.get("event_type") == self.event_type:
                        self.seen.setdefault(str(body.get(self.key)), now)

    async def until(self, wanted: set[str], timeout: float) -> float:
        deadline = time.perf_counter() + timeout
        while not wanted <= self.seen.keys() and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
        return max((self.seen[k] for k in wanted if k in self.seen), default=float("nan"))

    async def __aexit__(self, *exc: object) -> None:
        if self._task:
            self._task.cancel()
        await self._consumer.stop()


def referrals(tag: str, count: int) -> list[Any]:
    return [a_referral(f"B-{tag}-{i}", personal=personal_data(person={"family_name": f"Bench {tag} {i}"})) for i in range(count)]


async def round_raw(base: dict[str, Any], admin: Any, tag: str, count: int) -> dict[str, float]:
    prefix = base["topic_prefix"]
    source, target = f"{prefix}bench.raw-in.{tag}", f"{prefix}bench.raw-out.{tag}"
    client = AIOKafkaAdminClient(**admin.aiokafka())
    await client.start()
    try:
        await client.create_topics([NewTopic(t, 1, 1) for t in (source, target)])
    finally:
        await client.close()
    payload = json.dumps({"padding": "x" * 950}).encode()
    await produce(admin, source, (payload for _ in range(count)))
    child = Child(bench_roles.raw_passthrough, admin, source, target, f"bench-raw-{tag}", count)
    assert await child.receive() == "ready"
    figures: dict[str, float] = await child.receive()
    await asyncio.to_thread(child.process.join, 30)
    return figures


async def round_intake(base: dict[str, Any], admin: Any, party_access: Any, tag: str, count: int) -> dict[str, float]:
    inbound = partner_inbound(PARTY).named(base["topic_prefix"])
    batch = referrals(tag, count)
    await produce(party_access, inbound, (r.model_dump_json().encode() for r in batch))
    async with Watch(admin, partner_inbox(PARTY), base["topic_prefix"], "referrer_reference",
                     "intake.referral-acknowledged") as acks:
        child = Child(bench_roles.service, "intake", {**base, "partner_topics": (PARTY,)})
        assert await child.receive() == "ready"
        started = time.perf_counter()
        finished = await acks.until({r.referrer_reference for r in batch}, timeout=600)
        done = len(acks.seen)
        figures = await child.stop()
    return {"seconds": finished - started, "cpu": figures["cpu"], "rss": max(figures["rss_samples"] or [0.0]),
            "answered": done}


async def at_rate(access: Any, topic: str, items: list[tuple[str, bytes]], rate: float) -> dict[str, float]:
    """Send `items` (key, value) at `rate` per second; returns each key's send time."""
    producer = AIOKafkaProducer(**access.aiokafka(), acks="all", linger_ms=0)
    await producer.start()
    sent: dict[str, float] = {}
    try:
        start = time.perf_counter()
        for i, (key, value) in enumerate(items):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[key] = time.perf_counter()
            await producer.send(topic, value, headers=[("content-type", b"application/json")])
        await producer.flush()
    finally:
        await producer.stop()
    return sent


def latency_line(label: str, sent: dict[str, float], seen: dict[str, float]) -> str:
    ms = [(seen[k] - t) * 1000 for k, t in sent.items() if k in seen]
    return (f"{label:<44} p50 {pct(ms, 0.50):7.1f} ms  p95 {pct(ms, 0.95):7.1f} ms  p99 {pct(ms, 0.99):7.1f} ms"
            f"  ({len(ms)}/{len(sent)} answered)")


async def latencies(base: dict[str, Any], admin: Any, party_access: Any, rates: list[float], seconds: float,
                    soak_seconds: float) -> None:
    prefix = base["topic_prefix"]
    intake = Child(bench_roles.service, "intake", {**base, "partner_topics": (PARTY,)})
    triage = Child(bench_roles.service, "triage", base)
    assert await intake.receive() == "ready" and await triage.receive() == "ready"
    async with Watch(admin, partner_inbox(PARTY), prefix, "referrer_reference", "intake.referral-acknowledged") as acks, \
            Watch(admin, AANMELDING_EVENTS, prefix, "case_id", "aanmelding.referral-received") as received:
        for rate in rates:
            batch = referrals(f"rate{int(rate)}-{uuid.uuid4().hex[:4]}", int(rate * seconds))
            sent = await at_rate(party_access, partner_inbound(PARTY).named(prefix),
                                 [(r.referrer_reference, r.model_dump_json().encode()) for r in batch], rate)
            await acks.until(set(sent), timeout=60)
            print(latency_line(f"publish -> acknowledgement at {rate:g}/s", sent, acks.seen), flush=True)
        cases = sorted(received.seen, key=received.seen.__getitem__)[: int(20 * seconds)]
        async with Watch(admin, TRIAGE_EVENTS, prefix, "case_id", "triage.case-opened") as opened:
            accepted = await accept_at(base, [uuid.UUID(c) for c in cases], 20.0)
            await opened.until(set(accepted), timeout=60)
            print(latency_line("accept -> triage-opened at 20/s", accepted, opened.seen), flush=True)
        if soak_seconds:
            batch = referrals(f"soak-{uuid.uuid4().hex[:4]}", int(50 * soak_seconds))
            await at_rate(party_access, partner_inbound(PARTY).named(prefix),
                          [(r.referrer_reference, r.model_dump_json().encode()) for r in batch], 50.0)
    for name, child in (("intake", intake), ("triage", triage)):
        samples = (await child.stop())["rss_samples"]
        print(f"RSS {name:<8} peak {max(samples):6.0f} MiB, first {samples[0]:6.0f}, last {samples[-1]:6.0f} "
              f"over {len(samples)} s", flush=True)


async def accept_at(base: dict[str, Any], cases: list[uuid.UUID], rate: float) -> dict[str, float]:
    """The Procesregisseur's signed accepts at `rate`; each case's send time."""
    sent: dict[str, float] = {}
    async with Procesregisseur(IntakeSettings(**base), TEST_STAFF[0]) as pr:
        start = time.perf_counter()
        for i, case_id in enumerate(cases):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent[str(case_id)] = time.perf_counter()
            await pr.send(pr.accept(case_id))
    return sent


async def main(args: argparse.Namespace) -> None:
    infra = infra_module.provide()
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    await provision_namespace(infra, namespace, (PARTY,))
    settings = settings_for(IntakeSettings, infra, namespace, partner_topics=(PARTY,))
    enrol_test_staff(settings)
    base = {k: settings.model_dump()[k] for k in ("kafka_bootstrap_servers", "kafka_security_protocol", "database_url",
                                                   "topic_prefix", "consumer_group_prefix", "metadata_max_age_ms")}
    admin, party_access = infra.admin(), infra.access(party_principal(PARTY))
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{infra.source}", flush=True)
    raws, hubs = [], []
    for n in range(args.rounds):
        order = ("raw", "hub") if n % 2 == 0 else ("hub", "raw")
        for side in order:
            tag = f"r{n}{uuid.uuid4().hex[:4]}"
            if side == "raw":
                raws.append(await round_raw(base, admin, tag, args.messages))
            else:
                hubs.append(await round_intake(base, admin, party_access, tag, args.messages))
        print(f"round {n + 1}: raw {args.messages / raws[-1]['seconds']:8.0f} msg/s   intake "
              f"{args.messages / hubs[-1]['seconds']:8.1f} referrals/s ({hubs[-1]['answered']} acknowledged)", flush=True)
    raw_rate = statistics.median(args.messages / r["seconds"] for r in raws)
    hub_rate = statistics.median(args.messages / h["seconds"] for h in hubs)
    print(f"(A) raw passthrough, {args.messages} x ~1 KB:   {raw_rate:10.0f} msg/s, "
          f"{statistics.median(r['cpu'] for r in raws) / args.messages * 1e6:8.0f} us CPU per message (median of {args.rounds})")
    print(f"(B) intake, {args.messages} sealed referrals: {hub_rate:10.1f} referrals/s, "
          f"{statistics.median(h['cpu'] for h in hubs) / args.messages * 1e3:8.2f} ms CPU per referral, "
          f"drained in {statistics.median(h['seconds'] for h in hubs):.1f} s, RSS peak {max(h['rss'] for h in hubs):.0f} MiB")
    print(f"ratio B/A: {hub_rate / raw_rate:.4f}", flush=True)
    if args.rates:
        await latencies(base, admin, party_access, [float(r) for r in args.rates.split(",")], args.rate_seconds,
                        args.soak_seconds)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rates", default="20,50,200", help="comma-separated referrals per second; empty: skip")
    parser.add_argument("--rate-seconds", type=float, default=20.0, help="how long each rate runs")
    parser.add_argument("--soak-seconds", type=float, default=0.0, help="then 50/s for this long (RSS over time)")
    asyncio.run(main(parser.parse_args()))
