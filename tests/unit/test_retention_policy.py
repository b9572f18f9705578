"""The retention policy as data: the shipped defaults, what the validator refuses, and the covenant's days."""

import copy
import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.retention.categories import NOT_PER_CASE, PER_CASE, PERSONAL, Action, Category, Phase
from shared.retention.policy import MS_PER_DAY, POLICY_FILE, PolicyError, RetentionPolicy, load_policy, parse_policy

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Amsterdam's offsets written out, so the expected instants do not depend on the code under test.
CET = timezone(timedelta(hours=1))
CEST = timezone(timedelta(hours=2))
TOPIC_CATEGORIES = (
    Category.TRANSPORT_COPIES, Category.HUB_EVENTS, Category.DEAD_LETTERS, Category.AUDIT_RECORDS, Category.STAFF_ANSWERS,
)


def shipped() -> dict[str, Any]:
    """A fresh copy of the shipped policy document, to change one thing in."""
    text = resources.files("shared.retention").joinpath("data", POLICY_FILE).read_text(encoding="utf-8")
    return copy.deepcopy(json.loads(text))


def refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(PolicyError) as err:
        parse_policy(raw)
    return str(err.value)


@cache
def policy_with_term(term: int) -> RetentionPolicy:
    """The shipped policy, with every per-case term of phase `afgeschaald` set to `term` days."""
    raw = shipped()
    for category in PER_CASE:
        raw["rules"][Phase.AFGESCHAALD.value][category.value]["term_days"] = term
    return parse_policy(raw)


POLICY = load_policy()


# --- the shipped policy ---


def test_the_shipped_policy_has_every_phase_with_a_rule_for_every_per_case_category() -> None:
    assert set(POLICY.rules) == set(Phase)
    for phase in Phase:
        assert set(POLICY.rules[phase]) == PER_CASE, phase


def test_the_shipped_policy_has_a_by_age_rule_for_every_other_category() -> None:
    assert set(POLICY.by_age) == NOT_PER_CASE
    assert PER_CASE | NOT_PER_CASE == set(Category)


def test_every_shipped_rule_says_why() -> None:
    rules = [*(r for phase in POLICY.rules.values() for r in phase.values()), *POLICY.by_age.values()]
    assert all(rule.why.strip() for rule in rules)


def test_the_shipped_policy_counts_in_amsterdam_days() -> None:
    assert POLICY.timezone == "Europe/Amsterdam"


def test_a_granted_erasure_makes_everything_due_at_once() -> None:
    assert {rule.term_days for rule in POLICY.rules[Phase.ERASURE].values()} == {0}
    assert POLICY.rule(Phase.ERASURE, Category.CASE_RECORD).action is Action.DELETE


def test_afschaling_cleanses_every_personal_category_and_destroys_the_keys_at_once() -> None:
    assert {POLICY.rule(Phase.AFGESCHAALD, c).term_days for c in PERSONAL | {Category.CASE_KEYS}} == {0}
    assert POLICY.rule(Phase.AFGESCHAALD, Category.CASE_RECORD).term_days > 0  # then the case disappears


def test_a_deployment_file_replaces_the_shipped_policy(tmp_path: Path) -> None:
    raw = shipped()
    raw["policy_version"] = "deployment-2"
    raw["rules"][Phase.DECLINED_AT_INTAKE.value][Category.CASE_RECORD.value]["term_days"] = 120
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    policy = load_policy(path)
    assert policy.policy_version == "deployment-2"
    assert policy.rule(Phase.DECLINED_AT_INTAKE, Category.CASE_RECORD).term_days == 120


def test_a_topics_retention_is_its_by_age_term_in_milliseconds() -> None:
    assert POLICY.retention_ms(Category.HUB_EVENTS) == POLICY.by_age[Category.HUB_EVENTS].term_days * 86_400_000
    assert MS_PER_DAY == 24 * 60 * 60 * 1000


# --- invalid policies are refused, naming the problem ---


def test_a_policy_without_a_phase_is_refused() -> None:
    raw = shipped()
    del raw["rules"][Phase.INACTIVE.value]
    assert "phase inactive: missing" in refusal(raw)


