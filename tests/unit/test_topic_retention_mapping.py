"""Every registry topic has a retention category of the policy, and an unknown topic has none."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from shared.contracts.topics import (
    AUDIT_EVENTS,
    DEAD_LETTER,
    HUB_TOPICS,
    INTAKE_EVENTS,
    PURGE_COMMANDS,
    STAFF_ANSWERS,
    partner_inbound,
    partner_inbox,
    partner_topics,
)
from shared.retention.categories import Category
from shared.retention.policy import MS_PER_DAY, load_policy
from shared.retention.topics import retention_category, topic_configs

PARTIES = ("politie-oost-brabant", "gemeente-helmond", "ggd-hart-voor-brabant", "coa-overloon")
TOPIC_CATEGORIES = {
    Category.TRANSPORT_COPIES, Category.HUB_EVENTS, Category.DEAD_LETTERS, Category.AUDIT_RECORDS, Category.STAFF_ANSWERS,
}


def test_every_hub_topic_maps_to_a_topic_category_by_its_kind() -> None:
    for topic in HUB_TOPICS:
        category = retention_category(topic.name)
        if topic is DEAD_LETTER:
            assert category is Category.DEAD_LETTERS
        elif topic is AUDIT_EVENTS:
            assert category is Category.AUDIT_RECORDS
        elif topic is STAFF_ANSWERS:
            assert category is Category.STAFF_ANSWERS
        elif topic.name.endswith(".commands.v1"):
            assert category is Category.TRANSPORT_COPIES, topic.name
        else:
            assert topic.name.endswith(".events.v1") and category is Category.HUB_EVENTS, topic.name


def test_every_party_topic_holds_transport_copies() -> None:
    topics = partner_topics(PARTIES)
    assert len(topics) == 2 * len(PARTIES)
    assert {retention_category(t.name) for t in topics} == {Category.TRANSPORT_COPIES}


def test_every_topic_category_of_the_policy_is_used_by_some_topic() -> None:
    # A category no topic uses would be a term the broker never applies.
    used = {retention_category(t.name) for t in (*HUB_TOPICS, *partner_topics(PARTIES))}
    assert used == TOPIC_CATEGORIES


@pytest.mark.parametrize(
    "name",
    [
        "zorgtafel.partner.politie-oost-brabant.outbox.v1",  # no such kind
        "zorgtafel.intake.events",  # no version
        "zorgtafel.intake.snapshots.v1",
        "zorgtafel.partner.Politie.inbound.v1",  # not a party code
        "other.intake.events.v1",
        "t0123456789.zorgtafel.intake.events.v1",  # with an environment's prefix
        "zorgtafel.dead-letter",
        "",
    ],
)
def test_an_unknown_topic_has_no_category(name: str) -> None:
    with pytest.raises(ValueError, match="no retention category"):
        retention_category(name)


def test_topic_configs_give_the_policy_term_in_milliseconds() -> None:
    policy = load_policy()
    assert topic_configs(partner_inbound("gemeente-helmond"), policy) == {
        "cleanup.policy": "delete",
        "retention.ms": str(policy.by_age[Category.TRANSPORT_COPIES].term_days * MS_PER_DAY),
        "segment.ms": str(MS_PER_DAY),  # Kafka deletes whole segments: a copy outlives its term by a day at most
    }
    assert topic_configs(partner_inbox("gemeente-helmond"), policy)["retention.ms"] == str(14 * MS_PER_DAY)
    assert topic_configs(PURGE_COMMANDS, policy)["retention.ms"] == str(14 * MS_PER_DAY)
    assert topic_configs(DEAD_LETTER, policy)["retention.ms"] == str(14 * MS_PER_DAY)
    assert topic_configs(INTAKE_EVENTS, policy)["retention.ms"] == str(30 * MS_PER_DAY)
    assert topic_configs(AUDIT_EVENTS, policy)["retention.ms"] == str(730 * MS_PER_DAY)
    assert topic_configs(STAFF_ANSWERS, policy)["retention.ms"] == str(MS_PER_DAY)  # read within seconds


def test_topics_list_json_shows_each_topics_retention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = json.loads(load_policy().model_dump_json())
    raw["by_age"]["transport_copies"]["term_days"] = 9
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(raw))
    monkeypatch.setenv("ZT_RETENTION_POLICY", str(path))
    monkeypatch.setenv("ZT_PARTNER_TOPICS", json.dumps(["gemeente-helmond"]))
    result = CliRunner().invoke(app, ["topics", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert set(rows) == {t.name for t in (*HUB_TOPICS, *partner_topics(["gemeente-helmond"]))}
    assert rows["zorgtafel.partner.gemeente-helmond.inbound.v1"]["retention_days"] == 9
    assert rows[DEAD_LETTER.name] == {
        **rows[DEAD_LETTER.name],
        "retention_category": "dead_letters",
        "retention_days": 14,
    }
    assert rows[AUDIT_EVENTS.name]["retention_days"] == 730
