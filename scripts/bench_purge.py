"""Benchmark: purging one category's expired rows, ledger included, against a raw batched DELETE.

    .venv/bin/python scripts/bench_purge.py [--rows 1000000] [--rows-per-case 100] [--batch 500] [--rounds 3]

Loads N rows of `questions_answers` (intake's `referrer_question`) over N / rows-per-case cases,
each with a live case key, deletes them with a raw batched DELETE, loads them again and purges them
the way production does minus Kafka (retention's `Purges.issue_due` handing on each committed batch, intake's
`CasePurger.purge_many` per batch of commands as its batch subscriber gets them, retention's
`Purges.on_completed_many` per batch of confirmations). Prints both rates, their ratio (target: at least 0.5)
and the per-purge latency, and checks every row, key and ledger entry. Uses DATABASE_URL or the
local PostgreSQL of deploy/postgres/postgres.sh, in fresh databases dropped at the end; `--rows
20000` is a smoke run. Figures, not assertions: compare runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from scripts.bench_purge_rows import (  # noqa: E402
    QUESTION_COLUMNS,
    database_url,
    dsn,
    load_cases,
    load_ledger,
    master_key,
    questions,
    settle,
)
from services.intake import models as intake_models  # noqa: E402
from services.intake.config import IntakeSettings  # noqa: E402
from services.intake.retention_data import purge_steps  # noqa: E402
from services.retention import models as retention_models  # noqa: E402
from services.retention.config import RetentionSettings  # noqa: E402
from services.retention.models import CONFIRMED, LedgerEntry  # noqa: E402
from services.retention.purges import Purges  # noqa: E402
from shared.audit.logboek import Logboek  # noqa: E402
from shared.contracts.retention import PurgeCase, PurgeCompleted  # noqa: E402
from shared.crypto import CaseKeyStore  # noqa: E402
from shared.messaging.outbox import Outbox  # noqa: E402
from shared.register.store import RegisterStore  # noqa: E402
from shared.retention.categories import Category  # noqa: E402
from shared.retention.purge import CasePurger  # noqa: E402
from shared.retention.records import purge_records_table  # noqa: E402
from shared.retention.wiring import BATCH_RECORDS  # noqa: E402
from shared.runtime import Runtime  # noqa: E402
from shared.runtime_build import build_runtime  # noqa: E402

RAW_BATCH = 10_000
# The baseline: batches by physical position, each its own transaction (autocommit).
RAW_DELETE = ("DELETE FROM referrer_question WHERE ctid = ANY(ARRAY("
              f"SELECT ctid FROM referrer_question LIMIT {RAW_BATCH}))")


class BenchFailed(Exception):
    """A check failed; raised rather than exiting, so the databases are still dropped."""


class RememberingOutbox(Outbox):
    """Intake's real outbox, which also keeps the payload of each PurgeCompleted it staged: what the
    relay would publish, handed to retention without the relay and Kafka (its row stays, checked)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.staged: dict[uuid.UUID, str] = {}

    async def stage_many(self, session: Any, messages: list[tuple[Any, Any]]) -> None:
        await super().stage_many(session, messages)
        self.staged.update({e.purge_id: e.model_dump_json() for _, e in messages if isinstance(e, PurgeCompleted)})


async def purge_all(intake: Runtime, retention: Runtime, batch: int) -> tuple[float, list[float]]:
    """Production's path minus Kafka; returns the seconds issue_due took and each batch's seconds."""
    purges = Purges(retention.unit_of_work, retention.outbox, retention.policy, retention.pseudonymizer,
                    RegisterStore(retention_models.register))
    # As shared/retention/wiring.py builds it, without the broker.
    store, outbox = CaseKeyStore(intake_models.case_keys, master_key(intake)), RememberingOutbox(intake.tables)
    purger = CasePurger("intake", purge_steps(store), intake.unit_of_work, outbox, intake.inbox("purge"),
                        purge_records_table(intake.metadata),
                        logboek=Logboek(outbox, "intake", intake.tracer, intake.pseudonymizer))
    completions, latencies = retention.inbox("retention-events"), []

    # Retention issuing, intake purging and retention confirming run side by side, as their
    # processes do in production: each committed batch of commands is handed on (where the relay
    # would publish it) while the next is issued; intake purges batch k+1 while retention confirms k.
    issued: asyncio.Queue[list[PurgeCase] | None] = asyncio.Queue()
    handed: asyncio.Queue[tuple[float, list[PurgeCompleted]] | None] = asyncio.Queue()
    issue_s = 0.0

    async def issue_side() -> None:
        nonlocal issue_s
        t0 = time.perf_counter()
        # As the consumer gets them: serialised and validated again.
        await purges.issue_due(on_issued=lambda commands: issued.put_nowait(
            [PurgeCase.model_validate_json(c.model_dump_json()) for c in commands]))
        issue_s = time.perf_counter() - t0
        issued.put_nowait(None)

    async def intake_side() -> None:
        while (commands := await issued.get()) is not None:
            for at in range(0, len(commands), batch):  # the subscriber's max_records
                chunk, start = commands[at:at + batch], time.perf_counter()
                done = await purger.purge_many(chunk)
                if len(done) != len(chunk):
                    raise BenchFailed(f"{len(chunk) - len(done)} purges of a batch were not carried out")
                await handed.put((start, [PurgeCompleted.model_validate_json(outbox.staged[c.command_id])
                                          for c in chunk]))
        await handed.put(None)

    async def retention_side() -> None:
        while (item := await handed.get()) is not None:
            start, events = item
            outcome = await purges.on_completed_many(completions, events)
            if set(outcome.values()) != {"confirmed"}:
                raise BenchFailed("a batch's purges were not all confirmed")
            latencies.append(time.perf_counter() - start)

    await asyncio.gather(issue_side(), intake_side(), retention_side())
    return issue_s, latencies


