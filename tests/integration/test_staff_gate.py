"""The staff gate answers a command in the transaction that carries it out (issue 14,
docs/decisions/0016), on real PostgreSQL: the answer exists exactly when the command's effect does."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from shared.contracts.envelope import utcnow
from shared.contracts.intake import AcceptReferral
from shared.contracts.topics import INTAKE_EVENTS, STAFF_ANSWERS
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork
from shared.security.staff_gate import StaffGate
from shared.security.staff_identity import sign
from shared.security.staff_register import RegisterFile, enrol, load_signing_key
from tests.integration.outbox_support import an_event

MEMBER = "pr-gate"


class Received:
    """The command as the gate reads it from its Kafka message: the JSON object as sent."""

    def __init__(self, command: AcceptReferral) -> None:
        self._wire = json.loads(command.model_dump_json())

    async def decode(self) -> Any:
        return self._wire


@pytest.fixture
def signed(tmp_path: Path) -> Callable[[], AcceptReferral]:
    key = tmp_path / "keys" / f"{MEMBER}.key"
    enrol(tmp_path / "register.json", key, MEMBER, ("procesregisseur",), now=datetime.now(UTC), valid_for=timedelta(days=1))
    return lambda: sign(  # type: ignore[return-value]
        AcceptReferral(command_id=uuid.uuid4(), issued_at=utcnow(), case_id=uuid.uuid4(), decided_by=MEMBER),
        MEMBER, load_signing_key(key), "",
    )


def gate(database: Any, tables: Any, register: Path) -> StaffGate:
    return StaffGate(
        RegisterFile(register), service="probe", topic_prefix="", max_age=timedelta(minutes=5),
        unit_of_work=lambda: UnitOfWork(database.sessions), outbox=Outbox(tables), inbox=Inbox(tables, "probe.commands"),
    )


def use_case(database: Any, tables: Any, *, fail_after_commit: bool = False) -> Callable[[Any], Awaitable[str | None]]:
    """As the services write a command's use case: its own unit of work, an event, the inbox, a commit."""

    async def carry_out(command: AcceptReferral) -> str | None:
        async with UnitOfWork(database.sessions) as uow:
            inbox = Inbox(tables, "probe.commands")
            if await inbox.seen(uow.session, command.command_id):
                return None
            await Outbox(tables).stage(uow.session, INTAKE_EVENTS, an_event())
            await inbox.record(uow.session, command.command_id)
            await uow.commit()
        if fail_after_commit:
            raise RuntimeError("the handler failed after the use case committed")
        return None

    return carry_out


async def staged(database: Any, tables: Any) -> list[tuple[str, dict[str, Any]]]:
    async with database.sessions() as s:
        rows = (await s.execute(select(tables.outbox.c.topic, tables.outbox.c.payload).order_by(tables.outbox.c.id))).all()
    return [(topic, json.loads(payload)) for topic, payload in rows]


async def test_the_answer_commits_with_the_commands_effect_after_it(store, signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    command = signed()
    refusal = await gate(database, tables, tmp_path / "register.json").carry_out(
        command, Received(command), use_case(database, tables)  # type: ignore[arg-type]
    )
    rows = await staged(database, tables)
    assert refusal is None
    assert [topic for topic, _ in rows] == [INTAKE_EVENTS.name, STAFF_ANSWERS.name]  # the answer follows the effect
    answer = rows[1][1]
    assert (answer["command_id"], answer["outcome"], answer["reason"]) == (str(command.command_id), "carried_out", None)
    assert answer["causation_id"] == str(command.command_id) and answer["producer"] == "probe"


async def test_a_command_that_fails_after_its_use_case_committed_leaves_neither_effect_nor_answer(  # type: ignore[no-untyped-def]
    store, signed, tmp_path: Path
) -> None:
    database, tables = store
    command = signed()
    with pytest.raises(RuntimeError):
        await gate(database, tables, tmp_path / "register.json").carry_out(
            command, Received(command), use_case(database, tables, fail_after_commit=True)  # type: ignore[arg-type]
        )
    assert await staged(database, tables) == []
    async with database.sessions() as s:
        assert not await Inbox(tables, "probe.commands").seen(s, command.command_id)  # it will be tried again


async def test_a_command_carried_out_earlier_is_not_answered_again(store, signed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    database, tables = store
    command, staff_gate = signed(), gate(database, tables, tmp_path / "register.json")
    for _ in range(2):
        await staff_gate.carry_out(command, Received(command), use_case(database, tables))  # type: ignore[arg-type]
    assert [topic for topic, _ in await staged(database, tables)] == [INTAKE_EVENTS.name, STAFF_ANSWERS.name]


async def test_two_deliveries_of_one_command_at_once_are_answered_once_with_the_first_ones_outcome(  # type: ignore[no-untyped-def]
    store, signed, tmp_path: Path
) -> None:
    # A rebalance can hand a command to a second consumer while the first still works on it.
    database, tables = store
    command, staff_gate = signed(), gate(database, tables, tmp_path / "register.json")
    calls: list[int] = []

    async def refuse_slowly(received: AcceptReferral) -> str | None:
        calls.append(1)
        if len(calls) == 2:  # the second delivery: by the time it looks, the first has committed
            await asyncio.sleep(1.0)
        async with UnitOfWork(database.sessions) as uow:
            inbox = Inbox(tables, "probe.commands")
            if await inbox.seen(uow.session, received.command_id):
                return None
            await inbox.record(uow.session, received.command_id)
            await asyncio.sleep(0.5)
            await uow.commit()
        return "unknown_case"

    async def deliver(after_s: float) -> str | None:
        await asyncio.sleep(after_s)
        return await staff_gate.carry_out(command, Received(command), refuse_slowly)  # type: ignore[arg-type]

    await asyncio.gather(deliver(0.0), deliver(0.1))
    answers = [payload for topic, payload in await staged(database, tables) if topic == STAFF_ANSWERS.name]
    assert [(a["outcome"], a["reason"]) for a in answers] == [("refused", "unknown_case")]
