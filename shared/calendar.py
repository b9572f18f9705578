"""The covenant's calendar: its dates are days in the Netherlands (Europe/Amsterdam).

A person's age on the day of a referral, the day consent was recorded, a deadline, the day a
party's membership starts or ends (art. 21.3, 23.2): each is a Dutch calendar day, whatever the
clock of the server says. Between 00:00 and 01:00 (winter) or 02:00 (summer) Dutch time the UTC
date is still yesterday; taking it would make someone who turns 18 today 17 for those hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

COVENANT_ZONE = ZoneInfo("Europe/Amsterdam")


def covenant_day(at: datetime) -> date:
    """The Dutch calendar day on which the aware moment `at` falls. Raises ValueError for a naive one."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: give an aware one")
    return at.astimezone(COVENANT_ZONE).date()


def covenant_today() -> date:
    """Today in the Netherlands."""
    return covenant_day(datetime.now(UTC))
