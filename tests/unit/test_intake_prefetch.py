"""A batch's referrals are opened ahead of their turn (issue 13) only where intake would open them
in their turn: a current party's (art. 21.3, 23.2), never one handled before."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from services.intake.batch_rows import parsed_before, prefetch_submissions

SUBMIT = {"command_type": "aanmelding.submit-referral"}


async def test_only_referrals_a_party_may_make_are_opened_ahead_of_their_turn() -> None:
    session: Any = SimpleNamespace(info={})
    opened: list[str] = []
    may, may_not = dict(SUBMIT), dict(SUBMIT)
    answer = {"command_type": "intake.answer-question"}

    def parse(party: str, body: dict[str, Any]) -> list[Any]:
        opened.append(party)
        return []  # as if it could not be read: nothing further is asked of the database

    async def allowed(party: str, body: dict[str, Any]) -> bool:
        return party == "politie-oost-brabant"

    messages = [("politie-oost-brabant", may, None), ("uitgesloten-partij", may_not, None), ("politie-oost-brabant", answer, None)]
    await prefetch_submissions(session, messages, parse, b"matching-key", allowed)
    assert opened == ["politie-oost-brabant"]
    assert parsed_before(session, may) == [] and parsed_before(session, may_not) is None
