"""The Procesregisseur's commands to intake (covenant art. 12.2a), as the CLI and the demo send them.

Free text (a question, a reason for declining) is sealed for the hub before it goes on Kafka.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from types import TracebackType
from typing import Self

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate

from shared.contracts.envelope import Command
from shared.contracts.intake import (
    HUB_READER,
    AcceptReferral,
    AskReferrer,
    DeclineReferral,
    decline_aad,
    question_aad,
)
from shared.contracts.topics import INTAKE_COMMANDS
from shared.crypto import MasterKey, party_key, party_kid, seal_text
from shared.settings import ServiceSettings


class Procesregisseur:
    def __init__(self, settings: ServiceSettings, staff_id: str) -> None:
        self.staff_id = staff_id
        self._settings = settings
        master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
        self._hub_key = party_key(master, HUB_READER)
        self._producer: AIOKafkaProducer | None = None

    async def __aenter__(self) -> Self:
        self._producer = AIOKafkaProducer(bootstrap_servers=self._settings.kafka_bootstrap_servers, acks="all")
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        if self._producer is not None:
            await self._producer.stop()

    def _envelope(self) -> dict[str, object]:
        return {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}

    def accept(self, case_id: uuid.UUID) -> AcceptReferral:
        return AcceptReferral(**self._envelope(), case_id=case_id, decided_by=self.staff_id)  # type: ignore[arg-type]

    def decline(self, case_id: uuid.UUID, reason: str) -> DeclineReferral:
        sealed = seal_text(reason, self._hub_key, kid=party_kid(HUB_READER), aad=decline_aad(case_id))
        return DeclineReferral(**self._envelope(), case_id=case_id, decided_by=self.staff_id, reason=sealed)  # type: ignore[arg-type]

    def ask(self, case_id: uuid.UUID, question: str) -> AskReferrer:
        question_id = uuid.uuid4()
        sealed = seal_text(question, self._hub_key, kid=party_kid(HUB_READER), aad=question_aad(question_id))
        return AskReferrer(
            **self._envelope(),  # type: ignore[arg-type]
            case_id=case_id,
            question_id=question_id,
            asked_by=self.staff_id,
            question=sealed,
        )

    async def send(self, command: Command) -> None:
        if self._producer is None:
            raise RuntimeError("use `async with` first")
        headers = {"content-type": "application/json"}
        propagate.inject(headers)
        case_id = getattr(command, "case_id", None)
        await self._producer.send_and_wait(
            INTAKE_COMMANDS.named(self._settings.topic_prefix),
            command.model_dump_json().encode(),
            key=str(case_id).encode() if case_id else None,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )
