"""The topic registry: one naming convention, a version in every name.

Convention: ``zorgtafel.<stream>.<kind>.v<N>``, where kind is ``events`` (facts),
``commands`` (requests to one service), ``answers`` (what the services answered the staff's
commands), ``inbound`` (a party writes to the hub) or ``inbox`` (the hub writes to a party). A party's topics carry its code as the stream:
``zorgtafel.partner.<party-code>.inbound.v1``. The owner of an inbound topic is the party
that refers, never a field in the payload, so no party can refer in another's name.

The broker runs with ``auto.create.topics.enable=false``: a misspelt topic is an error,
not a new topic nobody reads. Topics are created from this registry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX = "zorgtafel"
_PARTY_CODE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Topic:
    name: str
    description: str
    partitions: int = 3

    def named(self, prefix: str = "") -> str:
        """The name on the broker, in an environment that namespaces its topics."""
        return f"{prefix}{self.name}"


AANMELDING_EVENTS = Topic(f"{PREFIX}.aanmelding.events.v1", "Referrals (aanmeldingen) the hub received")
INTAKE_EVENTS = Topic(f"{PREFIX}.intake.events.v1", "Intake judgements: accepted, declined, questions")
# Command topics have one partition: commands are few and issued by people, and one order per
# topic means a command never overtakes the one it follows (invite before schedule, exclude
# before admit), whatever it is keyed by.
INTAKE_COMMANDS = Topic(
    f"{PREFIX}.intake.commands.v1", "Commands to intake: the Procesregisseur's judgements, register changes", 1
)
TRIAGE_EVENTS = Topic(f"{PREFIX}.triage.events.v1", "Triage: consultation, criteria, routing decision")
TRIAGE_COMMANDS = Topic(f"{PREFIX}.triage.commands.v1", "Commands of the Procesregisseur to triage", 1)
MEETING_EVENTS = Topic(f"{PREFIX}.meeting.events.v1", "Casusoverleg: preparation, invitations, decisions")
MEETING_COMMANDS = Topic(f"{PREFIX}.meeting.commands.v1", "Commands for the Casusoverleg", 1)
PLAN_OF_ACTION_EVENTS = Topic(f"{PREFIX}.plan-of-action.events.v1", "Plan van aanpak: actions and progress")
AFSCHALING_EVENTS = Topic(f"{PREFIX}.afschaling.events.v1", "Afschaling decisions: what must be cleansed")
RETENTION_EVENTS = Topic(f"{PREFIX}.retention.events.v1", "Proof of purges (no personal data)")
# Keyed by case: a case's purges reach each service in the order retention issued them.
PURGE_COMMANDS = Topic(f"{PREFIX}.purge.commands.v1", "Retention asks each service to purge a case's data")
RETENTION_COMMANDS = Topic(f"{PREFIX}.retention.commands.v1", "The person's rights: erasure decisions of staff", 1)
# What each service answered each staff command (carried out, or refused with a reason code), for
# the staff tool that sent it and waits (issue 14). One partition: a tool reads it from the end it
# saw before sending, without a consumer group (docs/decisions/0016).
STAFF_ANSWERS = Topic(
    f"{PREFIX}.staff.answers.v1", "Answers to staff commands: carried out, or refused with a reason code", 1
)
REGISTER_EVENTS = Topic(f"{PREFIX}.register.events.v1", "The register of parties: admitted, left, excluded")
AUDIT_EVENTS = Topic(f"{PREFIX}.audit.events.v1", "Processing records and access to dossiers")
DEAD_LETTER = Topic(
    f"{PREFIX}.dead-letter.v1",
    "Messages no consumer could process, with the reason and origin in headers",
    partitions=1,
)

HUB_TOPICS: tuple[Topic, ...] = (
    AANMELDING_EVENTS,
    INTAKE_EVENTS,
    INTAKE_COMMANDS,
    TRIAGE_EVENTS,
    TRIAGE_COMMANDS,
    MEETING_EVENTS,
    MEETING_COMMANDS,
    PLAN_OF_ACTION_EVENTS,
    AFSCHALING_EVENTS,
    RETENTION_EVENTS,
    PURGE_COMMANDS,
    RETENTION_COMMANDS,
    STAFF_ANSWERS,
    REGISTER_EVENTS,
    AUDIT_EVENTS,
    DEAD_LETTER,
)

# FastStream pattern for every party's inbound topic, so a party admitted later is consumed
# without a restart. FastStream's pattern syntax is loose; `party_of_inbound_topic` is strict.
PARTNER_INBOUND_PATTERN = f"{PREFIX}.partner.{{party}}.inbound.v1"
PARTNER_INBOX_PATTERN = f"{PREFIX}.partner.{{party}}.inbox.v1"
_INBOUND = re.compile(rf"^{PREFIX}\.partner\.(?P<code>[a-z0-9]+(?:-[a-z0-9]+)*)\.inbound\.v1$")


class InvalidPartyCodeError(ValueError):
    """A party code must be a lower-case slug (letters, digits, single hyphens)."""


def _checked(code: str) -> str:
    if not _PARTY_CODE.match(code):
        raise InvalidPartyCodeError("party code must be a lower-case slug")
    return code


def partner_inbound(party_code: str) -> Topic:
    """Where a party publishes to the hub (referrals, answers)."""
    # One partition: a party's messages stay in the order it sent them, and 68 parties stay cheap.
    return Topic(f"{PREFIX}.partner.{_checked(party_code)}.inbound.v1", f"{party_code} writes to the hub", 1)


def partner_inbox(party_code: str) -> Topic:
    """Where the hub writes to a party (outcomes, questions, invitations)."""
    return Topic(f"{PREFIX}.partner.{_checked(party_code)}.inbox.v1", f"The hub writes to {party_code}", 1)


def party_of_inbound_topic(topic: str, prefix: str = "") -> str | None:
    """The party that owns an inbound topic, or None when the topic is not an inbound topic."""
    if not topic.startswith(prefix):
        return None
    match = _INBOUND.match(topic[len(prefix) :])
    return match.group("code") if match else None


def partner_topics(party_codes: list[str] | tuple[str, ...]) -> tuple[Topic, ...]:
    return tuple(t for code in party_codes for t in (partner_inbound(code), partner_inbox(code)))
