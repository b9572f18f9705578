"""The broker's ACLs, generated from the code and the register (pure: no broker here)."""

import pytest

from services.catalog import Service
from services.cli_security import plan_access
from shared.contracts.topics import (
    DEAD_LETTER,
    INTAKE_COMMANDS,
    INTAKE_EVENTS,
    RETENTION_COMMANDS,
    STAFF_ANSWERS,
    TRIAGE_EVENTS,
    partner_inbound,
    partner_inbox,
)
from shared.security.acls import (
    OPERATIONS,
    STAFF,
    AclEntry,
    owned_by,
    party_acls,
    party_principal,
    service_principal,
)
from shared.security.endpoints import UnplaceableEndpointError, endpoints_of

PREFIX, GROUPS = "ns1.", "ns1"
PARTIES = ("politie-oost-brabant", "veilig-thuis-zuidoost-brabant")


def rules() -> set[AclEntry]:
    return set(plan_access(PARTIES, PREFIX, GROUPS).rules)


def allowed(rules: set[AclEntry], principal: str, operation: str, topic: str) -> bool:
    """Whether Kafka's authorizer would allow it under these rules (LITERAL and PREFIXED)."""
    return any(
        r.principal == principal and r.operation == operation and r.resource_type == "TOPIC"
        and (r.resource_name == topic if r.pattern_type == "LITERAL" else topic.startswith(r.resource_name))
        for r in rules
    )


def test_a_party_writes_only_its_own_inbound_topic_and_reads_only_its_own_inbox() -> None:
    everything = rules()
    a, b = party_principal(PARTIES[0]), PARTIES[1]
    assert allowed(everything, a, "WRITE", partner_inbound(PARTIES[0]).named(PREFIX))
    assert allowed(everything, a, "READ", partner_inbox(PARTIES[0]).named(PREFIX))
    assert not allowed(everything, a, "WRITE", partner_inbound(b).named(PREFIX))
    assert not allowed(everything, a, "READ", partner_inbox(b).named(PREFIX))
    assert not allowed(everything, a, "WRITE", INTAKE_COMMANDS.named(PREFIX))
    assert not allowed(everything, a, "READ", INTAKE_EVENTS.named(PREFIX))


def test_a_party_has_nothing_but_its_three_rules() -> None:
    mine = {r for r in rules() if r.principal == party_principal(PARTIES[0])}
    assert mine == party_acls(PARTIES[0], PREFIX, GROUPS)
    assert {(r.resource_type, r.operation) for r in mine} == {("TOPIC", "WRITE"), ("TOPIC", "READ"), ("GROUP", "READ")}


def test_a_service_reads_what_its_code_subscribes_to_and_writes_what_it_publishes() -> None:
    everything, triage = rules(), service_principal("triage")
    assert allowed(everything, triage, "READ", INTAKE_EVENTS.named(PREFIX))
    assert allowed(everything, triage, "WRITE", TRIAGE_EVENTS.named(PREFIX))
    assert allowed(everything, triage, "READ", partner_inbound(PARTIES[1]).named(PREFIX))
    assert not allowed(everything, triage, "WRITE", INTAKE_EVENTS.named(PREFIX))
    assert not allowed(everything, triage, "WRITE", INTAKE_COMMANDS.named(PREFIX))


def test_no_service_may_write_a_partys_inbound_topic() -> None:
    everything = rules()
    for service in Service:
        for party in PARTIES:
            assert not allowed(everything, service_principal(service.value), "WRITE", partner_inbound(party).named(PREFIX))


def test_staff_write_command_topics_and_read_only_the_answers_to_them_without_a_group() -> None:
    staff = {r for r in rules() if r.principal == STAFF}
    assert allowed(staff, STAFF, "WRITE", RETENTION_COMMANDS.named(PREFIX))
    assert not allowed(staff, STAFF, "WRITE", INTAKE_EVENTS.named(PREFIX))
    assert {r.resource_name for r in staff if r.operation == "READ"} == {STAFF_ANSWERS.named(PREFIX)}
    assert not any(r.resource_type == "GROUP" for r in staff)


def test_every_service_that_takes_staff_commands_may_answer_them_and_no_other() -> None:
    everything = rules()
    answering = {s for s in Service if allowed(everything, service_principal(s.value), "WRITE", STAFF_ANSWERS.named(PREFIX))}
    assert answering == {Service.intake, Service.triage, Service.casemeeting, Service.retention}
    assert not allowed(everything, STAFF, "WRITE", STAFF_ANSWERS.named(PREFIX))  # a tool cannot forge an answer


def test_operations_change_nothing_and_read_only_dead_letters() -> None:
    ops = {r for r in rules() if r.principal == OPERATIONS}
    assert not any(r.operation in {"WRITE", "CREATE", "ALTER_CONFIGS"} for r in ops)
    topics_read = {r.resource_name for r in ops if r.resource_type == "TOPIC" and r.operation == "READ"}
    assert topics_read == {DEAD_LETTER.named(PREFIX)}


def test_a_consumer_group_rule_names_the_services_own_groups_only() -> None:
    groups = {r.resource_name for r in rules() if r.principal == service_principal("retention") and r.resource_type == "GROUP"}
    assert groups and all(g.startswith(f"{GROUPS}.retention.") for g in groups)


def test_a_pattern_subscription_no_rule_can_place_is_refused() -> None:
    class Subscriber:
        _pattern, topics, group_id = "zorgtafel.partner.{party}.anything.v1", [], "g"

    class Broker:
        subscribers, publishers = [Subscriber()], []

    with pytest.raises(UnplaceableEndpointError):
        endpoints_of("probe", Broker(), PREFIX)


def test_an_environment_owns_only_its_own_topic_and_group_rules() -> None:
    def rule(kind: str, name: str) -> AclEntry:
        return AclEntry("zt-intake", kind, "LITERAL", name, "READ")  # type: ignore[arg-type]

    assert owned_by(rule("TOPIC", "ns1.zorgtafel.intake.events.v1"), PREFIX, GROUPS)
    assert not owned_by(rule("TOPIC", "ns2.zorgtafel.intake.events.v1"), PREFIX, GROUPS)
    # A dedicated deployment (no prefix) does not own a namespaced environment's rules.
    assert owned_by(rule("TOPIC", "zorgtafel.intake.events.v1"), "", "zorgtafel")
    assert not owned_by(rule("TOPIC", "ns1.zorgtafel.intake.events.v1"), "", "zorgtafel")
    assert owned_by(rule("GROUP", "ns1.intake.commands"), PREFIX, GROUPS)
    assert not owned_by(rule("GROUP", "ns10.intake.commands"), PREFIX, GROUPS)


def test_a_partys_consumer_groups_are_its_own_prefix_only() -> None:
    groups = {r.resource_name for r in rules() if r.principal == party_principal(PARTIES[0]) and r.resource_type == "GROUP"}
    assert groups == {f"{GROUPS}.partner.{PARTIES[0]}."}
