"""Benchmark: referrals through intake on the real broker and PostgreSQL. Prints figures.

    .venv/bin/python scripts/bench_referrals.py [--referrals 500]

Measures, on this machine: the rate at which intake registers sealed referrals (open the party's
seal, validate, match, re-seal under a new case key, store, stage events, commit, ack), the
latency from a partner's send to the stored case, how long the outbox takes to drain, the
cost of sealing alone, and the process's peak memory. It starts Kafka and PostgreSQL the way the
tests do. Figures, not assertions: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from services.intake.app import create_runtime  # noqa: E402
from services.intake.config import IntakeSettings  # noqa: E402
from services.intake.models import Referral  # noqa: E402
from shared.crypto import open_sealed, party_key, seal  # noqa: E402
from shared.telemetry.processing import InMemoryProcessingLog  # noqa: E402
from tests import infra as infra_module  # noqa: E402
from tests.provisioning import provision_namespace  # noqa: E402
from tests.support import MASTER, PARTY, Partner, a_referral, personal_data, settings_for  # noqa: E402


def bench_sealing(n: int = 20_000) -> float:
    key, blob = party_key(MASTER, PARTY), personal_data().model_dump_json().encode()
    start = time.perf_counter()
    for _ in range(n):
        open_sealed(seal(blob, key, kid="k", aad=b"a"), key, aad=b"a")
    return n / (time.perf_counter() - start)


async def bench_intake(count: int) -> None:
    infra = infra_module.provide()
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    # As an operator does before a deployment starts: its topics, credentials and ACLs.
    await provision_namespace(infra, namespace, (PARTY,))
    settings = settings_for(IntakeSettings, infra, namespace, partner_topics=(PARTY,))
    runtime = create_runtime(settings, processing_log=InMemoryProcessingLog())
    # Each referral is about another person, so none is linked as a repeat.
    referrals = [a_referral(personal=personal_data(person={"family_name": f"Bench {i}"})) for i in range(count)]
    async with runtime.app(), Partner(infra, namespace) as partner:
        sent_at: dict[str, float] = {}
        t0 = time.perf_counter()
        for r in referrals:
            sent_at[r.referrer_reference] = time.time()
            await partner.submit(r)
        t_sent = time.perf_counter()
        while await _count(runtime) < count:
            await asyncio.sleep(0.05)
        t_stored = time.perf_counter()
        while await _outbox(runtime):
            await asyncio.sleep(0.05)
        t_relayed = time.perf_counter()
        async with runtime.database.sessions() as s:
            rows = (await s.execute(select(Referral.referrer_reference, Referral.received_at))).all()
    latencies = sorted((received.timestamp() - sent_at[ref]) * 1000 for ref, received in rows)
    print(f"referrals:                 {count} (one party, sealed personal data, PostgreSQL, Kafka acks=all)")
    print(f"sending (partner, acks):   {t_sent - t0:.2f} s")
    print(f"registered by intake:      {count / (t_stored - t0):.0f} referrals/s end to end")
    print(f"latency send -> stored:    p50 {statistics.median(latencies):.0f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.0f} ms, max {latencies[-1]:.0f} ms")
    print(f"outbox drained after:      {t_relayed - t_stored:.2f} s more ({2 * count} events and notices)")


async def _count(runtime) -> int:  # type: ignore[no-untyped-def]
    async with runtime.database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Referral)) or 0)


async def _outbox(runtime) -> int:  # type: ignore[no-untyped-def]
    async with runtime.database.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(runtime.tables.outbox)) or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=500)
    args = parser.parse_args()
    print(f"seal + open (AES-256-GCM, ~600 B): {bench_sealing():,.0f} per s on one core")
    asyncio.run(bench_intake(args.referrals))
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
