"""Chaos run: referrals keep coming while intake is SIGKILLed and the broker and PostgreSQL restart.

    .venv/bin/python scripts/chaos.py [--referrals 3000] [--kills 3] [--rate 50]

Loopback only, bounded, on the project's own Kafka (deploy/kafka/kafka.sh, at 127.0.0.1:KAFKA_PORT)
and PostgreSQL (deploy/postgres/postgres.sh): it stops and starts them, and refuses to run when
KAFKA_BOOTSTRAP_SERVERS names another broker than the one it would restart. Intake and triage run as separate
processes (`zorgtafel run`), as in production; a partner system sends `--referrals` sealed
referrals at about `--rate` per second, resending what the broker did not acknowledge. Meanwhile
intake is killed with SIGKILL `--kills` times (and started again), the broker restarts once and
PostgreSQL restarts once. Then it waits for the hub to go quiet and prints: sent, stored, lost,
duplicated, answered, dead-lettered. Exit status 0 only with nothing lost and nothing duplicated.
Issue 10's long form is the default; tests/e2e/test_chaos.py runs a short one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from services.demo import fictional_person  # noqa: E402
from services.intake.config import IntakeSettings  # noqa: E402
from services.intake.models import Case, Referral  # noqa: E402
from services.partner import PartnerSystem  # noqa: E402
from shared.contracts.aanmelding import Indicators, LifeDomain  # noqa: E402
from shared.contracts.topics import DEAD_LETTER, partner_inbox  # noqa: E402
from shared.crypto import MasterKey  # noqa: E402
from shared.messaging.security import KafkaAccess  # noqa: E402
from shared.persistence.database import read_once  # noqa: E402
from shared.security.acls import ADMIN, party_principal  # noqa: E402
from shared.telemetry.logging import configure_logging  # noqa: E402

PARTY = "politie-oost-brabant"

KAFKA, POSTGRES = ROOT / "deploy/kafka/kafka.sh", ROOT / "deploy/postgres/postgres.sh"


def sh(*args: object) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True)


class Services:
    """Intake and triage as processes; intake can be killed and started again."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarted = 0  # by the supervisor: a service that stopped itself (a broken producer)
        self.killed: set[str] = set()  # killed on purpose by the run, started again by it

    def start(self, name: str) -> None:
        self.killed.discard(name)
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "services.cli", "run", name], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def kill(self, name: str) -> None:
        self.killed.add(name)
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait()

    async def supervise(self) -> None:
        """What systemd or Kubernetes does: start again a service that stopped by itself."""
        while True:
            await asyncio.sleep(1)
            for name, process in list(self.processes.items()):
                if process.poll() is not None and name not in self.killed:
                    self.restarted += 1
                    self.start(name)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=30)
            if process.poll() is None:
                process.kill()


async def send_all(settings: IntakeSettings, run: str, references: list[str], rate: float) -> int:
    """Send each referral (a fictional person each) until the broker acknowledges it; a resend is
    the same referral, which intake answers as a duplicate."""
    master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
    as_party = settings.kafka_access(party_principal(PARTY))
    partner = PartnerSystem.local(PARTY, as_party, master, settings.topic_prefix)
    indicators = Indicators(serious_local_safety_problem=True, several_chains_needed=True, life_domains=(LifeDomain.SAFETY,))
    producer = AIOKafkaProducer(**as_party.aiokafka(), acks="all", request_timeout_ms=5000)
    await producer.start()
    try:
        for i, reference in enumerate(references):
            referral = partner.referral(reference, fictional_person(run, i), municipality="gemeente-oss", indicators=indicators)
            value = referral.model_dump_json().encode()
            topic = partner.inbound
            while True:
                try:
                    await producer.send_and_wait(topic, value, headers=[("content-type", b"application/json")])
                    break
                except Exception:  # noqa: BLE001 - the broker is restarting: send it again
                    await asyncio.sleep(1)
            await asyncio.sleep(1 / rate)
    finally:
        await producer.stop()
    return len(references)


async def chaos(sent_within: float, services: Services, kills: int) -> None:
    """Spread the faults over the sending: intake killed `kills` times, broker and database once."""
    steps = [("kill", i) for i in range(kills)] + [("broker", 0), ("postgres", 0)]
    pause = sent_within / (len(steps) + 1)
    for what, _ in steps:
        await asyncio.sleep(pause)
        if what == "kill":
            services.kill("intake")
            await asyncio.sleep(1)
            services.start("intake")
        elif what == "broker":
            await asyncio.to_thread(sh, KAFKA, "stop")
            await asyncio.sleep(2)
            await asyncio.to_thread(sh, KAFKA, "start")
        else:
            await asyncio.to_thread(sh, POSTGRES, "stop")
            await asyncio.sleep(2)
            await asyncio.to_thread(sh, POSTGRES, "start")