def test_a_phase_without_a_rule_for_a_per_case_category_is_refused() -> None:
    raw = shipped()
    del raw["rules"][Phase.ERASURE.value][Category.PLAN_TEXTS.value]
    assert "phase erasure: no rule for plan_texts" in refusal(raw)


def test_a_by_age_category_placed_in_a_phase_is_refused() -> None:
    raw = shipped()
    raw["rules"][Phase.AFGESCHAALD.value][Category.DEAD_LETTERS.value] = {"term_days": 0, "action": "delete"}
    assert "phase afgeschaald: dead_letters are not per-case categories" in refusal(raw)


def test_a_per_case_category_placed_in_by_age_is_refused() -> None:
    raw = shipped()
    raw["by_age"][Category.CASE_RECORD.value] = {"term_days": 90, "action": "delete"}
    assert "by_age: case_record are per-case categories" in refusal(raw)


def test_a_by_age_category_left_out_is_refused() -> None:
    raw = shipped()
    del raw["by_age"][Category.REPORT_FACTS.value]
    assert "by_age: no rule for report_facts" in refusal(raw)


@pytest.mark.parametrize(
    ("phase", "category", "action", "expected"),
    [
        (Phase.AFGESCHAALD, Category.CASE_KEYS, Action.CLEANSE, "phase afgeschaald: case_keys cannot be cleanse"),
        (Phase.INACTIVE, Category.CASE_RECORD, Action.CLEANSE, "phase inactive: case_record cannot be cleanse"),
        (
            Phase.OPGESCHAALD,
            Category.REFERRAL_PERSONAL,
            Action.KEEP_WITHOUT_PERSONAL_DATA,
            "phase opgeschaald: referral_personal cannot be keep_without_personal_data",
        ),
        (None, Category.AUDIT_RECORDS, Action.DELETE, "by_age: audit_records cannot be delete"),
        (None, Category.REPORT_FACTS, Action.CLEANSE, "by_age: report_facts cannot be cleanse"),
        (None, Category.HUB_EVENTS, Action.KEEP_WITHOUT_PERSONAL_DATA, "by_age: hub_events cannot be keep_"),
    ],
)
def test_an_action_not_allowed_for_its_category_is_refused(
    phase: Phase | None, category: Category, action: Action, expected: str
) -> None:
    raw = shipped()
    rules = raw["by_age"] if phase is None else raw["rules"][phase.value]
    rules[category.value]["action"] = action.value
    assert expected in refusal(raw)


@pytest.mark.parametrize("keys_term", [27, 29])
def test_case_keys_that_do_not_die_with_the_longest_personal_term_are_refused(keys_term: int) -> None:
    raw = shipped()
    raw["rules"][Phase.DECLINED_AT_INTAKE.value][Category.CASE_KEYS.value]["term_days"] = keys_term
    message = refusal(raw)
    assert (
        f"phase declined_at_intake: case_keys term ({keys_term}) must equal the longest personal term (28)" in message
    )


def test_case_keys_follow_the_longest_personal_term_not_the_shortest() -> None:
    raw = shipped()
    phase = raw["rules"][Phase.OPGESCHAALD.value]
    phase[Category.MEETING_ITEMS.value]["term_days"] = 40
    phase[Category.CASE_KEYS.value]["term_days"] = 40
    assert parse_policy(raw).rule(Phase.OPGESCHAALD, Category.CASE_KEYS).term_days == 40
    phase[Category.CASE_KEYS.value]["term_days"] = 28
    assert "case_keys term (28) must equal the longest personal term (40)" in refusal(raw)


def test_a_case_record_shorter_than_the_case_keys_is_refused() -> None:
    raw = shipped()
    raw["rules"][Phase.NOT_A_ZORGTAFEL_CASE.value][Category.CASE_RECORD.value]["term_days"] = 27
    assert "phase not_a_zorgtafel_case: case_record term (27) is shorter than case_keys (28)" in refusal(raw)


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Europe", "../etc/localtime", "europe/amsterdam", ""])
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    raw = shipped()
    raw["timezone"] = zone
    assert f"timezone {zone!r} is not an IANA time zone" in refusal(raw)


