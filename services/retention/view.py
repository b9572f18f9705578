"""Retention's read side for the CLI: the policy in force, the state of purges, a case's ledger,
the yearly report. Opaque ids, categories and counts only; never personal data."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select

from services.retention.config import SERVICE, RetentionSettings
from services.retention.models import CONFIRMED, ISSUED, PENDING, CaseFact, LedgerEntry, RightsRequest
from services.retention.report import yearly_counts
from shared.contracts.envelope import utcnow
from shared.persistence.database import read_once
from shared.retention.policy import RetentionPolicy, load_policy
from shared.telemetry.processing import Pseudonymizer


def policy_rows(policy: RetentionPolicy) -> list[dict[str, Any]]:
    """One row per phase and category, then the by-age rules (phase "by age")."""
    rows = [
        {"phase": phase.value, "category": category.value, "term_days": rule.term_days, "action": rule.action.value,
         "why": rule.why}
        for phase, rules in policy.rules.items()
        for category, rule in rules.items()
    ]
    rows += [
        {"phase": "by age", "category": category.value, "term_days": rule.term_days, "action": rule.action.value,
         "why": rule.why}
        for category, rule in policy.by_age.items()
    ]
    return rows


async def _read(settings: RetentionSettings, read: Any) -> Any:
    return await read_once(settings.database_url_for(SERVICE), read)


async def purge_status(settings: RetentionSettings | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Per service: purges not yet due, due but not issued, waiting for confirmation, overdue, done."""
    settings = settings or RetentionSettings()
    policy = load_policy(settings.retention_policy)
    today = policy.local_day(now or utcnow())

    async def read(s: Any) -> dict[str, Any]:
        entries = (await s.scalars(select(LedgerEntry))).all()
        per: dict[str, Counter[str]] = {}
        for e in entries:
            counter = per.setdefault(e.service, Counter())
            if e.state == PENDING:
                counter["due" if e.due_on <= today else "scheduled"] += 1
            elif e.state == ISSUED:
                counter["overdue" if e.overdue_at else "issued"] += 1
            elif e.state == CONFIRMED:
                counter["done"] += 1
        states = ("scheduled", "due", "issued", "overdue", "done")
        return {
            "policy_version": policy.policy_version,
            "today": today.isoformat(),
            "services": {svc: {k: c.get(k, 0) for k in states} for svc, c in sorted(per.items())},
        }

    return await _read(settings, read)


async def case_ledger(case_id: uuid.UUID, settings: RetentionSettings | None = None) -> dict[str, Any] | None:
    """The ledger of one case, looked up by its pseudonymous reference; None when it has none."""
    settings = settings or RetentionSettings()
    case_ref = Pseudonymizer(settings.pseudonym_key.get_secret_value().encode()).subject_id(case_id)

    async def read(s: Any) -> dict[str, Any] | None:
        entries = (await s.scalars(
            select(LedgerEntry).where(LedgerEntry.case_ref == case_ref).order_by(LedgerEntry.due_on, LedgerEntry.service)
        )).all()
        requests = (await s.scalars(
            select(RightsRequest).where(RightsRequest.case_ref == case_ref).order_by(RightsRequest.decided_at)
        )).all()
        if not entries and not requests:
            return None
        return {
            "case_ref": case_ref,
            "purges": [
                {"service": e.service, "category": e.category, "action": e.action, "phase": e.phase,
                 "policy_version": e.policy_version, "due_on": e.due_on.isoformat(), "state": e.state,
                 "purge_id": str(e.purge_id) if e.purge_id else None,
                 "issued_at": e.issued_at.isoformat() if e.issued_at else None,
                 "confirmed_at": e.confirmed_at.isoformat() if e.confirmed_at else None,
                 "count": e.count, "overdue": e.overdue_at is not None}
                for e in entries
            ],
            "rights_requests": [
                {"request_id": str(r.request_id), "kind": r.kind, "outcome": r.outcome, "refused_for": r.refused_for,
                 "for_party": r.for_party, "decided_by": r.decided_by, "decided_at": r.decided_at.isoformat(),
                 "confirmations": r.confirmations}
                for r in requests
            ],
        }

    return await _read(settings, read)


async def yearly_report(year: int, settings: RetentionSettings | None = None) -> dict[str, object]:
    """Art. 11.3d: counts per quarter and per referring sector for `year`."""
    settings = settings or RetentionSettings()
    policy = load_policy(settings.retention_policy)

    async def read(s: Any) -> dict[str, object]:
        return yearly_counts((await s.scalars(select(CaseFact))).all(), year, policy.zone)

    return await _read(settings, read)
