"""The Procesregisseur's commands for the Casusoverleg (covenant art. 8, 12.2c-h, 13), as a part
of the staff tools' client (services/procesregisseur.py): built here, signed and sent there.

Free text (a plan's actions, the afschaling criteria) is sealed for the hub before it leaves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from shared.contracts.casemeeting import (
    AdoptPlan,
    AppointCasusregisseur,
    CarryOver,
    DecideAfschaling,
    InviteParties,
    PlannedAction,
    RecordAttendance,
    ScheduleMeeting,
    SetAfschalingCriteria,
    ShareBeforehand,
    action_aad,
    meeting_text_aad,
)
from shared.crypto import Sealed


class CasusoverlegCommands:
    """Builders of the Casusoverleg's commands; the client supplies the envelope, the staff id,
    the sealing for the hub, and remembers which case each meeting it scheduled is about."""

    staff_id: str
    _meetings: dict[uuid.UUID, uuid.UUID]

    def _envelope(self) -> dict[str, object]:
        raise NotImplementedError

    def _seal_for(self, aad: bytes, text: str) -> Sealed:
        raise NotImplementedError


    def schedule(self, case_id: uuid.UUID, scheduled_at: datetime) -> ScheduleMeeting:
        command = ScheduleMeeting(
            **self._envelope(), case_id=case_id, meeting_id=uuid.uuid4(), scheduled_at=scheduled_at, by=self.staff_id  # type: ignore[arg-type]
        )
        self._meetings[command.meeting_id] = case_id  # its later commands continue the case's trace
        return command

    def invite(self, meeting_id: uuid.UUID, parties: Sequence[str]) -> InviteParties:
        return InviteParties(**self._envelope(), meeting_id=meeting_id, parties=tuple(parties), by=self.staff_id)  # type: ignore[arg-type]

    def share_beforehand(self, meeting_id: uuid.UUID, item_ids: Sequence[uuid.UUID]) -> ShareBeforehand:
        return ShareBeforehand(**self._envelope(), meeting_id=meeting_id, item_ids=tuple(item_ids), by=self.staff_id)  # type: ignore[arg-type]

    def attendance(
        self, meeting_id: uuid.UUID, present: Sequence[str], apologies: Sequence[str] = (), supplied: Sequence[uuid.UUID] = ()
    ) -> RecordAttendance:
        return RecordAttendance(
            **self._envelope(), meeting_id=meeting_id, present=tuple(present), apologies=tuple(apologies),  # type: ignore[arg-type]
            information_supplied=tuple(supplied), by=self.staff_id,
        )

    def appoint(self, meeting_id: uuid.UUID, party: str) -> AppointCasusregisseur:
        return AppointCasusregisseur(**self._envelope(), meeting_id=meeting_id, party=party, by=self.staff_id)  # type: ignore[arg-type]

    def action(self, party: str, deadline: date, description: str, information_need: str) -> PlannedAction:
        action_id = uuid.uuid4()
        return PlannedAction(
            action_id=action_id,
            responsible_party=party,
            deadline=deadline,
            description=self._seal_for(action_aad(action_id, "description"), description),
            information_need=self._seal_for(action_aad(action_id, "information_need"), information_need),
        )

    def adopt_plan(self, meeting_id: uuid.UUID, actions: Sequence[PlannedAction]) -> AdoptPlan:
        return AdoptPlan(**self._envelope(), meeting_id=meeting_id, actions=tuple(actions), by=self.staff_id)  # type: ignore[arg-type]

    def afschaling_criteria(self, case_id: uuid.UUID, meeting_id: uuid.UUID, criteria: str) -> SetAfschalingCriteria:
        sealed = self._seal_for(meeting_text_aad(case_id, "afschaling_criteria"), criteria)
        return SetAfschalingCriteria(**self._envelope(), meeting_id=meeting_id, criteria=sealed, by=self.staff_id)  # type: ignore[arg-type]

    def carry_over(self, meeting_id: uuid.UUID, actions: Sequence[tuple[uuid.UUID, str]]) -> CarryOver:
        return CarryOver(**self._envelope(), meeting_id=meeting_id, actions=tuple(actions), by=self.staff_id)  # type: ignore[arg-type]

    def afschaling(self, meeting_id: uuid.UUID) -> DecideAfschaling:
        return DecideAfschaling(**self._envelope(), meeting_id=meeting_id, by=self.staff_id)  # type: ignore[arg-type]
