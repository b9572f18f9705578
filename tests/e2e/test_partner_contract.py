"""A partner's message is untrusted in every byte (issue 12), on the real broker:

- case 1 and its kind: the hub accepts exactly what its published schemas accept; values a lax
  parser would coerce ("1" for 1, "true" for true, a date-time with a space, a UUID without
  hyphens) are rejected with a field path and a code, in the open part of a referral and in its
  sealed part alike;
- case 4 and its kind: a referral the hub cannot act on sensibly (issued in the year 9999 or
  0001, born in the year 1, a control character in a name) is rejected the same way."""

from __future__ import annotations

import json
import uuid
from typing import Any

from shared.contracts.aanmelding import personal_aad
from shared.crypto import party_key, party_kid, seal
from tests.e2e.test_intake import rejection_of
from tests.infra import Infra
from tests.support import (
    MASTER,
    OTHER_PARTY,
    PARTY,
    Partner,
    a_referral,
    at_least,
    eventually,
    inbox_of,
    personal_data,
    running_hub,
)


def as_sent(reference: str, **changes: Any) -> dict[str, Any]:
    body = a_referral(reference).model_dump(mode="json")
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = body
        for p in parents:
            target = target[p]
        target[last] = value
    return body


def with_sealed_personal(reference: str, change: dict[str, Any], part: str = "consent") -> dict[str, Any]:
    """A referral whose sealed block, once opened, holds `change` in `part` of a valid one."""
    command_id = uuid.uuid4()
    personal = personal_data().model_dump(mode="json")
    personal[part].update(change)
    sealed = seal(json.dumps(personal).encode(), party_key(MASTER, PARTY), kid=party_kid(PARTY), aad=personal_aad(command_id))
    return as_sent(reference, command_id=str(command_id), personal=sealed.model_dump(mode="json"))


Cases = dict[str, tuple[dict[str, Any], list[tuple[str, str]]]]


async def assert_each_rejected(infra: Infra, namespace: str, cases: Cases) -> None:
    """Send each body as the party's system would; each gets its rejection (path, code), no case opens."""
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        for body, _ in cases.values():
            await partner.send_raw(json.dumps(body).encode())
        answers = {reference: await rejection_of(partner, reference) for reference in cases}
        assert await hub.cases() == []
    assert answers == {reference: expected for reference, (_, expected) in cases.items()}


async def test_values_a_lax_parser_would_coerce_are_rejected_with_path_and_code(infra: Infra, namespace: str) -> None:
    cases: Cases = {
        "S-VERSION": (as_sent("S-VERSION", schema_version="1"), [("schema_version", "invalid_value")]),
        "S-BOOL": (as_sent("S-BOOL", indicators__serious_local_safety_problem="true"),
                   [("indicators.serious_local_safety_problem", "invalid_type")]),
        "S-BOOL-INT": (as_sent("S-BOOL-INT", indicators__several_chains_needed=1),
                       [("indicators.several_chains_needed", "invalid_type")]),
        "S-SPACE": (as_sent("S-SPACE", issued_at="2026-11-30 10:00:00+01:00"), [("issued_at", "invalid_date")]),
        "S-OFFSET": (as_sent("S-OFFSET", issued_at="2026-11-30T10:00:00+0100"), [("issued_at", "invalid_date")]),
        "S-UUID": (as_sent("S-UUID", correlation_id=uuid.uuid4().hex), [("correlation_id", "invalid_format")]),
        "S-SEALED-BOOL": (with_sealed_personal("S-SEALED-BOOL", {"by_person": "true"}),
                          [("personal.consent.by_person", "invalid_type")]),
    }  # fmt: skip
    await assert_each_rejected(infra, namespace, cases)


async def test_a_referral_the_hub_cannot_act_on_sensibly_is_rejected_with_path_and_code(
    infra: Infra, namespace: str
) -> None:
    cases: Cases = {
        "P-9999": (as_sent("P-9999", issued_at="9999-12-31T23:00:00-05:00"), [("issued_at", "issued_at_implausible")]),
        "P-0001": (as_sent("P-0001", issued_at="0001-01-01T00:00:00+05:00"), [("issued_at", "issued_at_implausible")]),
        "P-LATE": (as_sent("P-LATE", issued_at="2020-01-01T12:00:00Z"), [("issued_at", "issued_at_implausible")]),
        "P-BORN-1": (with_sealed_personal("P-BORN-1", {"date_of_birth": "0001-01-01"}, "person"),
                     [("personal.person.date_of_birth", "date_of_birth_implausible")]),
        "P-NUL": (with_sealed_personal("P-NUL", {"given_name": "Jan\u0000"}, "person"),
                  [("personal.person.given_name", "invalid_format")]),
        "P-ESC": (with_sealed_personal("P-ESC", {"family_name": "de \u001b[31mVries"}, "person"),
                  [("personal.person.family_name", "invalid_format")]),
        "P-C1": (with_sealed_personal("P-C1", {"name": "Zorg\u0085verlener"}, "professional"),
                 [("personal.professional.name", "invalid_format")]),
    }  # fmt: skip
    await assert_each_rejected(infra, namespace, cases)


async def test_two_parties_may_use_the_same_command_id_and_each_gets_its_own_case(infra: Infra, namespace: str) -> None:
    shared_id = uuid.uuid4()
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as police, Partner(
        infra, namespace, OTHER_PARTY
    ) as veilig_thuis:
        await police.submit(a_referral("POL-1", command_id=shared_id))
        await veilig_thuis.submit(a_referral("VT-1", party=OTHER_PARTY, command_id=shared_id,
                                             personal=personal_data(person={"family_name": "Anders"})))
        cases = await eventually(lambda: at_least(hub.cases, 2))
        answers = [(await inbox_of(p, "intake.referral-acknowledged"))[0] for p in (police, veilig_thuis)]
    assert sorted(c.referrer_party for c in cases) == sorted([PARTY, OTHER_PARTY])
    assert [(a["referrer_reference"], a["status"]) for a in answers] == [("POL-1", "received"), ("VT-1", "received")]


async def test_a_repeat_gets_the_earlier_answer_and_other_content_under_the_same_id_is_refused(
    infra: Infra, namespace: str
) -> None:
    accepted = a_referral("R-AGAIN")
    rejected = as_sent("R-FIXED", municipality="gemeente-amsterdam")  # not in the region
    async with running_hub(infra, namespace) as hub, Partner(infra, namespace) as partner:
        await partner.submit(accepted)
        await partner.send_raw(json.dumps(rejected).encode())
        await inbox_of(partner, "intake.referral-rejected")
        await partner.submit(accepted)  # sent again: our answer did not arrive, say
        await partner.send_raw(json.dumps(rejected).encode())
        # The corrected referral under the rejected one's command id: a new message, not a repeat.
        corrected = as_sent("R-FIXED", command_id=rejected["command_id"], personal=rejected["personal"])
        await partner.send_raw(json.dumps(corrected).encode())
        notices = await eventually(lambda: at_least(partner.read_inbox, 5))
        cases = await hub.cases()
    answered = [(n["event_type"], n.get("status"), [(r["path"], r["code"]) for r in n.get("reasons", [])]) for n in notices]
    assert answered == [
        ("intake.referral-acknowledged", "received", []),
        ("intake.referral-rejected", None, [("municipality", "municipality_not_in_region")]),
        ("intake.referral-acknowledged", "received", []),  # the earlier answer, again
        ("intake.referral-rejected", None, [("municipality", "municipality_not_in_region")]),
        ("intake.referral-rejected", None, [("command_id", "command_id_reused")]),
    ]
    assert len(cases) == 1
