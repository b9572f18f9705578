"""Kafka adapters of the Casusoverleg: triage decisions, register facts, commands, party messages."""

from __future__ import annotations

from typing import Any

import structlog
from faststream.kafka import KafkaMessage, KafkaRouter

from services.casemeeting.config import SERVICE
from services.casemeeting.service import Casusoverleg
from shared.contracts.casemeeting import (
    AdoptPlan,
    AppointCasusregisseur,
    CarryOver,
    DecideAfschaling,
    InviteParties,
    MeetingInboxNotice,
    RecordAttendance,
    ScheduleMeeting,
    SetAfschalingCriteria,
    ShareBeforehand,
)
from shared.contracts.casemeeting_events import AfschalingDecided, MeetingEvent, PlanEvent
from shared.contracts.topics import (
    AFSCHALING_EVENTS,
    MEETING_COMMANDS,
    MEETING_EVENTS,
    PARTNER_INBOX_PATTERN,
    PLAN_OF_ACTION_EVENTS,
    TRIAGE_EVENTS,
)
from shared.contracts.triage import TriageDecided
from shared.messaging.batched import batch_consumer, party_consumer, typed
from shared.messaging.routing import of_type, reject_unknown_command
from shared.register.follow import follow_register
from shared.register.store import RegisterStore
from shared.runtime import Runtime
from shared.security.staff_gate import staff_commands
from shared.telemetry.processing import Activity, record_processing

log = structlog.get_logger(__name__)
COMMANDS: dict[str, Any] = {
    "meeting.schedule": ScheduleMeeting,
    "meeting.invite": InviteParties,
    "meeting.share-beforehand": ShareBeforehand,
    "meeting.record-attendance": RecordAttendance,
    "meeting.appoint-casusregisseur": AppointCasusregisseur,
    "meeting.adopt-plan": AdoptPlan,
    "meeting.set-afschaling-criteria": SetAfschalingCriteria,
    "meeting.carry-over": CarryOver,
    "meeting.decide-afschaling": DecideAfschaling,
}
# The processing activity of each command (the register's activities follow the covenant's steps:
# the plan van aanpak, art. 8.4b-c, 13; afschaling, art. 1.2, 8.4d; the rest prepares and holds
# the Casusoverleg, art. 8, 9, 12.2c-f).
ACTIVITIES: dict[str, str] = {
    "meeting.adopt-plan": Activity.PLAN_VAN_AANPAK,
    "meeting.carry-over": Activity.PLAN_VAN_AANPAK,
    "meeting.set-afschaling-criteria": Activity.AFSCHALING,
    "meeting.decide-afschaling": Activity.AFSCHALING,
}


def build_router(runtime: Runtime, overleg: Casusoverleg, register: RegisterStore) -> KafkaRouter:
    router = KafkaRouter()
    for topic, title, schema in (
        (MEETING_EVENTS.name, "meeting-events", MeetingEvent),
        (PLAN_OF_ACTION_EVENTS.name, "plan-of-action-events", PlanEvent),
        (AFSCHALING_EVENTS.name, "AfschalingDecided", AfschalingDecided),
        (PARTNER_INBOX_PATTERN, "meeting-to-partner", MeetingInboxNotice),
    ):
        router.publisher(topic, schema=schema, title=f"{topic}:{title}")

    triage_inbox = runtime.inbox("triage-events")

    async def prepare(event: TriageDecided) -> bool:
        with record_processing(runtime.tracer, "prepare casusoverleg", Activity.CASUSOVERLEG, runtime.pseudonymizer, event.case_id):
            return await overleg.on_triage_decided(triage_inbox, event)

    batch_consumer(
        runtime, router, "triage-events", TRIAGE_EVENTS.name,
        parse=typed({"triage.decided": TriageDecided}), step=prepare,
        done=lambda event, prepared: log.info("meeting.prepared", case_id=str(event.case_id), prepared=prepared),
    )
    follow_register(runtime, router, register)

    commands = staff_commands(runtime, router, MEETING_COMMANDS)

    def register_command(command_type: str, model: Any) -> None:
        async def on_command(body: Any, msg: KafkaMessage) -> None:
            activity = ACTIVITIES.get(command_type, Activity.CASUSOVERLEG)
            with record_processing(runtime.tracer, command_type, activity, runtime.pseudonymizer):
                refusal = await runtime.staff_gate.carry_out(body, msg, overleg.handle)
            runtime.relay.wake()
            log.info("meeting.command", command_type=command_type, refusal=refusal)

        # The annotation tells FastStream which contract to validate (and to document).
        on_command.__annotations__["body"] = model
        on_command.__name__ = f"on_{command_type.replace('.', '_').replace('-', '_')}"
        commands(filter=of_type(command_type))(on_command)

    for command_type, model in COMMANDS.items():
        register_command(command_type, model)
    commands(reject_unknown_command)

    party_inbox = runtime.inbox("inbound")

    async def receive(message: tuple[str, dict[str, Any], tuple[str, int, int]]) -> str:
        party, body, origin = message
        with record_processing(runtime.tracer, "receive from party", Activity.CASUSOVERLEG, runtime.pseudonymizer):
            return await overleg.receive(party_inbox, party, body, origin)

    # Only the Casusoverleg's own types: the others on the shared topic are left untouched.
    party_consumer(
        runtime, router, SERVICE, step=receive,
        done=lambda message, outcome: log.info("meeting.party_message", party=message[0], outcome=outcome),
    )

    return router