@pytest.mark.parametrize("operational_term", [14, 13])
def test_operational_rows_that_do_not_outlive_transport_copies_are_refused(operational_term: int) -> None:
    raw = shipped()
    raw["by_age"][Category.TRANSPORT_COPIES.value]["term_days"] = 14
    raw["by_age"][Category.OPERATIONAL.value]["term_days"] = operational_term
    assert "by_age: operational term must be longer than transport_copies" in refusal(raw)


def test_operational_rows_that_do_not_outlive_hub_events_are_refused() -> None:
    raw = shipped()
    raw["by_age"][Category.HUB_EVENTS.value]["term_days"] = 30
    raw["by_age"][Category.OPERATIONAL.value]["term_days"] = 30
    assert "operational term must be longer than" in refusal(raw)


@pytest.mark.parametrize("category", TOPIC_CATEGORIES)
def test_a_topic_category_with_zero_days_is_refused(category: Category) -> None:
    raw = shipped()
    raw["by_age"][category.value]["term_days"] = 0
    assert f"by_age: {category.value} is a topic's retention and needs at least 1 day" in refusal(raw)


def test_a_negative_term_is_refused() -> None:
    raw = shipped()
    raw["rules"][Phase.DECLINED_AT_INTAKE.value][Category.CASE_RECORD.value]["term_days"] = -1
    message = refusal(raw)
    assert "rules.declined_at_intake.case_record.term_days" in message
    assert "greater than or equal to 0" in message


def test_an_unknown_top_level_field_is_refused() -> None:
    raw = shipped()
    raw["keep_forever"] = True
    message = refusal(raw)
    assert "keep_forever" in message and "Extra inputs are not permitted" in message


def test_every_problem_is_listed_at_once() -> None:
    raw = shipped()
    del raw["rules"][Phase.INACTIVE.value]
    raw["timezone"] = "Mars/Olympus_Mons"
    raw["by_age"][Category.AUDIT_RECORDS.value]["action"] = Action.DELETE.value
    message = refusal(raw)
    assert "phase inactive: missing" in message
    assert "timezone 'Mars/Olympus_Mons'" in message
    assert "audit_records cannot be delete" in message


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{"policy_version": ', encoding="utf-8")
    with pytest.raises(PolicyError, match=r"is not JSON \(line 1, column"):
        load_policy(path)


def test_a_json_file_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(PolicyError, match="must be a JSON object"):
        load_policy(path)


def test_a_path_that_does_not_exist_is_refused_naming_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "policy.json"
    with pytest.raises(PolicyError) as err:
        load_policy(path)
    assert f"retention policy {path} cannot be read: FileNotFoundError" == str(err.value)


def test_a_policy_error_is_a_value_error() -> None:
    assert issubclass(PolicyError, ValueError)


# --- due dates are the covenant's days: calendar days in Europe/Amsterdam ---


@pytest.mark.parametrize(
    ("started", "phase", "category", "due"),
    [
        # 00:30 in Amsterdam on 30 November (CET): that day, not the UTC date 29 November.
        (datetime(2026, 11, 29, 23, 30, tzinfo=UTC), Phase.AFGESCHAALD, Category.REFERRAL_PERSONAL, date(2026, 11, 30)),
        # 00:30 in Amsterdam on 29 March, the night summer time starts (02:00 -> 03:00).
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), Phase.ERASURE, Category.CASE_RECORD, date(2026, 3, 29)),
        (datetime(2026, 3, 28, 23, 30, tzinfo=UTC), Phase.DECLINED_AT_INTAKE, Category.CASE_KEYS, date(2026, 4, 26)),
        # 22:30Z on 29 March is already 00:30 CEST on 30 March.
        (datetime(2026, 3, 29, 22, 30, tzinfo=UTC), Phase.AFGESCHAALD, Category.CASE_KEYS, date(2026, 3, 30)),
        # 00:30 CEST on 25 October, the night summer time ends (03:00 -> 02:00); 90 days on.
        (datetime(2026, 10, 24, 22, 30, tzinfo=UTC), Phase.INACTIVE, Category.CASE_RECORD, date(2027, 1, 23)),
        # 23:30 CET on 25 October: still the 25th.
        (datetime(2026, 10, 25, 22, 30, tzinfo=UTC), Phase.OPGESCHAALD, Category.MATCHING_KEYS, date(2026, 11, 22)),
        # The same instant given in another zone is the same Amsterdam day.
        (
            datetime(2026, 11, 30, 8, 30, tzinfo=timezone(timedelta(hours=9))),
            Phase.AFGESCHAALD,
            Category.PLAN_TEXTS,
            date(2026, 11, 30),
        ),
    ],
)
def test_a_term_counts_amsterdam_calendar_days_from_the_day_the_phase_started(
    started: datetime, phase: Phase, category: Category, due: date
) -> None:
    assert POLICY.due_on(phase, category, started) == due


