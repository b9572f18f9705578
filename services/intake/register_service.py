"""Changes to the register of parties: intake owns the register (covenant art. 20, 21.3, 23.2).

Each change is a command with an effective date and produces a fact on
zorgtafel.register.events.v1, from which the other services keep their own copy.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake.config import SERVICE
from shared.contracts.register import (
    AdmitParty,
    ExcludeParty,
    PartyAdmitted,
    PartyExcluded,
    PartyLeft,
    RecordPartyLeaving,
)
from shared.contracts.topics import REGISTER_EVENTS
from shared.messaging.outbox import Outbox
from shared.register.store import RegisterStore


async def admit(session: AsyncSession, store: RegisterStore, outbox: Outbox, cmd: AdmitParty) -> str | None:
    """Accession by signing Bijlage 1 (art. 20.4). Returns a refusal reason, or None when done."""
    if not await store.admit(session, cmd.party, cmd.effective_on):
        return "already_a_party"
    await outbox.stage(session, REGISTER_EVENTS, PartyAdmitted(
        producer=SERVICE, correlation_id=cmd.conversation_id, causation_id=cmd.command_id,
        party=cmd.party, effective_on=cmd.effective_on, decided_by=_decided_by(cmd),
    ))
    return None


async def end_membership(
    session: AsyncSession, store: RegisterStore, outbox: Outbox, cmd: RecordPartyLeaving | ExcludeParty
) -> str | None:
    """Leaving (art. 21.3) or exclusion with immediate effect (art. 23.2): no party from `effective_on`."""
    excluded = isinstance(cmd, ExcludeParty)
    if not await store.end(session, cmd.code, cmd.effective_on, "excluded" if excluded else "left"):
        return "not_a_party"
    fact = PartyExcluded if excluded else PartyLeft
    await outbox.stage(session, REGISTER_EVENTS, fact(
        producer=SERVICE, correlation_id=cmd.conversation_id, causation_id=cmd.command_id,
        code=cmd.code, effective_on=cmd.effective_on, decided_by=_decided_by(cmd),
    ))
    return None


def _decided_by(cmd: AdmitParty | RecordPartyLeaving | ExcludeParty) -> str | None:
    """The Manager who signed the change: verified by the staff gate before it got here."""
    return cmd.proof.staff_id if cmd.proof is not None else None