async def verify(intake: Runtime, retention: Runtime, refs: list[str], rows: int) -> None:
    """Every row gone, every key destroyed, every purge recorded and staged, every ledger entry
    confirmed with the right count."""
    sql = ("SELECT (SELECT count(*) FROM referrer_question), (SELECT count(*) FROM case_key WHERE wrapped_key IS "
           "NOT NULL), (SELECT count(*) FROM purge_record), (SELECT count(*) FROM outbox WHERE topic LIKE "
           "'%retention.events%'), (SELECT count(*) FROM outbox WHERE topic LIKE '%audit.events%')")
    async with intake.database.sessions() as s:
        left, live, recorded, staged, logged = (await s.execute(text(sql))).one()
    async with retention.database.sessions() as s:
        e = LedgerEntry
        entries = await s.execute(select(e.case_ref, e.category, e.state, e.count))
        ledger = {(case_ref, category): (state, count) for case_ref, category, state, count in entries}
        commands = await s.scalar(text("SELECT count(*) FROM outbox WHERE topic LIKE '%purge.commands%'"))
    n, qa = len(refs), Category.QUESTIONS_ANSWERS.value
    want = {(ref, qa): (CONFIRMED, rows // n + (i < rows % n)) for i, ref in enumerate(refs)}  # row i is case i mod n's
    want |= {(ref, Category.CASE_KEYS.value): (CONFIRMED, 1) for ref in refs}
    wrong = sum(ledger.get(k) != v for k, v in want.items()) + len(ledger.keys() - want.keys())
    problems = [f"{left} rows left"] * bool(left) + [f"{live} live case keys"] * bool(live)
    problems += [f"{recorded} purge records and {staged} PurgeCompleted for {n} cases"] * (recorded != n or staged != n)
    problems += [f"{logged} processing records for {n} purges"] * (logged != n)
    problems += [f"{commands} PurgeCase staged for the relay for {n} cases"] * (commands != n)
    problems += [f"{wrong} ledger entries not confirmed with the right count"] * bool(wrong)
    if problems:
        raise BenchFailed("; ".join(problems))


@dataclass(frozen=True)
class Round:
    raw_s: float
    purge_s: float
    issue_s: float
    latencies: list[float]


async def raw_delete(conn: asyncpg.Connection, rows: int) -> float:
    """The baseline's seconds: every row deleted in physical order, a transaction per batch."""
    t0, deleted = time.perf_counter(), 0
    while removed := int((await conn.execute(RAW_DELETE)).split()[-1]):
        deleted += removed
    if deleted != rows:
        raise BenchFailed(f"the raw DELETE removed {deleted} of {rows} rows")
    return time.perf_counter() - t0


async def one_round(rows: int, per_case: int, batch: int, raw_first: bool) -> Round:
    """Fresh databases; the baseline and the purge on the same rows, in the order given (rounds
    alternate it, so neither always meets a table the other has just churned)."""
    url = make_url(database_url()).set(database=f"benchpurge{uuid.uuid4().hex[:8]}")
    url = url.render_as_string(hide_password=False)  # the runtimes add _intake and _retention
    purge_records_table(intake_models.Base.metadata)  # install_retention adds it in production
    # build_runtime connects to nothing: its broker is built but never started (no Kafka here).
    # It never connects to Kafka, so it needs no broker credential (a fresh machine has none yet).
    intake = build_runtime("intake", IntakeSettings(database_url=url, kafka_security_protocol="PLAINTEXT"),
                           intake_models.Base.metadata)
    retention = build_runtime("retention", RetentionSettings(database_url=url, kafka_security_protocol="PLAINTEXT"),
                              retention_models.Base.metadata)
    cases = [uuid.uuid4() for _ in range(-(-rows // per_case))]
    raw_s = 0.0
    try:
        await intake.migrate()
        await retention.migrate()
        ic, rc = await asyncpg.connect(dsn(intake)), await asyncpg.connect(dsn(retention))
        await load_cases(ic, cases, master_key(intake))
        await ic.copy_records_to_table("referrer_question", columns=QUESTION_COLUMNS, records=questions(cases, rows))
        await settle(ic, "referrer_question", "intake_case", "case_key")
        if raw_first:
            raw_s = await raw_delete(ic, rows)
            await ic.execute("VACUUM referrer_question")  # the reload takes the space the baseline freed
            await ic.copy_records_to_table("referrer_question", columns=QUESTION_COLUMNS, records=questions(cases, rows))
            await settle(ic, "referrer_question", "intake_case", "case_key")
        refs = await load_ledger(rc, retention, cases)
        await settle(rc, "retention_case", "purge_ledger")
        t0 = time.perf_counter()
        issue_s, latencies = await purge_all(intake, retention, batch)
        purge_s = time.perf_counter() - t0
        await verify(intake, retention, refs, rows)
        if not raw_first:
            await ic.execute("VACUUM referrer_question")
            await ic.copy_records_to_table("referrer_question", columns=QUESTION_COLUMNS, records=questions(cases, rows))
            await settle(ic, "referrer_question")
            raw_s = await raw_delete(ic, rows)
        await asyncio.gather(ic.close(), rc.close())
    finally:
        await asyncio.gather(intake.database.dispose(), retention.database.dispose())
        admin = await asyncpg.connect(dsn(intake, "postgres"))
        for runtime in (intake, retention):
            await admin.execute(f'DROP DATABASE IF EXISTS "{make_url(runtime.database.url).database}" WITH (FORCE)')
        await admin.close()
    return Round(raw_s, purge_s, issue_s, latencies)


async def bench(rows: int, per_case: int, batch: int, rounds: int) -> None:
    load_avg, n, done = os.getloadavg()[0], -(-rows // per_case), []
    for i in range(rounds):
        done.append(await one_round(rows, per_case, batch, raw_first=i % 2 == 0))
    raw_s = statistics.median(r.raw_s for r in done)
    purge_s = statistics.median(r.purge_s for r in done)
    issue_s = statistics.median(r.issue_s for r in done)
    ratios = ", ".join(f"{r.raw_s / r.purge_s:.2f}" for r in done)
    raw_rate, purge_rate = rows / raw_s, rows / purge_s
    ms = sorted(x * 1000 for r in done for x in r.latencies)
    print(f"""\
rows:                {rows:,} questions_answers in {n:,} cases, {per_case:,} rows per case (scattered among others')
machine:             {os.cpu_count()} cores, load average {load_avg:.2f} at start, {os.getloadavg()[0]:.2f} at end \
(PostgreSQL on this machine, fsync on)
rounds:              {rounds}, fresh databases each, alternating which goes first; medians below
raw batched DELETE:  {raw_rate:,.0f} rows/s ({raw_s:.1f} s, {RAW_BATCH:,} rows a transaction)
purge, with ledger:  {purge_rate:,.0f} rows/s, {n / purge_s:,.0f} cases/s ({purge_s:.1f} s; issue_due alongside for \
{issue_s:.1f} s; batches of {batch} commands; the three sides in one process)
ratio purge / raw:   {purge_rate / raw_rate:.2f} (target: at least 0.5); per round: {ratios}
per batch:           p50 {statistics.median(ms):.1f} ms, p95 {ms[max(int(len(ms) * 0.95) - 1, 0)]:.1f} ms, \
max {ms[-1]:.1f} ms (from intake taking a batch to retention confirming it)
checked:             each round: 0 rows left, {n:,} case keys destroyed, {2 * n:,} ledger entries confirmed with their counts

What the figures mean: the raw rate is PostgreSQL deleting these rows and nothing else. The purge
rate is production's whole path on the same rows: issue_due (ledger marked issued, PurgeCase
staged, handed on per committed batch), intake's transaction per batch (inbox check, rows
deleted, case keys destroyed, a purge_record, PurgeCompleted, processing record (a span and its
LDV record) and inbox entry per case) and retention's per batch of confirmations (ledger
confirmed with counts, inbox entries), every commit durable. Not included: Kafka transport and
the outbox relays (publishing and deleting outbox rows) and consumer offset commits; in production they add to the purge side.""")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rows-per-case", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=BATCH_RECORDS, help="commands per batch (the subscriber's max_records)")
    args = parser.parse_args()
    try:
        asyncio.run(bench(args.rows, args.rows_per_case, args.batch, args.rounds))
    except BenchFailed as failure:
        sys.exit(f"FAILED: {failure}")


if __name__ == "__main__":
    main()
