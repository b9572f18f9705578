"""Readiness judged from its checks (shared/operations/readiness.py, assignment.py)."""

import asyncio

from aiokafka import TopicPartition

from shared.operations.assignment import Assignments
from shared.operations.outbox_state import OutboxState
from shared.operations.readiness import Readiness, answered, judge_outbox


def test_an_outbox_row_older_than_the_limit_is_stuck() -> None:
    assert judge_outbox(OutboxState(waiting=3, oldest_age_s=121.0, parked=0), 120.0) == "stuck"
    assert judge_outbox(OutboxState(waiting=3, oldest_age_s=119.0, parked=0), 120.0) == "ok"


def test_an_empty_outbox_is_never_stuck_and_parked_rows_do_not_hold_readiness() -> None:
    assert judge_outbox(OutboxState(waiting=0, oldest_age_s=None, parked=7), 1.0) == "ok"


def test_an_unread_outbox_is_unknown_and_not_ready() -> None:
    outcome = Readiness({"database": "ok", "outbox": judge_outbox(None, 1.0)}, None)
    assert not outcome.ready and outcome.body() == {"ready": False, "checks": {"database": "ok", "outbox": "unknown"}, "outbox": None}


def test_a_consumer_counts_as_assigned_even_with_no_partitions() -> None:
    assignments = Assignments()
    first, standby = assignments.listener("g.intake.inbound"), assignments.listener("g.intake.commands")
    asyncio.run(first.on_partitions_assigned([TopicPartition("t", 0)]))
    assert assignments.waiting() == ["g.intake.commands"]
    asyncio.run(standby.on_partitions_assigned([]))  # a replica beyond the partition count
    asyncio.run(first.on_partitions_revoked([TopicPartition("t", 0)]))  # a rebalance under way
    assert assignments.waiting() == []


def test_a_check_that_raises_or_hangs_did_not_answer() -> None:
    async def raises() -> None:
        raise OSError("connection refused to db.internal:5432")

    async def hangs() -> None:
        await asyncio.sleep(10)

    async def answers() -> None:
        return None

    assert asyncio.run(answered(raises, 1.0)) is False
    assert asyncio.run(answered(hangs, 0.05)) is False
    assert asyncio.run(answered(answers, 1.0)) is True
