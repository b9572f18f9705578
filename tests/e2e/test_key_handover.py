"""Key hand-over (issue 12, deliverable 3; covenant art. 17), on the real secured broker: a party's
system set up from its onboarding bundle alone refers a case and reads the hub's question; a key
rotated while a referral sealed with the old key is in flight loses nothing; the hub then seals
with the new key."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.partner import PartnerSystem
from services.partner_onboarding import issue_key, make_bundle
from shared.contracts.aanmelding import SubmitReferral
from shared.contracts.envelope import utcnow
from shared.contracts.intake import question_aad
from shared.crypto import Sealed
from tests.e2e.test_intake import rejection_of
from tests.infra import Infra
from tests.support import PARTY, Hub, Partner, a_referral, eventually, inbox_of, personal_data, running_hub

pytestmark = pytest.mark.infra


def bundle_system(hub: Hub, *, rotate: bool) -> PartnerSystem:
    """The party's system as its engineer sets it up from the bundle the administrator made."""
    if hub.intake.settings.kafka_security_protocol != "SASL_SSL":
        pytest.skip("a bundle describes the hub's own secured broker, not a plaintext one provided for tests")
    settings, now = hub.intake.settings, utcnow()
    keyring = issue_key(settings, PARTY, now=now, active_from=now, always=rotate)
    return PartnerSystem.from_bundle(make_bundle(settings, keyring, PARTY, now=now))


def referral_from(system: PartnerSystem, reference: str) -> SubmitReferral:
    return system.referral(reference, personal_data(), municipality="gemeente-helmond", indicators=a_referral().indicators)


async def test_a_key_rotated_with_a_referral_in_flight_loses_nothing(infra: Infra, namespace: str, tmp_path: Path) -> None:
    async with running_hub(infra, namespace, transport_keyring=str(tmp_path / "keyring.json")) as hub:
        first = bundle_system(hub, rotate=False)
        async with first:
            in_flight = referral_from(first, "R-OLD-KEY")  # sealed with key 1, not yet sent
            second = bundle_system(hub, rotate=True)  # key 2, active at once
            await first.send(in_flight)
        assert in_flight.personal.kid == f"party:{PARTY}:1"
        async with second:
            await second.send(referral_from(second, "R-NEW-KEY"))
            acks = await inbox_of(second, "intake.referral-acknowledged", 2)
            assert {(a["referrer_reference"], a["status"]) for a in acks} == {("R-OLD-KEY", "received"), ("R-NEW-KEY", "received")}
            (case, *_) = await eventually(hub.cases)
            async with hub.procesregisseur() as pr:
                ask = pr.ask(case.case_id, "Is betrokkene bereikbaar?")
                await pr.send(ask)
            (asked,) = await inbox_of(second, "intake.question-to-referrer")
            sealed = Sealed(**asked["question"])
            assert sealed.kid == f"party:{PARTY}:2"  # the hub seals with the newest active key
            assert second.open(sealed, aad=question_aad(ask.question_id)) == "Is betrokkene bereikbaar?"


async def test_a_party_with_issued_keys_can_no_longer_use_the_derived_one(infra: Infra, namespace: str, tmp_path: Path) -> None:
    async with running_hub(infra, namespace, transport_keyring=str(tmp_path / "keyring.json")) as hub:
        bundle_system(hub, rotate=False)
        async with Partner(infra, namespace) as derived:
            referral = a_referral("R-DERIVED")
            await derived.submit(referral)
            assert await rejection_of(derived, "R-DERIVED") == [("personal.kid", "transport_key_unknown")]
