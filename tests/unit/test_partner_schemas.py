"""The hub accepts exactly what its published JSON Schemas accept (issue 12, deliverable 4).

Payloads are generated from the committed schemas in docs/schemas (hypothesis-jsonschema): every
one of them must pass the hub's own parse of partner messages. Then one part of a valid payload
is replaced by an arbitrary JSON value, and the schema (Draft 2020-12, formats asserted) and the
hub must give the same verdict. The only differences allowed are the rules no JSON Schema can
state, each with its own code (the BSN's eleven test).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from pydantic import BaseModel, TypeAdapter, ValidationError

from services.partner_keys import PartnerKeys
from shared.contracts.onboarding import OnboardingBundle
from shared.contracts.partner import PARTNER_COMMANDS, SEALED_CONTENT, PartnerNotice, notice_models, schema_files
from shared.contracts.untrusted import parse_untrusted

DOCS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
MODELS: dict[str, type[BaseModel]] = {
    **{f"{t.split('.', 1)[1]}.v1.json": m for t, m in PARTNER_COMMANDS.items()},
    **{f"{n}.v1.json": m for n, m in SEALED_CONTENT.items()},
}
# Rules beyond any JSON Schema, documented with their codes in docs/partner-contract.md.
BEYOND_THE_SCHEMA = {"bsn_invalid"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=6,
)


def published(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((DOCS / name).read_text())
    return schema


def hub_verdict(model: type[BaseModel], payload: Any) -> tuple[bool, set[str]]:
    try:
        parse_untrusted(model, payload)
    except ValidationError as exc:
        return False, {e["type"] for e in exc.errors(include_input=False)}
    return True, set()


def test_every_partner_message_has_a_published_schema_that_is_the_generated_one() -> None:
    assert set(MODELS) | {"inbox-notice.v1.json", "onboarding-bundle.v1.json"} == set(schema_files())
    for name, schema in schema_files().items():
        assert published(name) == schema, name


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_payload_the_schema_accepts_the_hub_accepts(name: str, data: st.DataObject) -> None:
    payload = data.draw(from_schema(published(name)))
    accepted, codes = hub_verdict(MODELS[name], payload)
    assert accepted or codes <= BEYOND_THE_SCHEMA, codes


def _paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*here, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*here, i))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _baits(value: Any) -> list[Any]:
    """Values a lax parser would coerce into `value`'s type, or that look like it in another form."""
    found: list[Any] = ["true", "false", "1", "0", 0, 1, 1.0, "yes", None, [], {}]
    if isinstance(value, bool):
        found += [int(value), str(value).lower()]
    elif isinstance(value, int):
        found += [str(value), float(value)]
    elif isinstance(value, str):
        found += [value.replace("T", " "), value.replace("-", ""), "{" + value + "}", value[:-1], value + " "]
        found += [int(value)] if value.isascii() and value.isdigit() else []  # not "²": a digit, yet no int
    return found


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("name", sorted(MODELS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_a_payload_with_one_part_changed_gets_the_same_verdict_from_the_schema_and_the_hub(
    name: str, data: st.DataObject
) -> None:
    schema = published(name)
    valid = data.draw(from_schema(schema))
    path = data.draw(st.sampled_from(_paths(valid)))
    changed = _replaced(valid, path, data.draw(json_values | st.sampled_from(_baits(_at(valid, path)))))
    by_schema = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(changed)
    accepted, codes = hub_verdict(MODELS[name], changed)
    if by_schema and not accepted:
        assert codes <= BEYOND_THE_SCHEMA, (path, codes)
    else:
        assert accepted == by_schema, (path, codes)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_each_published_example_is_valid_by_the_schema_and_taken_by_the_hub(name: str) -> None:
    schema = published(name)
    (example,) = schema["examples"]
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(example)
    assert hub_verdict(MODELS[name], example) == (True, set())


def test_the_onboarding_bundles_example_is_valid_by_its_schema_and_read_by_a_partner_system() -> None:
    schema = published("onboarding-bundle.v1.json")
    (example,) = schema["examples"]
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(example)
    assert PartnerKeys.from_bundle(OnboardingBundle.model_validate(example)).for_sealing()[0] == "party:politie-oost-brabant:1"


def test_every_inbox_notice_has_an_example_valid_by_the_schema_and_read_as_its_type() -> None:
    schema = published("inbox-notice.v1.json")
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    notices = TypeAdapter(PartnerNotice)
    assert {e["event_type"] for e in schema["examples"]} == set(notice_models())
    for example in schema["examples"]:
        validator.validate(example)
        assert notices.validate_python(example).event_type == example["event_type"]  # type: ignore[union-attr]


def test_the_published_list_of_parties_is_the_generated_one() -> None:
    from services.cli import parties_document

    assert (DOCS.parent / "parties.md").read_text() == parties_document(), "run: zorgtafel schemas"
