"""Everything a party's own system sends to the hub and reads from it: the partner contract.

One registry, so the published JSON Schemas (docs/schemas, `zorgtafel schemas`), the AsyncAPI
document and the tests that hold the hub to those schemas cannot leave a message out (issue 12:
five of a party's own commands were once missing from the documents).
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter

from shared.contracts.aanmelding import CorrectReferral, ReferralPersonalData, SubmitReferral
from shared.contracts.casemeeting import (
    AnswerConsentRequest,
    MeetingInboxNotice,
    ReportProgress,
    RespondToInvitation,
    SupplyInformation,
)
from shared.contracts.envelope import Command
from shared.contracts.inbound import MessageAcknowledged
from shared.contracts.intake import AnswerQuestion, InboxNotice
from shared.contracts.onboarding import OnboardingBundle
from shared.contracts.partner_examples import BUNDLE_EXAMPLE, EXAMPLES, NOTICE_EXAMPLES, SEALED_EXAMPLES
from shared.contracts.rights import AccessExport
from shared.contracts.triage import AnswerConsultation, TriageInboxNotice

# What a party writes on its inbound topic, by command type (the owner is in inbound.py).
PARTNER_COMMANDS: dict[str, type[Command]] = {
    "aanmelding.submit-referral": SubmitReferral,
    "aanmelding.correct-referral": CorrectReferral,
    "intake.answer-question": AnswerQuestion,
    "triage.answer-consultation": AnswerConsultation,
    "meeting.respond-to-invitation": RespondToInvitation,
    "meeting.supply-information": SupplyInformation,
    "meeting.answer-consent-request": AnswerConsentRequest,
    "meeting.report-progress": ReportProgress,
}
DIALECT = "https://json-schema.org/draft/2020-12/schema"
# What a party reads on its inbox topic.
PartnerNotice = InboxNotice | TriageInboxNotice | MeetingInboxNotice | AccessExport | MessageAcknowledged
# Sealed content with a structure of its own (the rest of what a party seals is text).
SEALED_CONTENT: dict[str, type[BaseModel]] = {"referral-personal-data": ReferralPersonalData}


def notice_models() -> dict[str, type[BaseModel]]:
    """Every notice a party may read on its inbox, by event type (the members of PartnerNotice)."""

    def members(union: Any) -> list[type[BaseModel]]:
        origin = get_origin(union)
        if origin is not None and origin not in (Union, types.UnionType):  # Annotated[Union[...], discriminator]
            return members(get_args(union)[0])
        if origin in (Union, types.UnionType):
            return [m for arg in get_args(union) for m in members(arg)]
        return [union]

    return {m.model_fields["event_type"].default: m for m in members(PartnerNotice)}


def schema_files() -> dict[str, dict[str, Any]]:
    """The JSON Schema (2020-12) of every partner message, by file name in docs/schemas, each with
    an example (shared/contracts/partner_examples.py)."""
    files = {
        f"{t.split('.', 1)[1]}.v1.json": {**m.model_json_schema(), "examples": [EXAMPLES[t]]}
        for t, m in PARTNER_COMMANDS.items()
    }
    files.update({
        f"{name}.v1.json": {**m.model_json_schema(), "examples": [SEALED_EXAMPLES[name]]} for name, m in SEALED_CONTENT.items()
    })
    files["inbox-notice.v1.json"] = {**TypeAdapter(PartnerNotice).json_schema(), "examples": list(NOTICE_EXAMPLES.values())}
    # Not a message: the file an administrator hands a party (services/partner_onboarding.py).
    files["onboarding-bundle.v1.json"] = {**OnboardingBundle.model_json_schema(), "examples": [BUNDLE_EXAMPLE]}
    # Say which dialect each is, for a validator that does not assume it.
    return {name: {"$schema": DIALECT, **schema} for name, schema in files.items()}
