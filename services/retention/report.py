"""The yearly report the Managers owe the Regionale Tafel (covenant art. 11.3d): counts only.

Counts come from `case_fact`, the non-personal facts retention keeps by policy
(`report_facts`), so the figures of a year stay the same before and after that year's purges.
A case counts in the quarter (Europe/Amsterdam) in which each fact happened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from services.retention.models import CaseFact

MEASURES = ("referred", "handled", "afgeschaald", "escalated", "declined")
_COLUMNS = {
    "referred": ("referred_at",),
    "handled": ("casusoverleg_at",),  # brought to a Casusoverleg: the Zorgtafel took the case on
    "afgeschaald": ("afgeschaald_at",),  # closed successfully (art. 1.2)
    "escalated": ("escalated_at",),  # to a Zorg- en Veiligheidshuis (Bijlage 2)
    "declined": ("declined_at", "not_a_case_at"),  # at intake, or not a Zorgtafel case after triage
}


def yearly_counts(facts: Iterable[CaseFact], year: int, zone: ZoneInfo) -> dict[str, object]:
    """`{"year", "totals", "per_quarter": {"Q1": {...}}, "per_sector": {sector: {...}}}`; each inner
    dict maps every measure to a count. A fact without a referring sector counts as "unknown"."""
    quarters: dict[str, Counter[str]] = {f"Q{q}": Counter() for q in range(1, 5)}
    sectors: dict[str, Counter[str]] = {}
    for fact in facts:
        for measure, columns in _COLUMNS.items():
            at = _first(fact, columns)
            if at is None:
                continue
            local = at.astimezone(zone)
            if local.year != year:
                continue
            quarters[f"Q{(local.month - 1) // 3 + 1}"][measure] += 1
            sectors.setdefault(fact.referrer_sector or "unknown", Counter())[measure] += 1
    totals: Counter[str] = sum(quarters.values(), Counter())
    return {
        "year": year,
        "totals": _full(totals),
        "per_quarter": {q: _full(c) for q, c in quarters.items()},
        "per_sector": {s: _full(c) for s, c in sorted(sectors.items())},
    }


def _first(fact: CaseFact, columns: tuple[str, ...]) -> datetime | None:
    values = [v for v in (getattr(fact, c) for c in columns) if v is not None]
    return min(values) if values else None


def _full(counter: Counter[str]) -> dict[str, int]:
    return {m: counter.get(m, 0) for m in MEASURES}
