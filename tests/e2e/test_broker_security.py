"""The broker itself refuses what a principal may not do (issue 11): TLS and SCRAM for every
client, ACLs generated from the code and the register (services/cli_security.py)."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr

from services.cli_security import follow_register, provision
from services.intake.config import IntakeSettings
from shared.contracts.register import AdmitParty, ExcludeParty, PartyDetails
from shared.contracts.topics import INTAKE_COMMANDS, RETENTION_COMMANDS, partner_inbound, partner_inbox
from shared.messaging.security import KafkaAccess, SecretFileError
from shared.security.acls import party_group_prefix, party_principal
from shared.security.apply import rotate
from tests.e2e.test_intake import register_change, register_command
from tests.infra import Infra
from tests.provisioning import NAMESPACE_PARTIES, provision_namespace
from tests.support import OTHER_PARTY, PARTY, Partner, a_referral, eventually, running_hub, someone_else

pytestmark = pytest.mark.infra
REFUSED_WITHIN_S = 20


@pytest.fixture(autouse=True)
def secured(infra: Infra) -> None:
    if not infra.secured:
        pytest.skip("the broker in use is not the project's secured one")


async def write(access: KafkaAccess, topic: str) -> None:
    producer = AIOKafkaProducer(**access.aiokafka(), acks="all", request_timeout_ms=5000)
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b"{}"), REFUSED_WITHIN_S)
    finally:
        await producer.stop()


async def read(access: KafkaAccess, topic: str, group: str) -> None:
    """Read one record of `topic` in consumer group `group`, as a partner system reads its inbox."""
    consumer = AIOKafkaConsumer(topic, **access.aiokafka(), group_id=group, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    try:
        await consumer.start()
        await asyncio.wait_for(consumer.getone(), REFUSED_WITHIN_S)
    finally:
        await consumer.stop()


async def test_an_anonymous_client_cannot_connect(infra: Infra, namespace: str) -> None:
    plaintext = KafkaAccess(infra.kafka_bootstrap_servers, "PLAINTEXT")
    with pytest.raises(KafkaConnectionError):
        await asyncio.wait_for(write(plaintext, partner_inbound(PARTY).named(f"{namespace}.")), REFUSED_WITHIN_S)


async def test_a_wrong_password_is_refused(infra: Infra, namespace: str) -> None:
    real = infra.access(party_principal(PARTY))
    forged = KafkaAccess(real.bootstrap_servers, "SASL_SSL", real.username, SecretStr("not-the-password"), real.ca_file)
    with pytest.raises(KafkaConnectionError):
        await write(forged, partner_inbound(PARTY).named(f"{namespace}."))


async def test_a_party_cannot_write_another_partys_inbound_topic(infra: Infra, namespace: str) -> None:
    police = infra.access(party_principal(PARTY))
    await write(police, partner_inbound(PARTY).named(f"{namespace}."))  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        await write(police, partner_inbound(OTHER_PARTY).named(f"{namespace}."))


async def test_a_party_cannot_read_another_partys_inbox(infra: Infra, namespace: str) -> None:
    police, group = infra.access(party_principal(PARTY)), party_group_prefix(PARTY, namespace) + "inbox"
    for party in (PARTY, OTHER_PARTY):  # something to read in both
        await write(infra.admin(), partner_inbox(party).named(f"{namespace}."))
    await read(police, partner_inbox(PARTY).named(f"{namespace}."), group)  # its own: allowed
    with pytest.raises(TopicAuthorizationFailedError):
        await read(police, partner_inbox(OTHER_PARTY).named(f"{namespace}."), group)


async def test_a_party_cannot_use_another_partys_consumer_group(infra: Infra, namespace: str) -> None:
    await write(infra.admin(), partner_inbox(PARTY).named(f"{namespace}."))
    with pytest.raises(GroupAuthorizationFailedError):
        await read(infra.access(party_principal(PARTY)), partner_inbox(PARTY).named(f"{namespace}."),
                   party_group_prefix(OTHER_PARTY, namespace) + "inbox")


@pytest.mark.parametrize("command_topic", [INTAKE_COMMANDS, RETENTION_COMMANDS], ids=lambda t: t.name)
async def test_a_party_cannot_write_a_command_topic(infra: Infra, namespace: str, command_topic) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TopicAuthorizationFailedError):
        await write(infra.access(party_principal(PARTY)), command_topic.named(f"{namespace}."))


async def test_a_service_cannot_write_a_topic_its_code_does_not_publish(infra: Infra, namespace: str) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await write(infra.access("zt-triage"), INTAKE_COMMANDS.named(f"{namespace}."))


async def test_a_party_no_longer_in_the_register_loses_its_rules_and_its_credential(
    infra: Infra, namespace: str
) -> None:
    leaving = f"stichting-{namespace}"  # a party of this test only: no other environment's rules keep it
    await provision_namespace(infra, namespace, (*NAMESPACE_PARTIES, leaving))
    access = infra.access(party_principal(leaving))  # read while it still has a credential
    await write(access, partner_inbound(leaving).named(f"{namespace}."))
    await provision_namespace(infra, namespace, NAMESPACE_PARTIES)
    with pytest.raises(KafkaConnectionError):  # refused at authentication: the credential is gone
        await write(access, partner_inbound(leaving).named(f"{namespace}."))
    assert not IntakeSettings().secret_file(party_principal(leaving)).exists()  # and its secret


async def test_an_admitted_party_gets_access_and_an_excluded_one_loses_it_at_once_while_its_case_stays(
    infra: Infra, namespace: str
) -> None:
    code = f"stichting-{namespace}"
    newcomer = PartyDetails(code=code, name="Stichting Testopvang", kind="organisation", sector="shelter")
    inbound = partner_inbound(code).named(f"{namespace}.")
    async with running_hub(infra, namespace) as hub:
        stop = asyncio.Event()
        # Polls every 30 s: what happens sooner is the follower acting on the register event.
        follower = asyncio.create_task(follow_register(hub.intake.settings, poll_s=30, stop=stop))
        try:
            await register_change(hub, register_command(AdmitParty, party=newcomer, effective_on=date.today()))

            async def admitted() -> KafkaAccess | None:
                try:
                    access = infra.access(party_principal(code))
                    await write(access, inbound)
                except (SecretFileError, KafkaError):
                    return None
                return access

            access = await eventually(admitted, timeout_s=20)
            async with Partner(infra, namespace, party=code) as partner:
                await partner.submit(a_referral(party=code, personal=someone_else()))
            (case,) = await eventually(hub.cases)
            # Exclusion with immediate effect (art. 23.2).
            await register_change(hub, register_command(ExcludeParty, code=code, effective_on=date.today()))

            async def refused() -> bool | None:
                try:
                    await write(access, inbound)
                except KafkaConnectionError:  # at authentication: its credential is gone
                    return True
                except KafkaError:  # its rules are gone, its credential not yet
                    return None
                return None

            assert await eventually(refused, timeout_s=20)
            assert [c.case_id for c in await hub.cases()] == [case.case_id]
            # An operator's `apply` plans from the register, so it gives the access no way back.
            await provision(hub.intake.settings)
            assert await refused()
        finally:
            stop.set()
            await follower


async def test_a_rotated_password_replaces_the_old_one(infra: Infra, namespace: str) -> None:
    principal, inbound = party_principal(PARTY), partner_inbound(PARTY).named(f"{namespace}.")
    old = infra.access(principal)
    await asyncio.to_thread(rotate, infra.admin(), principal, IntakeSettings().secret_file)
    new = infra.access(principal)
    assert new.password != old.password

    async def accepted(access: KafkaAccess) -> bool | None:
        try:
            await write(access, inbound)
        except KafkaConnectionError:
            return None
        return True

    async def refused(access: KafkaAccess) -> bool | None:
        return None if await accepted(access) else True

    assert await eventually(lambda: accepted(new), timeout_s=20)  # the broker applies it a moment later
    assert await eventually(lambda: refused(old), timeout_s=20)
