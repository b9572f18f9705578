"""The person's rights (covenant Bijlage 3), as retention carries them out.

Erasure goes through the same purge path as any purge (phase `erasure`: everything, at once) or is
refused with one of the covenant's reasons (legal duty to keep, safety, an ongoing complaint). An
access export asks every service for its part, sealed for the party that asked on the person's
behalf. Every request and its outcome is in the ledger (`rights_request`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from services.retention.config import SERVICE
from services.retention.models import RetentionCase, RightsRequest
from services.retention.service import RetentionBase
from shared.contracts.envelope import Command
from shared.contracts.rights import (
    AccessExportRequested,
    DecideErasure,
    ErasureDecided,
    ExportCase,
    ExportCompleted,
    RequestAccessExport,
    RetentionCommandRefused,
)
from shared.contracts.topics import PURGE_COMMANDS, RETENTION_EVENTS
from shared.messaging.inbox import Inbox
from shared.retention.categories import Phase

SERVICES_WITH_CASE_DATA = ("intake", "triage", "casemeeting")


def erasure_refusal(phase: str | None, refused_for: str | None) -> str | None:
    """Why an erasure decision cannot be taken (Bijlage 3): granting it twice means nothing."""
    return "already_erased" if phase == Phase.ERASURE.value and refused_for is None else None


def export_refusal(involved: list[str], for_party: str, standing: str) -> str | None:
    """Why an access export may not go to `for_party`: need to know (art. 8.4c; Bijlage 3) allows
    only the referrer or a party designated for the case's Casusoverleg, and only while it is a
    party (art. 21.3, 23.2)."""
    if for_party not in involved:
        return "party_not_involved"
    return None if standing == "party" else "party_not_current"


class Rights(RetentionBase):
    async def decide_erasure(self, inbox: Inbox, command: DecideErasure) -> str | None:
        """Bijlage 3: erasure carried out through the same purge path, or refused with the
        covenant's reason (legal duty to keep, safety, ongoing complaint); both in the ledger.
        Returns the refusal reason of the command, if any."""

        async def refusal(session: AsyncSession, case: RetentionCase) -> str | None:
            return erasure_refusal(case.phase, command.refused_for)

        async def carry_out(session: AsyncSession, case: RetentionCase) -> None:
            # "granted": the purges that carry it out are in the ledger, each with its confirmation.
            outcome = "refused" if command.refused_for else "granted"
            session.add(RightsRequest(
                request_id=command.command_id, case_ref=case.case_ref, kind="erasure", outcome=outcome,
                refused_for=command.refused_for, decided_by=command.decided_by, decided_at=self.now(),
                confirmations={},
            ))
            if outcome == "granted":
                await self.enter_phase(session, case, Phase.ERASURE, self.now())
            await self.outbox.stage(session, RETENTION_EVENTS, ErasureDecided(
                case_id=case.case_id, producer=SERVICE, correlation_id=command.conversation_id,
                causation_id=command.command_id, outcome=outcome, refused_for=command.refused_for,  # type: ignore[arg-type]
                decided_by=command.decided_by,
            ))

        return await self._once(inbox, command, command.case_id, refusal, carry_out)

    async def request_access_export(self, inbox: Inbox, command: RequestAccessExport) -> str | None:
        """Ask every service for its part of the person's data, sealed for `for_party` (see
        `export_refusal` for who may receive it). Returns the refusal reason, if any."""

        async def refusal(session: AsyncSession, case: RetentionCase) -> str | None:
            standing = await self.register.standing(session, command.for_party, self.policy.local_day(self.now()))
            return export_refusal(case.involved or [], command.for_party, standing)

        async def carry_out(session: AsyncSession, case: RetentionCase) -> None:
            session.add(RightsRequest(
                request_id=command.command_id, case_ref=case.case_ref, kind="access_export", outcome="requested",
                for_party=command.for_party, decided_by=command.requested_by, decided_at=self.now(),
                confirmations={},
            ))
            await self.outbox.stage_many(session, [(PURGE_COMMANDS, ExportCase(
                command_id=uuid.uuid4(), issued_at=self.now(), correlation_id=command.conversation_id,
                case_id=case.case_id, service=service, request_id=command.command_id, for_party=command.for_party,  # type: ignore[arg-type]
            )) for service in SERVICES_WITH_CASE_DATA])
            await self.outbox.stage(session, RETENTION_EVENTS, AccessExportRequested(
                case_id=case.case_id, producer=SERVICE, correlation_id=command.conversation_id,
                causation_id=command.command_id, request_id=command.command_id, for_party=command.for_party,
                requested_by=command.requested_by,
            ))

        return await self._once(inbox, command, command.case_id, refusal, carry_out)

    async def _once(
        self, inbox: Inbox, command: Command, case_id: uuid.UUID,
        refusal: Callable[[AsyncSession, RetentionCase], Awaitable[str | None]],
        carry_out: Callable[[AsyncSession, RetentionCase], Awaitable[None]],
    ) -> str | None:
        """A staff command about one case, once: refused (unknown case, or `refusal`'s reason, as
        `retention.command-refused`) or carried out, with its inbox entry, in one transaction."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await inbox.seen(session, command.command_id):
                return None
            case = await session.get(RetentionCase, case_id)
            reason = "unknown_case" if case is None else await refusal(session, case)
            if reason is not None:
                await self._refuse(session, command, reason)
            else:
                assert case is not None
                await carry_out(session, case)
            await inbox.record(session, command.command_id)
            await uow.commit()
            return reason

    async def on_export_completed(self, inbox: Inbox, event: ExportCompleted) -> str:
        """A service sent its part: the ledger records how many texts; all parts sent is `sent`."""
        async with self.unit_of_work() as uow:
            session = uow.session
            if await inbox.seen(session, event.event_id):
                return "duplicate"
            request = await session.get(RightsRequest, event.request_id, with_for_update=True)
            if request is not None:
                request.confirmations = {**request.confirmations, event.service: event.item_count}
                if set(request.confirmations) >= set(SERVICES_WITH_CASE_DATA):
                    request.outcome = "sent"
            await inbox.record(session, event.event_id)
            await uow.commit()
            return request.outcome if request else "unknown_request"

    async def _refuse(self, session: AsyncSession, command: Command, reason: str) -> None:
        await self.outbox.stage(session, RETENTION_EVENTS, RetentionCommandRefused(
            producer=SERVICE, correlation_id=command.conversation_id, causation_id=command.command_id,
            command_id=command.command_id, command_type=command.command_type, reason=reason,  # type: ignore[arg-type]
        ))
