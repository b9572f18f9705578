"""`zorgtafel partner onboard|rotate-key|keys`: a party gets its own keys and everything else it
needs in one bundle; a rotation hands over the next key (issue 12, deliverable 3; art. 17)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import app
from services.partner_keys import PartnerKeys, read_bundle
from shared.contracts.aanmelding import ReferralPersonalData, personal_aad
from shared.contracts.onboarding import OnboardingBundle
from shared.crypto import MasterKey, open_model
from shared.crypto.transport_keyring_file import TransportKeys
from shared.messaging.security import write_secret
from shared.settings import ServiceSettings
from tests.support import PARTY, a_referral, personal_data

PASSWORD = "the-partys-broker-password"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServiceSettings:
    monkeypatch.setenv("ZT_STATE_DIR", str(tmp_path))
    settings = ServiceSettings()
    write_secret(settings.secret_file(f"party-{PARTY}"), PASSWORD)
    return settings


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["partner", *args])
    return result.exit_code, result.output


def bundle_of(settings: ServiceSettings, party: str = PARTY) -> OnboardingBundle:
    return read_bundle(Path(settings.state_dir) / "onboarding" / f"{party}.bundle.json")


def hub_side(settings: ServiceSettings) -> TransportKeys:
    master = MasterKey.from_base64(settings.master_key_id, settings.master_key.get_secret_value())
    return TransportKeys.from_settings(settings, master)


def test_onboarding_writes_a_0600_bundle_with_the_partys_own_key_credential_and_topics(settings: ServiceSettings) -> None:
    status, output = run("onboard", PARTY)
    assert status == 0, output
    path = Path(settings.state_dir) / "onboarding" / f"{PARTY}.bundle.json"
    assert path.stat().st_mode & 0o777 == 0o600
    bundle = bundle_of(settings)
    assert [k.kid for k in bundle.transport_keys] == [f"party:{PARTY}:1"]
    assert (bundle.broker.username, bundle.broker.password) == (f"party-{PARTY}", PASSWORD)
    assert (bundle.topics.inbound, bundle.topics.inbox) == (f"zorgtafel.partner.{PARTY}.inbound.v1", f"zorgtafel.partner.{PARTY}.inbox.v1")
    assert set(bundle.documents) == {"schemas", "asyncapi", "sealing", "test_vectors", "parties"}
    assert bundle.transport_keys[0].key not in output and PASSWORD not in output


def test_onboarding_again_hands_over_the_same_key_instead_of_a_new_one(settings: ServiceSettings) -> None:
    run("onboard", PARTY)
    first = bundle_of(settings).transport_keys
    assert run("onboard", PARTY)[0] == 0
    assert bundle_of(settings).transport_keys == first


def test_a_party_without_a_broker_credential_is_not_onboarded(settings: ServiceSettings) -> None:
    status, output = run("onboard", "coa-budel")
    assert status == 2 and "zorgtafel security apply" in output
    assert not (Path(settings.state_dir) / "onboarding" / "coa-budel.bundle.json").exists()


def test_what_a_party_seals_with_its_bundle_the_hub_opens_and_the_check_accepts(settings: ServiceSettings, tmp_path: Path) -> None:
    run("onboard", PARTY)
    kid, key = PartnerKeys.from_bundle(bundle_of(settings)).for_sealing()
    referral = a_referral(key=(kid, key))
    opened = open_model(referral.personal, hub_side(settings).for_opening(PARTY, kid), ReferralPersonalData,
                        aad=personal_aad(referral.command_id))
    assert opened == personal_data()
    message = tmp_path / "referral.json"
    message.write_text(referral.model_dump_json())
    bundle_path = str(Path(settings.state_dir) / "onboarding" / f"{PARTY}.bundle.json")
    status, output = run("check", str(message), "--party", PARTY, "--bundle", bundle_path)
    assert status == 0, output


def test_a_rotation_hands_over_the_next_key_which_the_hub_seals_with_only_once_active(settings: ServiceSettings) -> None:
    run("onboard", PARTY)
    assert run("rotate-key", PARTY)[0] == 0  # active in 24 hours
    bundle = bundle_of(settings)
    assert [k.kid for k in bundle.transport_keys] == [f"party:{PARTY}:1", f"party:{PARTY}:2"]
    old, new = bundle.transport_keys
    # The party learns when to destroy the old key: the term of copies on topics plus a day after the switch.
    assert (old.opened_until, new.opened_until) == (new.active_from + timedelta(days=15), None)
    assert hub_side(settings).for_sealing(PARTY)[0] == f"party:{PARTY}:1"
    assert run("rotate-key", PARTY, "--active-in-hours", "0")[0] == 2  # not before the newest
    assert PartnerKeys.from_bundle(bundle).for_sealing()[0] == f"party:{PARTY}:2"  # the party switches at once


def test_the_check_uses_the_keys_this_machines_hub_holds_for_the_party(settings: ServiceSettings, tmp_path: Path) -> None:
    run("onboard", PARTY)
    message = tmp_path / "referral.json"
    message.write_text(a_referral(key=PartnerKeys.from_bundle(bundle_of(settings)).for_sealing()).model_dump_json())
    assert run("check", str(message), "--party", PARTY)[0] == 0
    message.write_text(a_referral().model_dump_json())  # the derived key: no longer the party's once onboarded
    status, output = run("check", str(message), "--party", PARTY)
    assert status == 1 and "transport_key_unknown" in output


def test_a_deployment_that_publishes_the_contract_hands_over_its_urls(
    settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZT_PARTNER_CONTRACT_URL", "https://zorgtafel.example.invalid/contract/")
    run("onboard", PARTY)
    assert bundle_of(settings).documents["sealing"] == "https://zorgtafel.example.invalid/contract/docs/sealing.md"


def test_the_staff_tools_key_is_rotated_but_never_put_in_a_bundle(settings: ServiceSettings) -> None:
    status, output = run("rotate-key", "zorgtafel-hub", "--active-in-hours", "0")
    assert status == 0 and "party:zorgtafel-hub:1" in output
    assert hub_side(settings).for_sealing("zorgtafel-hub")[0] == "party:zorgtafel-hub:1"
    assert run("onboard", "zorgtafel-hub")[0] == 2


def test_the_key_list_names_kids_and_dates_never_a_key(settings: ServiceSettings) -> None:
    run("onboard", PARTY)
    status, output = run("keys")
    assert status == 0 and f"party:{PARTY}:1" in output
    assert bundle_of(settings).transport_keys[0].key not in output


@pytest.mark.parametrize("code", ["Politie", "a/b", "-x"])
def test_a_code_that_is_no_party_code_is_a_usage_error(settings: ServiceSettings, code: str) -> None:
    status, output = run("onboard", code)
    assert status == 2 and "Traceback" not in output
