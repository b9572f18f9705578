"""What a service remembers of each party's messages, so every message gets the right answer
(issue 12, case 2; covenant art. 16.2: the supplying party decides about its information, so
what it sent under its own id is never mixed with another party's).

A party's `command_id` is the party's own: two parties may pick the same one, so the id a
service records is scoped to the party (`scoped_id`). Then, for one party and one command id:

- the same Kafka record again (same topic, partition and offset) is a **redelivery**: nothing
  happens, nothing is answered twice;
- the same content in a new record is a **repeat** (the party did not see our answer and sent it
  again): it gets the earlier answer again, and nothing else happens;
- other content under the same id is a **conflict** (say a corrected referral re-sent under the
  id of the rejected one): rejected with `command_id_reused`, so the party knows to use a new id.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.envelope import Notice, utcnow
from shared.contracts.partner import PartnerNotice
from shared.contracts.rejections import RejectionReason, reason
from shared.contracts.topics import partner_inbox
from shared.messaging.outbox import Outbox
from shared.messaging.tables import MessagingTables
from shared.persistence.deferred import held_by, insert_or_hold

Verdict = Literal["new", "redelivered", "repeated", "conflict"]
# The notices staged for the party while one of its messages is handled (`answers_collected`).
_ANSWERS: ContextVar[list[Notice] | None] = ContextVar("partner_answers", default=None)
_NOTICES: TypeAdapter[Any] = TypeAdapter(PartnerNotice)
# Party-scoped message ids live in a namespace of their own (RFC 9562 name-based UUIDs).
_SCOPE = uuid.UUID("6f0c6a3e-2f55-4b61-9a3f-3f5b8c1d2e77")


def scoped_id(party: str, command_id: uuid.UUID) -> uuid.UUID:
    """The id under which a service records `party`'s command: the same for a redelivery, another
    for another party's command with the same id."""
    return uuid.uuid5(_SCOPE, f"{party}\n{command_id}")


def fingerprint(body: Any) -> str:
    """SHA-256 (hex) of the message's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Earlier:
    verdict: Verdict
    answers: tuple[dict[str, Any], ...] = ()


class PartnerMessages:
    """One consumer's memory of the parties' messages (rows pruned after the operational term)."""

    def __init__(self, tables: MessagingTables, consumer: str) -> None:
        self._table = tables.partner_message
        self._consumer = consumer

    async def judge(
        self, session: AsyncSession, party: str, command_id: uuid.UUID, body: Any, origin: tuple[str, int, int]
    ) -> Earlier:
        """What this message is, given what the service saw of `party`'s `command_id` before."""
        t = self._table
        row: Any = next((
            SimpleNamespace(**r) for r in held_by(session, t, "command_id", command_id)  # earlier in this batch
            if (r["consumer"], r["party"]) == (self._consumer, party)
        ), None) or (await session.execute(
            select(t.c.fingerprint, t.c.origin, t.c.answers)
            .where(t.c.consumer == self._consumer, t.c.party == party, t.c.command_id == command_id)
        )).first()
        if row is None:
            return Earlier("new")
        if row.origin == _origin(origin):
            return Earlier("redelivered")
        if row.fingerprint != fingerprint(body):
            return Earlier("conflict")
        return Earlier("repeated", tuple(row.answers))

    async def remember(
        self, session: AsyncSession, party: str, command_id: uuid.UUID, body: Any, origin: tuple[str, int, int],
        answers: Sequence[Notice],
    ) -> None:
        """Record the message with what it was answered, in the transaction that handled it."""
        row = {
            "consumer": self._consumer, "party": party, "command_id": command_id, "fingerprint": fingerprint(body),
            "origin": _origin(origin), "answers": [a.model_dump(mode="json") for a in answers], "received_at": utcnow(),
        }
        await insert_or_hold(session, self._table, row)  # written with the batch's others at commit


def _origin(origin: tuple[str, int, int]) -> str:
    topic, partition, offset = origin
    return f"{topic}:{partition}:{offset}"


def answered_again(stored: dict[str, Any]) -> Notice:
    """An earlier answer, as a new notice (a fresh event id and time; the same content)."""
    notice: Notice = _NOTICES.validate_python(stored)
    return notice.model_copy(update={"event_id": uuid.uuid4(), "occurred_at": utcnow()})


@contextmanager
def answers_collected() -> Iterator[list[Notice]]:
    """Collect what `answer_party` stages while one message of a party is handled."""
    answers: list[Notice] = []
    token = _ANSWERS.set(answers)
    try:
        yield answers
    finally:
        _ANSWERS.reset(token)


async def answer_party(outbox: Outbox, session: AsyncSession, party: str, notice: Notice) -> None:
    """Stage `notice` for `party`'s inbox, and remember it as an answer to the message in hand."""
    collected = _ANSWERS.get()
    if collected is not None:
        collected.append(notice)
    await outbox.stage(session, partner_inbox(party), notice)


async def answer_again(
    messages: PartnerMessages, outbox: Outbox, session: AsyncSession, party: str, command_id: uuid.UUID,
    body: Any, origin: tuple[str, int, int], rejection: Callable[[list[RejectionReason]], Notice],
) -> Literal["redelivered", "duplicate", "rejected"]:
    """A message under a command id `party` used before: a redelivery changes nothing, a repeat
    gets the earlier answers again, other content gets `rejection` (command_id_reused)."""
    earlier = await messages.judge(session, party, command_id, body, origin)
    if earlier.verdict == "repeated":
        for stored in earlier.answers:
            await outbox.stage(session, partner_inbox(party), answered_again(stored))
        return "duplicate"
    if earlier.verdict == "conflict":
        await outbox.stage(session, partner_inbox(party), rejection([reason("command_id", "command_id_reused")]))
        return "rejected"
    return "redelivered"
