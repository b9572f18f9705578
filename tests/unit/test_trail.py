"""`zorgtafel trail` merges the audit store and the ledger into one time-ordered history."""

from __future__ import annotations

from services.cli_audit import trail_rows


def processing(ms: int, activity: str, service: str = "intake") -> dict[str, object]:
    return {"start_time_ms": ms, "service": service, "name": "step", "status": "Ok", "trace_id": "ab" * 16,
            "processing_activity_id": f"urn:zorgtafel:verwerkingsactiviteit:{activity}:v1"}


def purge(service: str, category: str, state: str, confirmed_at: str | None, count: int | None) -> dict[str, object]:
    return {"purge_id": f"p-{service}", "service": service, "category": category, "phase": "afgeschaald",
            "policy_version": "zorgtafel-retention-2", "state": state, "issued_at": "2026-11-29T10:00:00+00:00",
            "confirmed_at": confirmed_at, "count": count, "overdue": False}


def test_steps_of_every_source_come_in_time_order() -> None:
    audit = {
        "processing": [processing(1_795_946_000_000, "aanmelding"), processing(1_795_946_060_000, "intake")],
        "access": [{"occurred_at": "2026-11-29T09:54:00+00:00", "source": "cli", "kind": "view", "view": "triage-state",
                    "actor_type": "staff", "actor": "pr-01", "role": "procesregisseur", "on_behalf_of": None,
                    "items": [], "authorisation": "art. 12.2",
                    "result": "success", "trace_id": None}],
    }
    ledger = {"purges": [purge("intake", "referral_personal", "confirmed", "2026-11-29T10:00:05+00:00", 1),
                         purge("intake", "case_keys", "confirmed", "2026-11-29T10:00:05+00:00", 1)]}
    rows = trail_rows(audit, ledger)
    assert [r["kind"] for r in rows] == ["processing", "access", "processing", "purge"]
    assert rows[-1]["what"] == "purge (afgeschaald, zorgtafel-retention-2): referral_personal 1, case_keys 1"
    assert rows[-1]["outcome"] == "confirmed"


def test_a_purge_waiting_for_a_confirmation_says_so_and_a_scheduled_one_is_no_step() -> None:
    ledger = {"purges": [purge("triage", "case_keys", "issued", None, None),
                         {**purge("casemeeting", "case_record", "pending", None, None), "purge_id": None,
                          "issued_at": None}]}
    rows = trail_rows({"processing": [], "access": []}, ledger)
    assert [(r["service"], r["outcome"]) for r in rows] == [("triage", "issued")]
