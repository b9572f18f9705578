"""The party register data file: the covenant's signatories, extracted as written."""

import json
import re
from pathlib import Path
from typing import Any

REGISTER = Path(__file__).resolve().parents[2] / "shared" / "register" / "data" / "parties.v1.json"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PARTY_KEYS = ["code", "name", "kind", "sector", "seat", "office_address"]
SECTORS = {
    "municipality",
    "police",
    "military_police",
    "veilig_thuis",
    "ggd",
    "ggz",
    "coa",
    "shelter",
    "youth_care",
    "addiction_care",
    "welfare",
    "disability_support",
    "mental_health_care",
}


def _register() -> dict[str, Any]:
    return json.loads(REGISTER.read_text(encoding="utf-8"))


def _parties() -> list[dict[str, Any]]:
    return _register()["parties"]


def _by_code() -> dict[str, dict[str, Any]]:
    return {p["code"]: p for p in _parties()}


def _all_keys(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [k for k, v in value.items() for k in [k, *_all_keys(v)]]
    if isinstance(value, list):
        return [k for item in value for k in _all_keys(item)]
    return []


def _all_strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_strings(v)]
    if isinstance(value, list):
        return [s for item in value for s in _all_strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_register_has_the_documented_top_level_shape() -> None:
    register = _register()
    assert list(register) == ["schema_version", "source", "effective_from", "parties"]
    assert register["schema_version"] == 1
    # Art. 23.1: in force on the day the parties sign; the signature blocks carry no date.
    assert register["effective_from"] is None


def test_the_covenant_has_68_parties() -> None:
    assert len(_parties()) == 68


def test_36_parties_are_municipalities_and_32_are_organisations() -> None:
    kinds = [p["kind"] for p in _parties()]
    assert kinds.count("municipality") == 36
    assert kinds.count("organisation") == 32
    assert len(kinds) == 36 + 32


def test_municipalities_come_first_as_in_the_covenant() -> None:
    kinds = [p["kind"] for p in _parties()]
    assert kinds == ["municipality"] * 36 + ["organisation"] * 32


def test_every_party_has_exactly_the_documented_keys_in_order() -> None:
    for party in _parties():
        assert list(party) == PARTY_KEYS, party


def test_party_codes_are_unique() -> None:
    codes = [p["code"] for p in _parties()]
    assert len(codes) == len(set(codes))


def test_party_codes_are_lower_case_slugs() -> None:
    for party in _parties():
        assert SLUG.match(party["code"]), party["code"]


def test_municipality_codes_are_prefixed_with_gemeente() -> None:
    for party in _parties():
        if party["kind"] == "municipality":
            assert party["code"].startswith("gemeente-"), party["code"]


def test_every_sector_is_a_known_sector() -> None:
    for party in _parties():
        assert party["sector"] in SECTORS, party
        assert (party["sector"] == "municipality") == (party["kind"] == "municipality"), party


def test_no_value_anywhere_contains_a_placeholder_bracket() -> None:
    for text in _all_strings(_register()):
        assert "[" not in text and "]" not in text, text


def test_municipalities_have_their_name_as_seat_and_no_office_address() -> None:
    for party in _parties():
        if party["kind"] == "municipality":
            assert party["name"] == f"Gemeente {party['seat']}"
            assert party["office_address"] is None


def test_the_three_coa_locations_are_present() -> None:
    parties = _by_code()
    assert {"coa-budel-cranendonck", "coa-grave", "coa-overloon"} <= set(parties)
    assert all(parties[c]["sector"] == "coa" for c in ("coa-budel-cranendonck", "coa-grave", "coa-overloon"))


def test_coa_overloon_has_no_seat_and_no_office_address_because_the_covenant_gives_placeholders() -> None:
    overloon = _by_code()["coa-overloon"]
    assert overloon["seat"] is None
    assert overloon["office_address"] is None


def test_the_first_and_last_municipality_of_the_covenant_are_present() -> None:
    municipalities = [p for p in _parties() if p["kind"] == "municipality"]
    assert municipalities[0]["code"] == "gemeente-asten"
    assert municipalities[0]["name"] == "Gemeente Asten"
    assert municipalities[-1]["code"] == "gemeente-waalre"
    assert municipalities[-1]["name"] == "Gemeente Waalre"


def test_s_hertogenbosch_keeps_its_apostrophe_in_the_name_but_not_in_the_code() -> None:
    party = _by_code()["gemeente-s-hertogenbosch"]
    assert party["name"] == "Gemeente \u2019s-Hertogenbosch"


def test_no_key_names_a_representative() -> None:
    forbidden = ("represent", "vertegenwoordig", "function", "functie", "signator", "contact", "person")
    for key in _all_keys(_register()):
        assert not any(word in key.lower() for word in forbidden), key