# (due day, 23:59:59 Amsterdam time the day before, 00:00:00 Amsterdam time on the due day)
BOUNDARIES = [
    pytest.param(date(2026, 11, 30), datetime(2026, 11, 29, 23, 59, 59, tzinfo=CET), datetime(2026, 11, 30, tzinfo=CET), id="winter"),
    pytest.param(date(2026, 3, 29), datetime(2026, 3, 28, 23, 59, 59, tzinfo=CET), datetime(2026, 3, 29, tzinfo=CET), id="dst-starts-that-night"),
    pytest.param(date(2026, 3, 30), datetime(2026, 3, 29, 23, 59, 59, tzinfo=CEST), datetime(2026, 3, 30, tzinfo=CEST), id="first-summer-day"),
    pytest.param(date(2026, 10, 25), datetime(2026, 10, 24, 23, 59, 59, tzinfo=CEST), datetime(2026, 10, 25, tzinfo=CEST), id="dst-ends-that-night"),
    pytest.param(date(2026, 10, 26), datetime(2026, 10, 25, 23, 59, 59, tzinfo=CET), datetime(2026, 10, 26, tzinfo=CET), id="first-winter-day"),
]  # fmt: skip


@pytest.mark.parametrize(("due", "before", "midnight"), BOUNDARIES)
def test_nothing_is_due_at_235959_amsterdam_time_the_day_before(
    due: date, before: datetime, midnight: datetime
) -> None:
    assert POLICY.is_due(due, before) is False
    assert POLICY.is_due(due, before.astimezone(UTC)) is False


@pytest.mark.parametrize(("due", "before", "midnight"), BOUNDARIES)
def test_a_term_is_due_from_midnight_amsterdam_time_on_its_day(due: date, before: datetime, midnight: datetime) -> None:
    assert POLICY.is_due(due, midnight) is True
    assert POLICY.is_due(due, midnight.astimezone(UTC)) is True


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31), timezones=st.timezones()),
    term=st.integers(min_value=0, max_value=400),
)
def test_due_is_never_a_microsecond_before_amsterdam_midnight_and_always_from_it(start: datetime, term: int) -> None:
    policy = policy_with_term(term)
    due = policy.due_on(Phase.AFGESCHAALD, Category.REFERRAL_PERSONAL, start)
    midnight = datetime.combine(due, time(0), tzinfo=AMSTERDAM).astimezone(UTC)
    assert (due - policy.local_day(start)).days == term
    assert policy.local_day(start) == start.astimezone(AMSTERDAM).date()
    assert policy.is_due(due, midnight - timedelta(microseconds=1)) is False
    assert policy.is_due(due, midnight) is True


@pytest.mark.parametrize(
    "call",
    [
        lambda: POLICY.local_day(datetime(2026, 11, 30, 0, 30)),
        lambda: POLICY.due_on(Phase.AFGESCHAALD, Category.CASE_KEYS, datetime(2026, 11, 30, 0, 30)),
        lambda: POLICY.is_due(date(2026, 11, 30), datetime(2026, 11, 30, 0, 30)),
    ],
    ids=["local_day", "due_on", "is_due"],
)
def test_a_naive_datetime_is_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        call()


def test_an_access_log_kept_shorter_than_nen_7513s_five_years_is_refused() -> None:
    raw = shipped()
    raw["by_age"]["access_log"]["term_days"] = 365
    assert "access_log must be kept at least 5 years (1826 days, NEN 7513)" in refusal(raw)
