"""The broker's access rules as data: which principal may do which operation on which resource.

Nothing here is written by hand per topic. A service's rules come from its own code (the topics
its subscribers read with their consumer groups, the topics its publishers write); a party's from
the register (its own inbound topic to write, its own inbox to read, under its own consumer-group
prefix). The README's promise that "no party can refer in another's name" rests on these: the
owner of an inbound topic is the referrer (shared/contracts/topics.py), and only that party's
principal may write it. Covenant art. 12 and 15 (a party sees only what its role needs) and
art. 23.2 (an excluded party loses access at once: it has no rules and no credential).

Names follow Kafka's ACL model: a principal (`User:<name>`), a resource type, a pattern type
(LITERAL or PREFIXED), a resource name and an operation, always ALLOW: with
`allow.everyone.if.no.acl.found=false` whatever is not allowed is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from shared.contracts.topics import (
    AUDIT_EVENTS,
    DEAD_LETTER,
    INTAKE_COMMANDS,
    MEETING_COMMANDS,
    PREFIX,
    RETENTION_COMMANDS,
    STAFF_ANSWERS,
    TRIAGE_COMMANDS,
    Topic,
    partner_inbound,
    partner_inbox,
)

ResourceType = Literal["TOPIC", "GROUP", "CLUSTER"]
PatternType = Literal["LITERAL", "PREFIXED"]
Operation = Literal["READ", "WRITE", "DESCRIBE", "DESCRIBE_CONFIGS", "CREATE", "ALTER_CONFIGS"]

# The broker's own principal and the one `zorgtafel security apply` acts as: super users, never
# used by a service, a party or a staff tool.
BROKER = "zt-broker"
ADMIN = "zt-admin"
# The Procesregisseur's tools publish commands (and the access records of what staff looked at).
STAFF = "zt-staff"
# Operations watch consumer groups, lag and dead letters; they change nothing.
OPERATIONS = "zt-operations"
# What staff may command: the command topics of the hub's services, nothing else.
STAFF_COMMAND_TOPICS: tuple[Topic, ...] = (INTAKE_COMMANDS, TRIAGE_COMMANDS, MEETING_COMMANDS, RETENTION_COMMANDS)


def service_principal(service: str) -> str:
    return f"zt-{service}"


def party_principal(party_code: str) -> str:
    """A party's principal on the broker: its register code. Raises InvalidPartyCodeError for a
    code that is not topic-safe, so no principal can be named into another's namespace."""
    partner_inbound(party_code)  # validates the code
    return f"party-{party_code}"


def party_group_prefix(party_code: str, group_prefix: str) -> str:
    """The consumer groups a party may use to read its inbox: `<prefix>.partner.<code>.`."""
    return f"{group_prefix}.partner.{party_code}."


@dataclass(frozen=True, order=True)
class AclEntry:
    """One ALLOW rule. `principal` is the bare name (the broker's is `User:<principal>`)."""

    principal: str
    resource_type: ResourceType
    pattern_type: PatternType
    resource_name: str
    operation: Operation


@dataclass(frozen=True)
class Endpoints:
    """What one service's code reads and writes, with the environment's prefix applied.

    `reads`: topic names its subscribers read; `reads_every_inbound`: it reads every admitted
    party's inbound topic (a pattern subscription); `groups`: its consumer group ids; `writes`:
    topic names its publishers write; `writes_every_inbox`: it writes to parties' inboxes.
    """

    service: str
    reads: frozenset[str]
    groups: frozenset[str]
    writes: frozenset[str]
    reads_every_inbound: bool = False
    writes_every_inbox: bool = False


def service_acls(endpoints: Endpoints, parties: Iterable[str], topic_prefix: str) -> set[AclEntry]:
    """A service reads only what it subscribes to, in its own consumer groups, and writes only
    what it publishes. Per-party topics are literal rules per admitted party: a pattern
    subscription sees only the topics its principal may describe, so a party that left or was
    excluded drops out of the service's subscription too."""
    who = service_principal(endpoints.service)
    rules = {AclEntry(who, "TOPIC", "LITERAL", name, "READ") for name in endpoints.reads}
    rules |= {AclEntry(who, "GROUP", "LITERAL", group, "READ") for group in endpoints.groups}
    rules |= {AclEntry(who, "TOPIC", "LITERAL", name, "WRITE") for name in endpoints.writes}
    for party in parties:
        if endpoints.reads_every_inbound:
            rules.add(AclEntry(who, "TOPIC", "LITERAL", partner_inbound(party).named(topic_prefix), "READ"))
        if endpoints.writes_every_inbox:
            rules.add(AclEntry(who, "TOPIC", "LITERAL", partner_inbox(party).named(topic_prefix), "WRITE"))
    return rules


