"""The retention clock's pure rules and the yearly report's counting (art. 1.2, 11.3d, Bijlage 3)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from services.retention.models import CaseFact
from services.retention.report import MEASURES, yearly_counts
from services.retention.rights import erasure_refusal, export_refusal
from services.retention.schedule import PlannedPurge, earlier, opgeschaald_clock, phase_of, plan
from shared.retention.categories import HELD_BY, Category, Phase
from shared.retention.policy import load_policy

POLICY = load_policy()
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def test_a_phase_plans_every_category_in_every_service_that_holds_it() -> None:
    planned = plan(POLICY, Phase.AFGESCHAALD, datetime(2026, 11, 29, 12, tzinfo=UTC))
    assert {(p.service, p.category) for p in planned} == {(s, c) for c, services in HELD_BY.items() for s in services}


def test_afschaling_cleanses_personal_data_the_same_day_and_the_record_after_its_term() -> None:
    planned = {(p.service, p.category): p for p in plan(POLICY, Phase.AFGESCHAALD, datetime(2026, 11, 29, 12, tzinfo=UTC))}
    assert planned[("intake", Category.REFERRAL_PERSONAL)].due_on == date(2026, 11, 29)
    assert planned[("triage", Category.CASE_KEYS)].action == "delete"
    assert planned[("casemeeting", Category.CASE_RECORD)].due_on == date(2027, 2, 27)  # 90 days on


def test_a_phase_started_late_in_the_evening_utc_counts_from_the_amsterdam_day() -> None:
    planned = plan(POLICY, Phase.ERASURE, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    assert {p.due_on for p in planned} == {date(2026, 11, 30)}


def test_the_earliest_due_day_wins_and_a_planned_purge_is_never_postponed() -> None:
    soon = PlannedPurge("intake", Category.REFERRAL_PERSONAL, "cleanse", date(2026, 12, 1))
    assert earlier(None, soon)
    assert earlier(date(2026, 12, 5), soon)
    assert not earlier(date(2026, 11, 30), soon)
    assert not earlier(date(2026, 12, 1), soon)


def test_only_ends_of_a_case_start_a_retention_phase() -> None:
    assert phase_of("intake.referral-declined") == Phase.DECLINED_AT_INTAKE
    assert phase_of("triage.decided", "not_a_zorgtafel_case") == Phase.NOT_A_ZORGTAFEL_CASE
    assert phase_of("triage.decided", "casusoverleg") is None
    assert phase_of("triage.case-escalated") == Phase.OPGESCHAALD
    assert phase_of("afschaling.decided") == Phase.AFGESCHAALD
    assert phase_of("intake.referral-accepted") is None


def test_opschaling_during_a_running_casusoverleg_starts_no_phase() -> None:
    assert phase_of("triage.case-escalated", casusoverleg_running=True) is None
    assert phase_of("afschaling.decided", casusoverleg_running=True) == Phase.AFGESCHAALD


def test_a_casusoverleg_stops_the_hand_over_clock_and_other_activity_restarts_it() -> None:
    assert opgeschaald_clock("triage.decided", "casusoverleg") == "stop"
    assert opgeschaald_clock("triage.decided", "not_a_zorgtafel_case") == "restart"
    assert opgeschaald_clock("meeting.scheduled") == "restart"


def test_an_erasure_is_granted_once_but_may_be_refused_after_it() -> None:
    assert erasure_refusal(Phase.ERASURE.value, None) == "already_erased"
    assert erasure_refusal(Phase.ERASURE.value, "safety") is None
    assert erasure_refusal(Phase.AFGESCHAALD.value, None) is None


def test_an_access_export_goes_only_to_an_involved_current_party() -> None:
    assert export_refusal(["politie-oost-brabant"], "coa-grave", "party") == "party_not_involved"
    assert export_refusal(["politie-oost-brabant"], "politie-oost-brabant", "party_left") == "party_not_current"
    assert export_refusal(["politie-oost-brabant"], "politie-oost-brabant", "party") is None


def fact(ref: str, sector: str, **dates: datetime) -> CaseFact:
    return CaseFact(case_ref=ref, referrer_sector=sector, **dates)


def test_the_yearly_report_counts_each_fact_in_its_amsterdam_quarter_and_sector() -> None:
    facts = [
        fact("a", "police", referred_at=datetime(2026, 1, 5, tzinfo=UTC), casusoverleg_at=datetime(2026, 2, 1, tzinfo=UTC),
             afgeschaald_at=datetime(2026, 7, 1, tzinfo=UTC)),
        fact("b", "veilig_thuis", referred_at=datetime(2026, 3, 31, 22, 30, tzinfo=UTC),  # 1 April in Amsterdam
             declined_at=datetime(2026, 4, 2, tzinfo=UTC)),
        fact("c", "police", referred_at=datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),  # 2027 in Amsterdam
        fact("d", "police", referred_at=datetime(2026, 10, 1, tzinfo=UTC), not_a_case_at=datetime(2026, 10, 9, tzinfo=UTC),
             escalated_at=datetime(2026, 10, 3, tzinfo=UTC)),
    ]
    report = yearly_counts(facts, 2026, AMSTERDAM)
    assert report["totals"] == {"referred": 3, "handled": 1, "afgeschaald": 1, "escalated": 1, "declined": 2}
    quarters = report["per_quarter"]
    assert quarters["Q1"] == {"referred": 1, "handled": 1, "afgeschaald": 0, "escalated": 0, "declined": 0}  # type: ignore[index]
    assert quarters["Q2"]["referred"] == 1 and quarters["Q2"]["declined"] == 1  # type: ignore[index]
    assert quarters["Q4"]["escalated"] == 1  # type: ignore[index]
    assert report["per_sector"] == {
        "police": {"referred": 2, "handled": 1, "afgeschaald": 1, "escalated": 1, "declined": 1},
        "veilig_thuis": {"referred": 1, "handled": 0, "afgeschaald": 0, "escalated": 0, "declined": 1},
    }
    assert yearly_counts(facts, 2027, AMSTERDAM)["totals"]["referred"] == 1  # type: ignore[index]


def test_the_yearly_report_holds_counts_only() -> None:
    report = yearly_counts([fact("secret-ref", "police", referred_at=datetime(2026, 5, 1, tzinfo=UTC))], 2026, AMSTERDAM)
    assert "secret-ref" not in repr(report)
    assert set(report["totals"]) == set(MEASURES)  # type: ignore[arg-type]
