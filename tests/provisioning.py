"""What an operator does before a deployment starts, done for each test's namespace: its topics,
credentials and ACLs (`zorgtafel security apply`, services/cli_security.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from services.cli_security import plan_access, provision
from services.intake.config import IntakeSettings
from shared.security.apply import apply_access
from shared.security.staff_register import ensure_enrolled
from tests.infra import Infra

# Every party the tests refer as or write to; a test that needs another (a newcomer) provisions it.
NAMESPACE_PARTIES = ("politie-oost-brabant", "veilig-thuis-zuidoost-brabant", "ggd-brabant-zuidoost", "coa-grave")


# The staff members the tests act as (the Procesregisseur's tools sign as them); each holds both
# roles, so a test can change the register as well as judge cases.
TEST_STAFF = ("pr-test-01", "pr-audit", "pr-looks", "pr-privacy", "pr-cli")


def enrol_test_staff(settings: IntakeSettings) -> None:
    """`zorgtafel staff enrol` for every test staff member (idempotent: keys are kept)."""
    for member in TEST_STAFF:
        ensure_enrolled(settings.staff_register_file(), settings.staff_key_file(member), member, ("procesregisseur", "manager"),
              now=datetime.now(UTC), valid_for=timedelta(days=30))


async def provision_namespace(infra: Infra, namespace: str, parties: Sequence[str] = NAMESPACE_PARTIES) -> None:
    settings = IntakeSettings(
        kafka_bootstrap_servers=infra.kafka_bootstrap_servers, kafka_security_protocol=infra.kafka_security_protocol,
        topic_prefix=f"{namespace}.", consumer_group_prefix=namespace, partner_topics=tuple(parties),
    )
    await provision(settings, parties)


async def retire_namespace(infra: Infra, namespace: str) -> None:
    """After a test: its ACLs go, so rules do not pile up on the local broker. Credentials stay
    (the next test's principals are the same): only a party left without any rule loses its."""
    if not infra.secured:
        return
    plan = plan_access(NAMESPACE_PARTIES, f"{namespace}.", namespace)
    settings = IntakeSettings(kafka_bootstrap_servers=infra.kafka_bootstrap_servers)
    await asyncio.to_thread(apply_access, infra.admin(), set(), set(plan.principals), settings.secret_file,
                            topic_prefix=f"{namespace}.", group_prefix=namespace)
