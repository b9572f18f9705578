"""The access log (NEN 7513): every look into a dossier and every disclosure of it, as a record.

Covenant Bijlage 3 (MO Den Bosch): every look into a dossier is logged — which employee, which
dossier, when — so a breach's impact can be determined; NEN 7513:2018 ch. 5-7 adds the role, the
responsible user, the authorisation and the result. Disclosures to parties are recorded by the
hub itself when it stages the delivery (`Logboek.deliver`), in the same transaction, not left to
the recipient. What a party is told in answer to its own message (an acknowledgement, a rejection of
its message) discloses nothing of the dossier and is not a disclosure.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from opentelemetry import trace
from pydantic import BaseModel

from shared.contracts.audit import AccessRecorded
from shared.contracts.envelope import Notice

# What each notice to a party discloses: the party's role in the case and the article that allows
# it (NEN 7513's autorisatieprotocol). A notice type missing here is not a disclosure.
DISCLOSURES: dict[str, tuple[str, str]] = {
    "intake.question-to-referrer": ("referrer", "art. 12.2a"),
    "intake.referral-outcome": ("referrer", "art. 12.2a"),
    "triage.consultation-request": ("consulted-party", "art. 12.2b"),
    "triage.consultation-reminder": ("consulted-party", "art. 12.2b"),
    "triage.outcome": ("referrer", "art. 12.2b"),
    "meeting.invitation": ("invited-party", "art. 12.2e"),
    "meeting.consent-request": ("supplier", "art. 12.2f, 16.2"),
    "meeting.pre-read": ("invited-party", "art. 12.2f, 16.2"),
    "meeting.your-actions": ("responsible-party", "art. 8.4c"),
    "meeting.action-overdue": ("casusregisseur", "art. 13"),
    "retention.access-export": ("requester", "Bijlage 3 (right of access)"),
}
# Envelope ids say nothing of what was disclosed.
_ENVELOPE_IDS = {"event_id", "correlation_id", "causation_id"}


def items_of(notice: BaseModel) -> tuple[str, ...]:
    """The opaque ids a notice carries, as `kind:uuid` items (e.g. `pre-read` -> `item:…`).

    Fields named `*_id` holding a UUID, and the `action_id`s of an action list; never a text.
    """
    found: list[str] = []
    for name, value in notice:
        if name.endswith("_id") and name not in _ENVELOPE_IDS and isinstance(value, uuid.UUID):
            found.append(f"{name[:-3].replace('_', '-')}:{value}")
        elif isinstance(value, tuple):
            found += [f"action:{v.action_id}" for v in value if isinstance(getattr(v, "action_id", None), uuid.UUID)]
    return tuple(found)


def _current_ids() -> dict[str, Any]:
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": trace.format_trace_id(context.trace_id), "span_id": trace.format_span_id(context.span_id)}


def access_record(
    data_subject_id: str,
    *,
    kind: Literal["view", "disclosure", "export", "trail"],
    actor: str,
    actor_type: Literal["staff", "party"],
    role: str,
    view: str,
    purpose: str,
    authorisation: str,
    source: str,
    items: tuple[str, ...] = (),
    on_behalf_of: str | None = None,
) -> AccessRecorded:
    """One access record, tied to the current trace (NEN 7513 ch. 7: event, user, object, source).

    Raises pydantic's ValidationError for an actor, role or view outside the contract's patterns
    (a name instead of a pseudonymous id is refused, not logged).
    """
    ids = _current_ids()
    return AccessRecorded(
        data_subject_id=data_subject_id, producer=source, source=source,
        correlation_id=uuid.UUID(hex=ids["trace_id"]) if ids else uuid.uuid4(),
        kind=kind, actor=actor, actor_type=actor_type, role=role, on_behalf_of=on_behalf_of, view=view,
        items=items, purpose=purpose, authorisation=authorisation, **ids,
    )


def disclosure(data_subject_id: str, party: str, notice: Notice, source: str) -> AccessRecorded | None:
    """The access record of delivering `notice` about the case whose pseudonym is
    `data_subject_id` to `party`, or None when the notice discloses nothing of the dossier (not in
    `DISCLOSURES`)."""
    known = DISCLOSURES.get(notice.event_type)
    if known is None:
        return None
    role, authorisation = known
    export = notice.event_type == "retention.access-export"
    return access_record(
        data_subject_id, kind="export" if export else "disclosure", actor=party, actor_type="party", role=role,
        view=notice.event_type, purpose="inzage-betrokkene" if export else "zorgtafel-casus",
        authorisation=authorisation, source=source, items=items_of(notice),
    )
