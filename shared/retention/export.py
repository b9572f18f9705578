"""Each service's part of an access export (covenant Bijlage 3: the person may see their data).

Retention asks every service that holds case data (`retention.export-case`); each opens its own
sealed texts of the case with its case key, seals them together for the requesting party with that
party's transport key, and puts them on the party's inbox, in one transaction with its inbox
record and `retention.export-completed` (a count, never the texts). Texts whose key was destroyed
are purged: they are listed as such, not guessed at.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.audit.logboek import Logboek
from shared.contracts.rights import AccessExport, ExportCase, ExportCompleted, access_export_aad
from shared.contracts.topics import RETENTION_EVENTS
from shared.crypto.hub_keys import HubKeys
from shared.crypto.keystore import KeyDestroyedError, UnknownCaseKeyError
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.persistence.unit_of_work import UnitOfWork

# (label for the reader, the field the text was sealed under, the sealed value as stored; None when
# its supplier withholds it: the label is exported, the text is not)
SealedText = tuple[str, str, dict[str, str] | None]
ExportSource = Callable[[AsyncSession, UUID], Awaitable[list[SealedText]]]


@dataclass
class CaseExporter:
    service: str
    source: ExportSource
    keys: HubKeys
    unit_of_work: Callable[[], UnitOfWork]
    outbox: Outbox
    inbox: Inbox
    # Records the export as a disclosure to the receiving party (NEN 7513), in its transaction.
    logboek: Logboek

    async def export(self, command: ExportCase) -> int | None:
        """The number of texts sent, or None when not this service's or already carried out."""
        if command.service != self.service:
            return None
        async with self.unit_of_work() as uow:
            session = uow.session
            if await self.inbox.seen(session, command.command_id):
                return None
            items: dict[str, str] = {}
            purged: list[str] = []
            withheld: list[str] = []
            for label, field, sealed in await self.source(session, command.case_id):
                if sealed is None:
                    withheld.append(label)
                    continue
                try:
                    items[label] = await self.keys.open_for_case(session, command.case_id, field, sealed)
                except (KeyDestroyedError, UnknownCaseKeyError):
                    purged.append(label)
            document = json.dumps(
                {"service": self.service, "items": items, "purged": purged, "withheld": withheld}, ensure_ascii=False
            )
            content = self.keys.seal_text_for_party(
                command.for_party, document, aad=access_export_aad(command.request_id, self.service)
            )
            await self.logboek.deliver(session, command.for_party, AccessExport(
                producer=self.service, correlation_id=command.conversation_id, causation_id=command.command_id,
                request_id=command.request_id, service=command.service, item_count=len(items), content=content,
            ), case_id=command.case_id)
            await self.outbox.stage(session, RETENTION_EVENTS, ExportCompleted(
                case_id=command.case_id, producer=self.service, correlation_id=command.conversation_id,
                causation_id=command.command_id, request_id=command.request_id, service=command.service,
                item_count=len(items),
            ))
            await self.inbox.record(session, command.command_id)
            await uow.commit()
            return len(items)
