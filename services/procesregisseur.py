"""The Procesregisseur's commands (covenant art. 12.2a-e), as the CLI and the demo send them.

Free text (a question, a reason for declining) is sealed for the hub before it goes on Kafka.
Every command is signed with the staff member's own key (shared/security/staff_identity.py), so
the services carry it out as that person's, or refuse it.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Literal, Self

from aiokafka import AIOKafkaProducer
from opentelemetry import propagate
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from services.procesregisseur_answers import Answers, answers_for
from services.procesregisseur_meeting import CasusoverlegCommands
from shared.audit.access import access_record
from shared.contracts.envelope import Command
from shared.contracts.intake import (
    HUB_READER,
    AcceptReferral,
    AskReferrer,
    DeclineReferral,
    decline_aad,
    question_aad,
)
from shared.contracts.rights import DecideErasure, RefusalReason, RequestAccessExport
from shared.contracts.staff import StaffCommand, StaffCommandAnswered
from shared.contracts.topics import AUDIT_EVENTS
from shared.contracts.triage import (
    ConsultParties,
    DecideTriage,
    DecisionType,
    EscalateCase,
    MeetingBrief,
    triage_text_aad,
)
from shared.crypto import MasterKey, Sealed, seal_text
from shared.crypto.transport_keyring_file import TransportKeys
from shared.security.acls import STAFF
from shared.security.staff_identity import command_topic, judge_proof, required_role, sign, sign_record
from shared.security.staff_register import StaffRegisterError, load_register, load_signing_key
from shared.settings import ServiceSettings
from shared.telemetry.processing import Pseudonymizer


class StaffCommandRefusedError(RuntimeError):
    """The staff register says the services would refuse this command; it was not sent."""


class Procesregisseur(CasusoverlegCommands):
    """The staff tools' side of the hub for one staff member, whose private key must be on this
    machine (`zorgtafel staff enrol <staff-id>`); StaffKeyError when it is not."""

    def __init__(self, settings: ServiceSettings, staff_id: str) -> None:
        self.staff_id = staff_id
        self._signing_key = load_signing_key(settings.staff_key_file(staff_id))
        self._settings = settings
        master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
        self._transport = TransportKeys.from_settings(settings, master)  # what it seals, the hub opens
        self._producer: AIOKafkaProducer | None = None
        self._open = contextlib.AsyncExitStack()
        self._answers: Answers | None = None  # opened by the first command that waits for its answer
        self._meetings: dict[uuid.UUID, uuid.UUID] = {}  # meetings this tool scheduled, by case
        self._traces: dict[uuid.UUID, str] = {}  # each case's traceparent, once looked up

    async def __aenter__(self) -> Self:
        # The staff tools' principal: the command topics and the audit topic, nothing else.
        self._producer = AIOKafkaProducer(**self._settings.kafka_access(STAFF).aiokafka(), acks="all")
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self._open.aclose()
        self._answers = None
        if self._producer is not None:
            await self._producer.stop()

    def _envelope(self) -> dict[str, object]:
        return {"command_id": uuid.uuid4(), "issued_at": datetime.now(UTC)}

    def accept(self, case_id: uuid.UUID) -> AcceptReferral:
        return AcceptReferral(**self._envelope(), case_id=case_id, decided_by=self.staff_id)  # type: ignore[arg-type]

    def decline(self, case_id: uuid.UUID, reason: str) -> DeclineReferral:
        sealed = self._seal_for(decline_aad(case_id), reason)
        return DeclineReferral(**self._envelope(), case_id=case_id, decided_by=self.staff_id, reason=sealed)  # type: ignore[arg-type]

    def ask(self, case_id: uuid.UUID, question: str) -> AskReferrer:
        question_id = uuid.uuid4()
        sealed = self._seal_for(question_aad(question_id), question)
        return AskReferrer(
            **self._envelope(),  # type: ignore[arg-type]
            case_id=case_id,
            question_id=question_id,
            asked_by=self.staff_id,
            question=sealed,
        )

    def _seal(self, case_id: uuid.UUID, field: str, text: str) -> Sealed:
        return self._seal_for(triage_text_aad(case_id, field), text)

    def consult(
        self, case_id: uuid.UUID, parties: Sequence[str], question: str, answer_before: datetime | None = None
    ) -> ConsultParties:
        """Ask parties one question (art. 12.2b)."""
        return ConsultParties(
            **self._envelope(),  # type: ignore[arg-type]
            case_id=case_id,
            question_id=uuid.uuid4(),
            parties=tuple(parties),
            question=self._seal(case_id, "question", question),
            answer_before=answer_before,
            asked_by=self.staff_id,
        )

    def to_casusoverleg(
        self,
        case_id: uuid.UUID,
        *,
        goal: str,
        themes: Sequence[str],
        decision_types: Sequence[DecisionType],
        invite: Sequence[str],
        justification: str | None = None,
    ) -> DecideTriage:
        """Route the case to a Casusoverleg with its goal, themes, decision types, invitations (12.2c, e)."""
        brief = MeetingBrief(
            goal=self._seal(case_id, "goal", goal),
            themes=tuple(themes),
            decision_types=tuple(decision_types),
            invite=tuple(invite),
        )
        return DecideTriage(
            **self._envelope(),  # type: ignore[arg-type]
            case_id=case_id,
            route="casusoverleg",
            decided_by=self.staff_id,
            meeting=brief,
            justification=self._seal(case_id, "justification", justification) if justification else None,
        )

    def not_a_zorgtafel_case(self, case_id: uuid.UUID, reason: str, justification: str | None = None) -> DecideTriage:
        return DecideTriage(
            **self._envelope(),  # type: ignore[arg-type]
            case_id=case_id,
            route="not_a_zorgtafel_case",
            decided_by=self.staff_id,
            reason=self._seal(case_id, "reason", reason),
            justification=self._seal(case_id, "justification", justification) if justification else None,
        )

    def escalate(self, case_id: uuid.UUID, house: str | None = None) -> EscalateCase:
        """Opschaling to a Zorg- en Veiligheidshuis; by default the one of the municipality."""
        return EscalateCase(**self._envelope(), case_id=case_id, decided_by=self.staff_id, house=house)  # type: ignore[arg-type]

    def erasure(self, case_id: uuid.UUID, refused_for: RefusalReason | None = None) -> DecideErasure:
        """The person's erasure request, carried out or refused with the covenant's reason (Bijlage 3)."""
        return DecideErasure(**self._envelope(), case_id=case_id, decided_by=self.staff_id, refused_for=refused_for)  # type: ignore[arg-type]

    def access_export(self, case_id: uuid.UUID, for_party: str) -> RequestAccessExport:
        """The person asks to see their data; `for_party` receives it sealed for it (Bijlage 3)."""
        return RequestAccessExport(**self._envelope(), case_id=case_id, requested_by=self.staff_id, for_party=for_party)  # type: ignore[arg-type]

    async def log_view(self, case_id: uuid.UUID, view: str, *, kind: Literal["view", "trail"] = "view") -> None:
        """Record a look into the dossier before it is shown (Bijlage 3: every look is logged; NEN
        7513: who, which dossier, when, in which role). Waits for the broker's acknowledgement
        (acks=all): when the record cannot be written, nothing is shown."""
        if self._producer is None:
            raise RuntimeError("use `async with` first")
        subject = Pseudonymizer(self._settings.pseudonym_key.get_secret_value().encode()).subject_id(case_id)
        record = sign_record(access_record(
            subject, kind=kind, actor=self.staff_id, actor_type="staff", role="procesregisseur", view=view,
            purpose="zorgtafel-casus", authorisation="art. 12.2 (Procesregisseur)", source="cli",
        ), self._signing_key, self._settings.topic_prefix)  # the audit service checks who looked
        await self._producer.send_and_wait(
            AUDIT_EVENTS.named(self._settings.topic_prefix),
            record.model_dump_json().encode(),
            key=subject.encode(),  # the pseudonym, never the case id (docs/decisions/0008)
            headers=[("content-type", b"application/json")],
        )

    def _seal_for(self, aad: bytes, text: str) -> Sealed:
        kid, key = self._transport.for_sealing(HUB_READER)
        return seal_text(text, key, kid=kid, aad=aad)

    def signed(self, command: StaffCommand) -> StaffCommand:
        """`command` with this staff member's proof (art. 12.2: the hub knows who decided)."""
        return sign(command, self.staff_id, self._signing_key, self._settings.topic_prefix)

    async def send(self, command: StaffCommand) -> None:
        """Sign `command` (unless it carries a proof already) and publish it. Raises
        StaffCommandRefusedError, before anything is sent, when the staff register on this
        machine already says the services will refuse it (a revoked, expired or replaced key, a
        role the staff member lacks): the refusal would otherwise only show on the audit topic."""
        signed = command if command.proof is not None else self.signed(command)
        self._check_locally(signed)
        await self.publish(signed)

    async def carry_out(self, command: StaffCommand, timeout_s: float) -> StaffCommandAnswered | None:
        """`send` the command and wait up to `timeout_s` seconds for the service's answer
        (docs/decisions/0016): carried out, or refused with a reason code; None when no answer
        came in time. Raises StaffCommandRefusedError (nothing sent) as `send` does, and
        AnswersUnavailableError, before anything is sent, when the answers cannot be read."""
        if self._answers is None:  # its end is taken before the first command leaves
            self._answers = await self._open.enter_async_context(
                answers_for(self._settings.kafka_access(STAFF), self._settings.topic_prefix)
            )
        self._answers.expect(command.command_id)
        await self.send(command)
        return await self._answers.answer_to(command.command_id, timeout_s)

    def _check_locally(self, command: StaffCommand) -> None:
        try:
            register = load_register(self._settings.staff_register_file())
        except StaffRegisterError:
            return  # the services judge it (and wait for a register they can trust)
        if not register.staff:
            return  # no register on this machine: the services' is the only one
        reason = judge_proof(
            command, command.model_dump(mode="json"), register, topic_prefix=self._settings.topic_prefix,
            now=datetime.now(UTC), max_age=timedelta(seconds=self._settings.staff_command_max_age_s),
        )
        if reason is not None:
            needs = f": {command.command_type} needs the role {required_role(command.command_type)}" if reason == "role_not_allowed" else ""
            raise StaffCommandRefusedError(f"the staff register refuses this command ({reason}{needs}); nothing was sent")

    async def publish(self, command: Command) -> None:
        """Publish `command` as it is (acks=all). A command about a case continues the case's trace
        (the referral's, kept by intake), so one trace holds the case from the partner's publish on."""
        if self._producer is None:
            raise RuntimeError("use `async with` first")
        headers = {"content-type": "application/json"}
        propagate.inject(headers, context=await self._case_context(command))
        case_id = getattr(command, "case_id", None)
        await self._producer.send_and_wait(
            command_topic(command.command_type).named(self._settings.topic_prefix),
            command.model_dump_json().encode(),
            key=str(case_id).encode() if case_id else None,
            headers=[(k, v.encode()) for k, v in headers.items()],
        )

    async def _case_context(self, command: Command) -> Context | None:
        """The trace context of the command's case, through intake's and the Casusoverleg's read
        sides; None (the command starts its own trace) when the case or its trace is not known
        here, e.g. when this tool cannot reach those databases."""
        from sqlalchemy.exc import SQLAlchemyError

        from services.casemeeting.view import case_of_meeting
        from services.intake.view import case_trace
        from shared.persistence.database import DatabaseMissingError

        try:
            case_id = getattr(command, "case_id", None)
            meeting_id = getattr(command, "meeting_id", None)
            if case_id is None and meeting_id is not None:
                case_id = self._meetings.get(meeting_id) or await case_of_meeting(meeting_id, self._settings)
                if case_id is not None:
                    self._meetings[meeting_id] = case_id
            parent = self._traces.get(case_id) if case_id else None
            if case_id and parent is None:  # a case's trace never changes: read once per tool
                parent = await case_trace(case_id, self._settings)
                if parent:
                    self._traces[case_id] = parent
        except (DatabaseMissingError, SQLAlchemyError, OSError):
            return None
        return TraceContextTextMapPropagator().extract({"traceparent": parent}) if parent else None
