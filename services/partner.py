"""A reference partner client: how a party's system refers a case and reads the hub's answers.

It is what the README describes, as code: seal the personal data with the party's transport
key, publish on the party's own inbound topic, read the party's inbox topic. The demo and the
tests use it; a partner may copy it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from opentelemetry import propagate
from pydantic import BaseModel, SecretStr

from services.partner_keys import PartnerKeys
from shared.contracts.aanmelding import (
    CorrectReferral,
    Indicators,
    ReferralPersonalData,
    SubmitReferral,
    personal_aad,
)
from shared.contracts.casemeeting import (
    AnswerConsentRequest,
    ReportProgress,
    RespondToInvitation,
    SupplyInformation,
    item_aad,
)
from shared.contracts.envelope import Command
from shared.contracts.intake import AnswerQuestion, answer_aad
from shared.contracts.onboarding import OnboardingBundle
from shared.contracts.topics import partner_inbound, partner_inbox
from shared.contracts.triage import AnswerConsultation, consultation_answer_aad
from shared.crypto import MasterKey, Sealed, open_text, seal_model, seal_text
from shared.messaging.security import KafkaAccess


class PartnerSystem:
    def __init__(self, party: str, access: KafkaAccess, keys: PartnerKeys, topic_prefix: str = "") -> None:
        """`access`: the party's own principal on the broker (it may write only its inbound topic
        and read only its inbox); `keys`: its transport keys."""
        self.party = party
        self._access = access
        self.keys = keys
        self.inbound = partner_inbound(party).named(topic_prefix)
        self.inbox = partner_inbox(party).named(topic_prefix)
        self._producer: AIOKafkaProducer | None = None

    @classmethod
    def local(cls, party: str, access: KafkaAccess, master: MasterKey, topic_prefix: str = "") -> Self:
        """For the demo and tests: the transport key a local run derives for a party without an
        issued one."""
        return cls(party, access, PartnerKeys.local(party, master), topic_prefix)

    @classmethod
    def from_bundle(cls, bundle: OnboardingBundle) -> Self:
        """As a party's system is set up from its onboarding bundle alone."""
        broker = bundle.broker
        access = KafkaAccess(
            broker.bootstrap_servers, username=broker.username, password=SecretStr(broker.password),
            ca_pem=broker.ca_certificate_pem,
        )
        system = cls(bundle.party, access, PartnerKeys.from_bundle(bundle))
        system.inbound, system.inbox = bundle.topics.inbound, bundle.topics.inbox
        return system

    def _seal(self, raw: str | BaseModel, aad: bytes) -> Sealed:
        kid, key = self.keys.for_sealing()
        if isinstance(raw, BaseModel):
            return seal_model(raw, key, kid=kid, aad=aad)
        return seal_text(raw, key, kid=kid, aad=aad)

    async def __aenter__(self) -> Self:
        self._producer = AIOKafkaProducer(**self._access.aiokafka(), acks="all")
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._producer is not None:
            await self._producer.stop()

    def referral(
        self,
        reference: str,
        personal: ReferralPersonalData,
        *,
        municipality: str,
        indicators: Indicators,
        urgency: str = "regular",
    ) -> SubmitReferral:
        command_id = uuid.uuid4()
        return SubmitReferral(
            command_id=command_id,
            issued_at=datetime.now(UTC),
            referrer_reference=reference,
            municipality=municipality,
            indicators=indicators,
            urgency=urgency,  # type: ignore[arg-type]
            personal=self._seal(personal, personal_aad(command_id)),
        )

    def correction(self, reference: str, personal: ReferralPersonalData) -> CorrectReferral:
        """The corrected personal block of an earlier referral (the person's right to correction)."""
        command_id = uuid.uuid4()
        return CorrectReferral(
            command_id=command_id,
            issued_at=datetime.now(UTC),
            referrer_reference=reference,
            personal=self._seal(personal, personal_aad(command_id)),
        )

    def answer(self, question_id: uuid.UUID, text: str) -> AnswerQuestion:
        return AnswerQuestion(
            command_id=uuid.uuid4(),
            issued_at=datetime.now(UTC),
            question_id=question_id,
            answer=self._seal(text, answer_aad(question_id)),
        )

    def answer_consultation(self, consultation_id: uuid.UUID, text: str, assessment: Indicators) -> AnswerConsultation:
        """Answer a consultation (art. 12.2b): the text sealed for the hub, the criteria as seen."""
        return AnswerConsultation(
            command_id=uuid.uuid4(),
            issued_at=datetime.now(UTC),
            consultation_id=consultation_id,
            answer=self._seal(text, consultation_answer_aad(consultation_id)),
            assessment=assessment,
        )

    def _new(self) -> dict[str, Any]:
        return {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}

    def respond(self, invitation_id: uuid.UUID, attending: bool) -> RespondToInvitation:
        return RespondToInvitation(**self._new(), invitation_id=invitation_id, attending=attending)

    def supply(self, invitation_id: uuid.UUID, text: str, terms: str = "share_with_consent") -> SupplyInformation:
        """Supply an item of case information, deciding how it may be used (art. 16.2)."""
        item_id = uuid.uuid4()
        content = self._seal(text, item_aad(item_id))
        return SupplyInformation(**self._new(), invitation_id=invitation_id, item_id=item_id, content=content, terms=terms)  # type: ignore[arg-type]

    def consent(self, consent_id: uuid.UUID, granted: bool) -> AnswerConsentRequest:
        return AnswerConsentRequest(**self._new(), consent_id=consent_id, granted=granted)

    def progress(self, action_id: uuid.UUID, status: str) -> ReportProgress:
        return ReportProgress(**self._new(), action_id=action_id, status=status)  # type: ignore[arg-type]

    def open(self, sealed: Sealed, *, aad: bytes) -> str:
        """Read a text the hub sealed for this party (a question, a reason), with the key its kid
        names. Raises TransportKeyError for a kid this system holds no key for."""
        return open_text(sealed, self.keys.for_opening(sealed.kid), aad=aad)

    async def send(self, command: Command, headers: dict[str, str] | None = None) -> None:
        await self.send_raw(command.model_dump_json().encode(), headers)

    async def send_raw(self, value: bytes, headers: dict[str, str] | None = None) -> None:
        if self._producer is None:
            raise RuntimeError("use `async with` first")
        all_headers = {"content-type": "application/json", **(headers or {})}
        propagate.inject(all_headers)  # the hub continues this system's trace, if it has one
        await self._producer.send_and_wait(
            self.inbound, value, headers=[(k, v.encode()) for k, v in all_headers.items()]
        )

    async def read_inbox(self, *, idle_ms: int = 1000) -> list[dict[str, Any]]:
        """Everything on this party's inbox topic, oldest first (reads without a consumer group).

        A production partner system reads with its own consumer group and commits as it goes.
        """
        consumer = AIOKafkaConsumer(
            self.inbox, **self._access.aiokafka(), enable_auto_commit=False, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            records = []
            while batch := await consumer.getmany(timeout_ms=idle_ms):
                for items in batch.values():
                    records.extend(items)
            return [json.loads(r.value) for r in sorted(records, key=lambda r: (r.timestamp, r.offset))]
        finally:
            await consumer.stop()
