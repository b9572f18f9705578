"""The person's rights (covenant Bijlage 3): access, correction and erasure.

Erasure may be refused for a legal duty to keep, for safety, or during an ongoing complaint, and the
refusal is recorded. An access export gives the person's data, sealed for the party that asked on
the person's behalf; every request and its outcome is in retention's ledger. None of these messages
carries personal data in clear: texts travel sealed for their reader.
"""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.envelope import Command, Event, Notice
from shared.contracts.register import PARTY_CODE
from shared.contracts.retention import PurgeService
from shared.contracts.staff import STAFF_ID, StaffCommand
from shared.crypto import Sealed

RefusalReason = Literal["legal_duty_to_keep", "safety", "ongoing_complaint"]


def access_export_aad(request_id: UUID, service: str) -> bytes:
    """Binds an export to its request and the service that made it: it cannot be replayed."""
    return f"zorgtafel:access-export:{request_id}:{service}".encode()


# --- commands of staff on zorgtafel.retention.commands.v1 ---


class DecideErasure(StaffCommand):
    """The person asked for erasure: carry it out, or refuse it with one of the covenant's reasons."""

    command_type: Literal["retention.decide-erasure"] = "retention.decide-erasure"
    schema_version: Literal[1] = 1
    case_id: UUID
    decided_by: str = Field(pattern=STAFF_ID, max_length=64)
    refused_for: RefusalReason | None = Field(default=None, description="None: carry the erasure out")


class ErasureDecided(Event):
    event_type: Literal["retention.erasure-decided"] = "retention.erasure-decided"
    schema_version: Literal[1] = 1
    outcome: Literal["granted", "refused"] = Field(description="granted: the purges that carry it out follow, each confirmed in the ledger")
    refused_for: RefusalReason | None
    decided_by: str


class RequestAccessExport(StaffCommand):
    """The person asks to see their data (Bijlage 3); `for_party` receives it, sealed for it. It
    must be the referrer or a party designated for the case's Casusoverleg (need to know)."""

    command_type: Literal["retention.request-access-export"] = "retention.request-access-export"
    schema_version: Literal[1] = 1
    case_id: UUID
    requested_by: str = Field(pattern=STAFF_ID, max_length=64)
    for_party: str = Field(pattern=PARTY_CODE, max_length=100)


class AccessExportRequested(Event):
    event_type: Literal["retention.access-export-requested"] = "retention.access-export-requested"
    schema_version: Literal[1] = 1
    request_id: UUID
    for_party: str
    requested_by: str


# --- retention to each service, on zorgtafel.purge.commands.v1 ---


class ExportCase(Command):
    """Open this service's data of the case and send it, sealed, to `for_party`'s inbox."""

    command_type: Literal["retention.export-case"] = "retention.export-case"
    schema_version: Literal[1] = 1
    case_id: UUID
    service: PurgeService
    request_id: UUID
    for_party: str = Field(pattern=PARTY_CODE, max_length=100)

    @property
    def key(self) -> str:
        return str(self.case_id)


class ExportCompleted(Event):
    """A service sent its part of an access export: how many texts, never which."""

    event_type: Literal["retention.export-completed"] = "retention.export-completed"
    schema_version: Literal[1] = 1
    request_id: UUID
    service: PurgeService
    item_count: int


class AccessExport(Notice):
    """On the requesting party's inbox: one service's part of the person's data (Bijlage 3).

    `content` is a JSON object `{"service": …, "items": {label: text}}` sealed with the party's
    transport key; aad = access_export_aad(request_id, service). Texts whose key was destroyed
    are gone: they are listed under `"purged"`. Items their supplier marked `do_not_share` (art.
    16.2) are listed under `"withheld"`, without their text: the person asks the supplier.
    """

    event_type: Literal["retention.access-export"] = "retention.access-export"
    schema_version: Literal[1] = 1
    request_id: UUID
    service: PurgeService
    item_count: int
    content: Sealed


class RetentionCommandRefused(Notice):
    event_type: Literal["retention.command-refused"] = "retention.command-refused"
    schema_version: Literal[1] = 1
    command_id: UUID
    command_type: str
    reason: Literal["unknown_case", "already_erased", "party_not_involved", "party_not_current"]


RightsEvent = ErasureDecided | AccessExportRequested | ExportCompleted | RetentionCommandRefused
