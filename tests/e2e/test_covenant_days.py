"""Covenant dates are Dutch calendar days (issue 12, case 3): a person's age, the day consent was
recorded and the register's effective dates are judged on the day in Europe/Amsterdam, not on
the UTC date, which lags behind it for one or two hours every night."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from shared.contracts.aanmelding import ConsentGiven
from tests.infra import Infra
from tests.support import Partner, a_referral, at_least, eventually, personal_data, running_hub

# Each moment is already the next day in the Netherlands, still the day before in UTC.
NIGHTS = {
    "summer-01:30": datetime(2026, 7, 15, 23, 30, tzinfo=UTC),  # CEST, UTC+2: 16 July, 01:30
    "winter-00:30": datetime(2026, 1, 14, 23, 30, tzinfo=UTC),  # CET, UTC+1: 15 January, 00:30
    "summer-00:05": datetime(2026, 7, 15, 22, 5, tzinfo=UTC),  # CEST: 16 July, 00:05
}


@pytest.mark.parametrize("night", list(NIGHTS))
async def test_someone_who_turns_18_today_in_the_netherlands_is_18_plus_at_night(
    infra: Infra, namespace: str, night: str
) -> None:
    moment = NIGHTS[night]
    dutch_today = date(moment.year, moment.month, moment.day + 1)
    born = date(dutch_today.year - 18, dutch_today.month, dutch_today.day)
    # Consent recorded "today" in Dutch terms: a day the UTC date has not reached yet.
    consent = ConsentGiven(by_person=True, by_guardian=False, recorded_on=dutch_today)
    async with running_hub(infra, namespace, intake_clock=lambda: moment) as hub, Partner(infra, namespace) as partner:
        personal = personal_data(person={"date_of_birth": born}, consent=consent)
        await partner.submit(a_referral(personal=personal, issued_at=moment))  # sent at that moment
        (case,) = await eventually(lambda: at_least(hub.cases, 1))
        (notice,) = await eventually(lambda: at_least(partner.read_inbox, 1))
    assert notice["status"] == "received", notice
    assert case.age_group == "18+"