def party_acls(party: str, topic_prefix: str, group_prefix: str) -> set[AclEntry]:
    """A party writes its own inbound topic and reads its own inbox, in its own consumer groups:
    never another party's topics, never a hub topic, never a command topic."""
    who = party_principal(party)
    return {
        AclEntry(who, "TOPIC", "LITERAL", partner_inbound(party).named(topic_prefix), "WRITE"),
        AclEntry(who, "TOPIC", "LITERAL", partner_inbox(party).named(topic_prefix), "READ"),
        AclEntry(who, "GROUP", "PREFIXED", party_group_prefix(party, group_prefix), "READ"),
    }


def staff_acls(topic_prefix: str, audit_topic: str) -> set[AclEntry]:
    """The Procesregisseur's tools write the command topics, and the access records of what staff
    looked at (NEN 7513) to the audit topic; they read only the services' answers to their
    commands (ids and reason codes), without a consumer group: a tool assigns itself the topic's
    partition and keeps no offsets, for which Kafka asks READ on the topic (Fetch; the DESCRIBE
    that ListOffsets and Metadata ask is implied by READ) and nothing on any group."""
    rules = {AclEntry(STAFF, "TOPIC", "LITERAL", t.named(topic_prefix), "WRITE") for t in STAFF_COMMAND_TOPICS}
    rules.add(AclEntry(STAFF, "TOPIC", "LITERAL", audit_topic, "WRITE"))
    rules.add(AclEntry(STAFF, "TOPIC", "LITERAL", STAFF_ANSWERS.named(topic_prefix), "READ"))
    return rules


def operations_acls(topic_prefix: str, group_prefix: str) -> set[AclEntry]:
    """Operations see the environment's topics, their configuration and its consumer groups'
    offsets (lag; DESCRIBE reads no message), and read the dead-letter topic (the original bytes:
    sealed fields stay sealed) in their own consumer groups."""
    topics = f"{topic_prefix}{PREFIX}."
    return {
        AclEntry(OPERATIONS, "TOPIC", "PREFIXED", topics, "DESCRIBE"),
        AclEntry(OPERATIONS, "TOPIC", "PREFIXED", topics, "DESCRIBE_CONFIGS"),
        AclEntry(OPERATIONS, "GROUP", "PREFIXED", f"{group_prefix}.", "DESCRIBE"),
        AclEntry(OPERATIONS, "TOPIC", "LITERAL", DEAD_LETTER.named(topic_prefix), "READ"),
        AclEntry(OPERATIONS, "GROUP", "PREFIXED", f"{group_prefix}.operations.", "READ"),
    }


# The register keeper creates an admitted party's topics at once (services/intake/handlers.py:
# AdmitParty); it may create and configure parties' topics, never read another service's.
REGISTER_KEEPER = "intake"


def register_keeper_acls(topic_prefix: str) -> set[AclEntry]:
    who, parties = service_principal(REGISTER_KEEPER), f"{topic_prefix}{PREFIX}.partner."
    return {AclEntry(who, "TOPIC", "PREFIXED", parties, op) for op in ("CREATE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS")}


def desired_acls(
    services: Iterable[Endpoints], parties: Iterable[str], topic_prefix: str, group_prefix: str
) -> set[AclEntry]:
    """Every rule of an environment (`topic_prefix`, `group_prefix`): its services', its
    current parties', the staff tools' and operations'. Raises InvalidPartyCodeError."""
    parties = tuple(parties)
    rules: set[AclEntry] = set()
    for endpoints in services:
        rules |= service_acls(endpoints, parties, topic_prefix)
    for party in parties:
        rules |= party_acls(party, topic_prefix, group_prefix)
    rules |= register_keeper_acls(topic_prefix)
    rules |= staff_acls(topic_prefix, AUDIT_EVENTS.named(topic_prefix))
    rules |= operations_acls(topic_prefix, group_prefix)
    return rules


def owned_by(entry: AclEntry, topic_prefix: str, group_prefix: str) -> bool:
    """Whether a rule on the broker belongs to this environment (so `apply` may remove it): its
    resource lies under the environment's topics (`<topic_prefix>zorgtafel.`) or consumer groups
    (`<group_prefix>.`). With an empty topic prefix that is `zorgtafel.` only, never another
    environment's `acc.zorgtafel.`."""
    if entry.resource_type == "TOPIC":
        return entry.resource_name.startswith(f"{topic_prefix}{PREFIX}.")
    if entry.resource_type == "GROUP":
        return entry.resource_name.startswith(f"{group_prefix}.")
    return False


def is_managed(principal: str) -> bool:
    """Principals whose rules `apply` owns: the hub's own and the parties'."""
    return principal.startswith(("zt-", "party-")) and principal not in {BROKER, ADMIN}
