"""`zorgtafel ops` against a running hub on the real broker and PostgreSQL (issue 14,
deliverable 3): status, lag, and dead letters listed, shown and replayed, as an operations
engineer runs them, each in its own process."""

from __future__ import annotations

import json

import pytest

from shared.contracts.topics import AUDIT_EVENTS, partner_inbound
from tests.infra import Infra
from tests.support import (
    PARTY,
    Hub,
    Partner,
    a_referral,
    bodies,
    cli_env,
    dead_letters,
    eventually,
    raw_send,
    read_topic,
    running_hub,
    zorgtafel,
)

pytestmark = pytest.mark.infra
# Bytes no parser takes, with what could be a person's name in them: dead-lettered whole.
POISON = b'{"naam": "Marijke de Vries", "bsn": "111222333", '


def urls(hub: Hub) -> list[str]:
    running = [r for r in (hub.intake, hub.triage, hub.casemeeting, hub.retention, hub.audit) if r is not None]
    return [a for r in running for a in ("--url", f"{r.service}=http://127.0.0.1:{r.operations.port}")]


async def test_ops_status_shows_every_service_ready_with_its_lag_outbox_and_dead_letters(
    infra: Infra, namespace: str
) -> None:
    async with running_hub(infra, namespace, meeting_overrides={}, retention_overrides={}, audit_overrides={}) as hub, Partner(
        infra, namespace
    ) as partner:
        await raw_send(infra, partner.topic, POISON)
        await eventually(lambda: dead_letters(infra, namespace))
        result = await eventually(lambda: _all_ready(hub))
        table = await zorgtafel(cli_env(hub), "ops", "status", *urls(hub))
    assert json.loads(result.stdout)["broker_error"] is None, result.stderr
    by_service = {s["service"]: s for s in json.loads(result.stdout)["services"]}
    assert sorted(by_service) == ["audit", "casemeeting", "intake", "retention", "triage"]
    assert {s["state"] for s in by_service.values()} == {"ready"}
    assert by_service["intake"]["dead_letters"] == 1 and by_service["triage"]["dead_letters"] == 0
    assert all(isinstance(s["lag"], int) for s in by_service.values())
    assert by_service["intake"]["outbox"]["parked"] == 0
    assert table.returncode == 0 and "intake" in table.stdout and "ready" in table.stdout


async def _all_ready(hub: Hub):  # type: ignore[no-untyped-def]
    result = await zorgtafel(cli_env(hub), "ops", "status", "--json", *urls(hub))
    return result if result.returncode == 0 else None


async def test_ops_status_says_which_service_is_down_and_exits_1(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub:
        result = await zorgtafel(cli_env(hub), "ops", "status", "--json", *urls(hub))
    by_service = {s["service"]: s for s in json.loads(result.stdout)["services"]}
    assert result.returncode == 1
    assert by_service["intake"]["state"] == "ready" and by_service["casemeeting"]["state"] == "down"


async def test_ops_lag_shows_what_a_stopped_service_has_not_consumed(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(a_referral())
        await eventually(hub.cases)
        env = cli_env(hub)
    async with Partner(infra, namespace) as partner:  # the hub is stopped now
        for _ in range(3):
            await partner.submit(a_referral())
    result = await zorgtafel(env, "ops", "lag", "--json", "--behind")
    rows = json.loads(result.stdout)
    inbound = [r for r in rows if r["topic"] == partner_inbound(PARTY).named(f"{namespace}.")]
    assert result.returncode == 0
    # Triage reads the parties' inbound topics too (consultation answers): both are 3 behind.
    assert sorted((r["service"], r["lag"]) for r in inbound) == [("intake", 3), ("triage", 3)]


async def test_dead_letters_are_listed_and_shown_without_their_content(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await raw_send(infra, partner.topic, POISON)
        await eventually(lambda: dead_letters(infra, namespace))
        env = cli_env(hub)
    listed = await zorgtafel(env, "ops", "dlq", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (letter,) = json.loads(listed.stdout)
    shown = await zorgtafel(env, "ops", "dlq", "show", str(letter["offset"]))
    table = await zorgtafel(env, "ops", "dlq", "list")
    detail = json.loads(shown.stdout)
    assert (letter["consumer"], letter["reason"], letter["replayable"]) == ("intake", "undecodable", True)
    assert letter["origin"].startswith(partner_inbound(PARTY).named(f"{namespace}.") + "[0]@")
    assert detail["fields"] == "not JSON" and detail["headers"]["zt-dlq-consumer"] == "intake"
    for output in (listed.stdout, shown.stdout, table.stdout):
        assert "Marijke" not in output and "111222333" not in output


async def test_a_replay_puts_the_letter_back_on_its_topic_and_is_audited_and_a_dry_run_sends_nothing(
    infra: Infra, namespace: str
) -> None:
    inbound = partner_inbound(PARTY)
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await raw_send(infra, partner.topic, POISON)
        await eventually(lambda: dead_letters(infra, namespace))
        env = cli_env(hub)
    (letter,) = json.loads((await zorgtafel(env, "ops", "dlq", "list", "--json")).stdout)
    dry = await zorgtafel(env, "ops", "dlq", "replay", str(letter["offset"]), "--dry-run")
    after_dry = await read_topic(infra, inbound, namespace)
    unsigned = await zorgtafel(env, "ops", "dlq", "replay", str(letter["offset"]))
    done = await zorgtafel(env, "ops", "dlq", "replay", str(letter["offset"]), "--by", "ops-anna-01")
    after = await read_topic(infra, inbound, namespace)
    (audit,) = [b for b in bodies(await read_topic(infra, AUDIT_EVENTS, namespace)) if b["event_type"] == "audit.dead-letter-replayed"]
    assert dry.returncode == 0 and len(after_dry) == 1  # only the original
    assert unsigned.returncode == 2 and "--by" in unsigned.stderr
    assert done.returncode == 0, done.stderr
    original, replayed = after
    assert replayed.value == original.value == POISON
    assert dict(replayed.headers)["zt-replayed-from"].decode().endswith(f"@{letter['offset']}")
    assert (audit["operator"], audit["dead_letter_offset"], audit["origin_offset"], audit["replayed_offset"]) == (
        "ops-anna-01", letter["offset"], original.offset, replayed.offset,
    )
    assert "Marijke" not in json.dumps(audit)
