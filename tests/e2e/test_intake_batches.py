"""Intake takes a party's backlog in batches, one transaction each (issue 13), on the real broker:
messages of one batch see what the batch's earlier messages did, exactly as if they had come one
by one (art. 1.1: a reference is taken once, a person with an open case gets no second case;
Bijlage 3: a correction finds the referral it corrects)."""

from __future__ import annotations

import uuid

import pytest

from tests.infra import Infra
from tests.support import (
    PARTY,
    Partner,
    a_referral,
    at_least,
    eventually,
    inbox_of,
    personal_data,
    running_hub,
)

pytestmark = pytest.mark.infra


async def test_a_backlog_taken_in_one_batch_links_repeats_refuses_duplicates_and_takes_corrections(
    infra: Infra, namespace: str
) -> None:
    first = a_referral("R-FIRST", personal=personal_data(person={"bsn": "111222333"}))
    async with Partner(infra, namespace) as police:
        # Sent while intake is down: on its start they arrive in one fetch, so in one batch.
        await police.submit(first)
        # Not a referral: intake writes what the batch holds before it (its readers use the ORM),
        # and must still know afterwards what the batch took.
        await police.send_raw(b'{"command_type": "aanmelding.withdraw", "command_id": "%s"}' % str(uuid.uuid4()).encode())
        await police.submit(a_referral("R-FIRST"))  # the same reference again: a duplicate
        await police.submit(a_referral("R-SAME-PERSON", personal=personal_data(person={"bsn": "111222333"})))
        await police.send(police.correction("R-FIRST", personal_data(person={"bsn": "111222333", "given_name": "Marieke"})))
        async with running_hub(infra, namespace) as hub:
            acks = await inbox_of(police, "intake.referral-acknowledged", 4)
            referrals = await eventually(lambda: at_least(hub.referrals, 2))
            cases = await hub.cases()
    # Taken together, not one by one after the batch failed (which would hide a batch that cannot).
    assert hub.intake.reliability.batches_taken_apart == 0
    assert [(a["referrer_reference"], a["status"]) for a in acks] == [
        ("R-FIRST", "received"), ("R-FIRST", "duplicate"), ("R-SAME-PERSON", "received"), ("R-FIRST", "corrected"),
    ]
    (case,) = cases
    assert {r.case_id for r in referrals} == {case.case_id} and case.referrer_party == PARTY
    assert sorted((r.referrer_reference, r.linked_as_repeat) for r in referrals) == [("R-FIRST", False), ("R-SAME-PERSON", True)]