async def count_topic(access: KafkaAccess, topic: str) -> int:
    consumer = AIOKafkaConsumer(**access.aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or {0})]
        end = await consumer.end_offsets(partitions)
        start = await consumer.beginning_offsets(partitions)
        return sum(end[tp] - start[tp] for tp in partitions)
    finally:
        await consumer.stop()


async def stored(url: str, references: list[str]) -> tuple[int, int, int]:
    """(references stored, references stored more than once, cases) in intake's database."""

    async def read(session):  # type: ignore[no-untyped-def]
        rows = (await session.execute(
            select(Referral.referrer_reference, func.count()).where(Referral.referrer_reference.in_(references))
            .group_by(Referral.referrer_reference)
        )).all()
        cases = await session.scalar(select(func.count()).select_from(Case).where(Case.referrer_reference.in_(references)))
        return len(rows), sum(1 for _, n in rows if n > 1), int(cases or 0)

    return await read_once(url, read)  # type: ignore[no-any-return]


async def main(args: argparse.Namespace) -> int:
    configure_logging()  # the clients' complaints while the broker is away: JSON lines, rate-limited
    url = subprocess.run([str(POSTGRES), "url"], check=True, capture_output=True, text=True).stdout.strip()
    # The broker it restarts is the one it uses: deploy/kafka/kafka.sh's, on loopback, at KAFKA_PORT.
    bootstrap = f"127.0.0.1:{os.environ.get('KAFKA_PORT', '9092')}"
    given = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if given and given != bootstrap:
        print(f"chaos: KAFKA_BOOTSTRAP_SERVERS={given} is not the broker it would restart ({bootstrap}); refusing")
        return 2
    if "@127.0.0.1:" not in url:
        print("chaos: the database is not the local one of deploy/postgres/postgres.sh; refusing")
        return 2
    namespace = f"chaos{uuid.uuid4().hex[:8]}"
    settings = IntakeSettings(
        kafka_bootstrap_servers=bootstrap, database_url=url.rsplit("/", 1)[0] + f"/{namespace}", topic_prefix=f"{namespace}."
    )
    env = {**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers, "DATABASE_URL": settings.database_url,
           "ZT_TOPIC_PREFIX": settings.topic_prefix, "ZT_CONSUMER_GROUP_PREFIX": namespace,
           "ZT_PARTNER_TOPICS": json.dumps([PARTY]), "ZT_RETRY_MAX_DELAY_S": "2"}
    # The operator's step before a deployment starts: topics, credentials, ACLs (as zt-admin).
    subprocess.run([sys.executable, "-m", "services.cli", "security", "apply"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    references = [f"CHAOS-{namespace}-{i}" for i in range(args.referrals)]
    services = Services(env)
    started = time.monotonic()
    supervisor = asyncio.create_task(services.supervise())
    try:
        services.start("intake")
        services.start("triage")
        sending = asyncio.create_task(send_all(settings, namespace, references, args.rate))
        await chaos(args.referrals / args.rate, services, args.kills)
        sent = await sending
        deadline, last = time.monotonic() + args.settle_s, (-1, -1, -1)
        while time.monotonic() < deadline:  # until every referral is stored and the count stands still
            now = await stored(settings.database_url_for("intake"), references)
            if now == last and now[0] == sent:
                break
            last = now
            await asyncio.sleep(3)
        kept, duplicated, cases = await stored(settings.database_url_for("intake"), references)
        answered = await count_topic(settings.kafka_access(ADMIN), partner_inbox(PARTY).named(settings.topic_prefix))
        dead = await count_topic(settings.kafka_access(ADMIN), DEAD_LETTER.named(settings.topic_prefix))
    finally:
        supervisor.cancel()
        services.stop_all()
    lost = sent - kept
    print(f"chaos: {args.kills} intake kills, 1 broker restart, 1 PostgreSQL restart, "
          f"{services.restarted} restarts by the supervisor, {time.monotonic() - started:.0f} s")
    print(f"sent {sent}  stored {kept}  lost {lost}  duplicated {duplicated}  cases {cases}  "
          f"answered {answered}  dead-lettered {dead}")
    return 0 if lost == 0 and duplicated == 0 and cases == kept else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--referrals", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50.0, help="referrals per second the partner sends")
    parser.add_argument("--settle-s", type=float, default=300.0, help="how long to wait for the hub to catch up")
    sys.exit(asyncio.run(main(parser.parse_args())))
