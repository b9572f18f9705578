"""Audit contracts on `zorgtafel.audit.events.v1`: processing records and access records.

Two kinds, kept apart as the standards want (../shared/research/domain-anchors.md §1.4, §2.5):

* `ProcessingRecorded` is one record of the Logboek Dataverwerkingen (LDV, Logius): one action on
  personal data of at most one data subject, with the trace and span ids it shares with the
  OpenTelemetry trace, the versioned processing activity, and a pseudonymous subject id. It names
  no user (LDV decision "geen gebruikers in logregels").
* `AccessRecorded` is one line of the access log of NEN 7513 (ch. 5-7): who looked into or was
  given which part of a dossier, when, in which role, on whose behalf, on what authorisation,
  with what result. Covenant Bijlage 3: every look into a dossier is logged (which employee, which
  dossier, when) so that a breach's impact can be determined.

Neither carries a name, a date of birth or free text: only opaque or pseudonymous ids and the
hub's own vocabulary.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from shared.contracts.envelope import Notice
from shared.contracts.staff import STAFF_ID, StaffProof

HEX32, HEX16, HEX64 = r"^[0-9a-f]{32}$", r"^[0-9a-f]{16}$", r"^[0-9a-f]{64}$"
ACTIVITY_ID = r"^urn:zorgtafel:verwerkingsactiviteit:[a-z-]+:v[0-9]+$"
# Opaque item references: a kind and a UUID (e.g. "pre-read:6f1c…"), never a text.
Item = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z-]*(:[0-9a-f-]{36})?$", max_length=80)]


class ProcessingRecorded(Notice):
    """One LDV record (Logius "Logboek Dataverwerkingen", specificaties: log record fields).

    `start_time_ms`/`end_time_ms` are milliseconds since the Unix epoch; `end_time_ms` is when the
    processing's transaction staged the record (the work is done, the commit follows). `status` is
    LDV's (and OpenTelemetry's) Unset | Ok | Error.
    """

    event_type: Literal["audit.processing-recorded"] = "audit.processing-recorded"
    schema_version: Literal[1] = 1
    trace_id: str = Field(pattern=HEX32)
    span_id: str = Field(pattern=HEX16)
    parent_span_id: str | None = Field(default=None, pattern=HEX16)
    name: str = Field(max_length=120)
    status: Literal["Unset", "Ok", "Error"]
    start_time_ms: int = Field(ge=0)
    end_time_ms: int = Field(ge=0)
    service: str = Field(max_length=32)
    processing_activity_id: str = Field(pattern=ACTIVITY_ID)
    data_subject_id: str | None = Field(default=None, pattern=HEX64)
    data_subject_id_type: str | None = Field(default=None, max_length=64)

    @property
    def key(self) -> str | None:
        """Keyed by the pseudonymous subject, so one subject's records stay in order."""
        return self.data_subject_id


class AccessRecorded(Notice):
    """One NEN 7513 access event about one case (covenant Bijlage 3; NEN 7513:2018 ch. 7).

    `kind`: view (a person looked, e.g. a CLI show command), disclosure (the hub delivered case
    information to a party: pre-reads, consultation requests, its own actions), export (the
    person's access export, Bijlage 3), trail (the audit trail itself was opened). `actor` is a
    pseudonymous staff id or a party code; `on_behalf_of` the responsible user when the actor acts
    for someone else. `authorisation` names the covenant article that allows the access
    (NEN 7513's autorisatieprotocol). The case appears only as its pseudonym (`data_subject_id`,
    as in the processing records), here and in the Kafka key.
    """

    event_type: Literal["audit.access-recorded"] = "audit.access-recorded"
    schema_version: Literal[1] = 1
    data_subject_id: str = Field(pattern=HEX64)
    kind: Literal["view", "disclosure", "export", "trail"]
    actor: str = Field(pattern=STAFF_ID, max_length=64)
    actor_type: Literal["staff", "party"]
    role: str = Field(pattern=r"^[a-z][a-z-]*$", max_length=40)
    on_behalf_of: str | None = Field(default=None, pattern=STAFF_ID, max_length=64)
    view: str = Field(pattern=r"^[a-z][a-z0-9.-]*$", max_length=80, description="which view or which notice type")
    items: tuple[Item, ...] = Field(default=(), max_length=200)
    purpose: str = Field(pattern=r"^[a-z][a-z-]*$", max_length=40)
    authorisation: str = Field(max_length=80, description="the covenant article that allows it")
    result: Literal["success", "refused"] = "success"
    source: str = Field(max_length=32, description="the service or tool that recorded it")
    trace_id: str | None = Field(default=None, pattern=HEX32)
    span_id: str | None = Field(default=None, pattern=HEX16)
    # A staff member's own look is signed by them (shared/security/staff_identity.py): the audit
    # service stores whether the actor was proved. Records the hub makes itself carry none.
    proof: StaffProof | None = None

    @property
    def key(self) -> str | None:
        """Keyed by the pseudonymous subject, like the processing records: never the case id."""
        return self.data_subject_id



AUDIT_MESSAGES = {"audit.processing-recorded": ProcessingRecorded, "audit.access-recorded": AccessRecorded}
