"""Consent by age (Bijlage 3), the region (art. 2) and 18-/18+ as pure rules."""

from datetime import date

import pytest

from services.intake.rules import age_group, age_on, consent_reasons, referral_reasons
from shared.contracts.aanmelding import ConsentGiven, SafetyOverride
from tests.support import personal_data

ON = date(2026, 6, 15)
REGION = {"gemeente-helmond", "gemeente-oss"}


def born_years_ago(years: int, days_after_birthday: int = 0) -> date:
    return date(ON.year - years, ON.month, ON.day - days_after_birthday)


def codes(dob: date, consent: ConsentGiven | SafetyOverride) -> list[str]:
    return [r.code for r in consent_reasons(dob, consent, ON)]


def consent(person: bool, guardian: bool) -> ConsentGiven:
    return ConsentGiven(by_person=person, by_guardian=guardian, recorded_on=ON)


@pytest.mark.parametrize(
    ("age", "person", "guardian", "expected"),
    [
        (11, False, True, []),
        (11, True, True, []),
        (11, True, False, ["consent_by_guardian_required"]),
        (11, False, False, ["consent_by_guardian_required"]),
        (12, True, True, []),
        (12, False, True, ["consent_by_child_and_guardian_required"]),
        (15, True, False, ["consent_by_child_and_guardian_required"]),
        (15, False, False, ["consent_by_child_and_guardian_required"]),
        (16, True, False, []),
        (16, False, True, ["consent_by_person_required"]),
        (17, True, True, []),
        (30, False, False, ["consent_by_person_required"]),
    ],
)
def test_consent_follows_the_age_rules(age: int, person: bool, guardian: bool, expected: list[str]) -> None:
    assert codes(born_years_ago(age), consent(person, guardian)) == expected


def test_age_is_counted_on_the_day_consent_was_recorded() -> None:
    dob = date(2014, 6, 16)  # turns 12 the day after ON
    assert age_on(dob, ON) == 11
    assert codes(dob, consent(False, True)) == []
    later = ConsentGiven(by_person=False, by_guardian=True, recorded_on=date(2026, 6, 16))
    assert [r.code for r in consent_reasons(dob, later, date(2026, 6, 16))] == [
        "consent_by_child_and_guardian_required"
    ]


def test_a_safety_override_replaces_consent_at_any_age() -> None:
    override = SafetyOverride(
        reason="r", colleague_consulted="c", how_person_was_informed="h", recorded_on=ON
    )
    for age in (5, 14, 40):
        assert codes(born_years_ago(age), override) == []


def test_consent_dated_in_the_future_is_refused() -> None:
    future = ConsentGiven(by_person=True, by_guardian=False, recorded_on=date(2026, 7, 1))
    assert codes(born_years_ago(30), future) == ["consent_recorded_in_future"]


@pytest.mark.parametrize(("age", "group"), [(0, "18-"), (17, "18-"), (18, "18+"), (70, "18+")])
def test_the_age_group_is_derived_from_the_date_of_birth(age: int, group: str) -> None:
    assert age_group(born_years_ago(age), ON) == group


def test_a_municipality_outside_the_region_is_refused() -> None:
    reasons = referral_reasons(personal_data(consent=consent(True, False)), "gemeente-amsterdam", REGION, ON)
    assert [(r.path, r.code) for r in reasons] == [("municipality", "municipality_not_in_region")]


def test_a_date_of_birth_in_the_future_is_refused() -> None:
    reasons = referral_reasons(personal_data(person={"date_of_birth": date(2027, 1, 1)}), "gemeente-oss", REGION, ON)
    assert [(r.path, r.code) for r in reasons] == [("personal.person.date_of_birth", "date_of_birth_in_future")]


def test_a_valid_referral_breaks_no_rule() -> None:
    personal = personal_data(consent=consent(True, False))
    assert referral_reasons(personal, "gemeente-helmond", REGION, ON) == []


def test_every_reason_reads_in_dutch_and_english() -> None:
    (r,) = referral_reasons(personal_data(consent=consent(True, False)), "elders", REGION, ON)
    assert r.message_nl and r.message_en and r.message_nl != r.message_en
