import re

import pytest

from shared.contracts.topics import (
    DEAD_LETTER,
    HUB_TOPICS,
    InvalidPartyCodeError,
    partner_inbound,
    partner_inbox,
    party_of_inbound_topic,
)

CONVENTION = re.compile(r"^zorgtafel\.[a-z]+(?:-[a-z]+)*\.(events|commands|answers)\.v\d+$")


def test_every_hub_topic_follows_the_naming_convention() -> None:
    for topic in HUB_TOPICS:
        if topic is DEAD_LETTER:
            assert topic.name == "zorgtafel.dead-letter.v1"
        else:
            assert CONVENTION.match(topic.name), topic.name


def test_topic_names_are_unique() -> None:
    names = [t.name for t in HUB_TOPICS]
    assert len(names) == len(set(names))


def test_registry_covers_every_stream_of_the_flow() -> None:
    streams = {t.name.split(".")[1] for t in HUB_TOPICS}
    assert {"aanmelding", "intake", "triage", "meeting", "plan-of-action", "afschaling", "retention", "audit"} <= streams


def test_partner_topics_carry_the_party_code() -> None:
    assert partner_inbound("ggd-hart-voor-brabant").name == "zorgtafel.partner.ggd-hart-voor-brabant.inbound.v1"
    assert partner_inbox("ggd-hart-voor-brabant").name == "zorgtafel.partner.ggd-hart-voor-brabant.inbox.v1"


@pytest.mark.parametrize("code", ["", "Politie", "a.b", "-lead", "trail-", "two--hyphens", "spa ce"])
def test_party_codes_must_be_slugs(code: str) -> None:
    with pytest.raises(InvalidPartyCodeError):
        partner_inbound(code)


def test_the_owner_of_an_inbound_topic_is_read_from_its_name() -> None:
    assert party_of_inbound_topic("zorgtafel.partner.coa-budel.inbound.v1") == "coa-budel"
    assert party_of_inbound_topic("acc.zorgtafel.partner.coa-budel.inbound.v1", "acc.") == "coa-budel"


@pytest.mark.parametrize(
    "topic",
    [
        "zorgtafel.partner.coa-budel.inbox.v1",
        "zorgtafel.partner.coa.budel.inbound.v1",
        "zorgtafel.partner.coa-budel.inbound.v2",
        "xzorgtafel.partner.coa-budel.inbound.v1",
        "zorgtafel.aanmelding.events.v1",
    ],
)
def test_anything_but_an_inbound_topic_has_no_owner(topic: str) -> None:
    assert party_of_inbound_topic(topic) is None


def test_an_inbound_topic_of_another_environment_has_no_owner_here() -> None:
    assert party_of_inbound_topic("prod.zorgtafel.partner.coa-budel.inbound.v1", "acc.") is None
