"""Retention policy as versioned data: per phase and category a term in days and an action.

Covenant art. 1.2 (after afschaling the dossier is cleansed of what is no longer necessary and in
the end disappears) and Bijlage 3 (data no longer needed is destroyed). The terms belong to a
Privacy Protocol the covenant names but does not include, so they are data: the shipped file
holds the shortest sensible defaults (docs/decisions/0007), and a deployment replaces it with
`ZT_RETENTION_POLICY`. An invalid file stops the service at start with every problem listed.

Days are the covenant's days: calendar days in Europe/Amsterdam, not UTC. A term of N days that
starts on day D is due on day D + N, from 00:00 Amsterdam time, never a day earlier.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.retention.categories import ALLOWED_ACTIONS, NOT_PER_CASE, PER_CASE, PERSONAL, Action, Category, Phase

POLICY_FILE = "retention-policy.v1.json"
MS_PER_DAY = 86_400_000
NEN_7513_MIN_DAYS = 1826  # NEN 7513:2018 §9: access logs are kept at least five years
# The categories that are a Kafka topic's retention (shared/retention/topics.py).
TOPIC_CATEGORIES = (
    Category.TRANSPORT_COPIES, Category.HUB_EVENTS, Category.DEAD_LETTERS, Category.AUDIT_RECORDS, Category.STAFF_ANSWERS,
)


class PolicyError(ValueError):
    """The policy file cannot be used; the message lists every problem (it holds no personal data)."""


class Rule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    term_days: int = Field(ge=0, le=36_500)
    action: Action
    why: str = Field(default="", description="the reason for this term, for the people who review it")


class RetentionPolicy(BaseModel):
    """The policy in force. `rules[phase][category]` for per-case data, `by_age[category]` for the rest."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_version: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    timezone: str = "Europe/Amsterdam"
    inactive_after_days: int = Field(ge=1, description="no activity this long: the case enters phase `inactive`")
    confirm_within_hours: float = Field(gt=0, description="a purge not confirmed in time is reported overdue")
    rules: dict[Phase, dict[Category, Rule]]
    by_age: dict[Category, Rule]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rule(self, phase: Phase, category: Category) -> Rule:
        return self.rules[phase][category]

    def local_day(self, at: datetime) -> date:
        """The covenant's day on which `at` falls (Europe/Amsterdam). `at` must be aware."""
        if at.tzinfo is None:
            raise ValueError("naive datetime: give an aware one")
        return at.astimezone(self.zone).date()

    def due_on(self, phase: Phase, category: Category, phase_started: datetime) -> date:
        """The day a category's action becomes due, for a phase that started at `phase_started`."""
        return self.local_day(phase_started) + timedelta(days=self.rule(phase, category).term_days)

    def is_due(self, due_on: date, now: datetime) -> bool:
        """True from 00:00 Amsterdam time on `due_on`; never a day early."""
        return self.local_day(now) >= due_on

    def retention_ms(self, category: Category) -> int:
        """Kafka's `retention.ms` for topics of a by-age category."""
        return self.by_age[category].term_days * MS_PER_DAY


def _problems(policy: RetentionPolicy) -> list[str]:
    problems: list[str] = []
    try:
        ZoneInfo(policy.timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a directory: IsADirectoryError
        problems.append(f"timezone {policy.timezone!r} is not an IANA time zone")
    for phase in Phase:
        rules = policy.rules.get(phase)
        if rules is None:
            problems.append(f"phase {phase.value}: missing")
            continue
        missing = sorted(c.value for c in PER_CASE - set(rules))
        extra = sorted(c.value for c in set(rules) - PER_CASE)
        if missing:
            problems.append(f"phase {phase.value}: no rule for {', '.join(missing)}")
        if extra:
            problems.append(f"phase {phase.value}: {', '.join(extra)} are not per-case categories (use by_age)")
        problems += _action_problems(f"phase {phase.value}", rules)
        if missing:
            continue
        personal_terms = [rules[c].term_days for c in PERSONAL]
        keys, record = rules[Category.CASE_KEYS].term_days, rules[Category.CASE_RECORD].term_days
        # Destroying the keys earlier would shred data the policy says is kept; later would keep
        # Kafka's sealed copies readable after the data itself was purged.
        if keys != max(personal_terms):
            problems.append(
                f"phase {phase.value}: case_keys term ({keys}) must equal the longest personal term ({max(personal_terms)})"
            )
        if record < keys:
            problems.append(f"phase {phase.value}: case_record term ({record}) is shorter than case_keys ({keys})")
    missing_age = sorted(c.value for c in NOT_PER_CASE - set(policy.by_age))
    extra_age = sorted(c.value for c in set(policy.by_age) - NOT_PER_CASE)
    if missing_age:
        problems.append(f"by_age: no rule for {', '.join(missing_age)}")
    if extra_age:
        problems.append(f"by_age: {', '.join(extra_age)} are per-case categories (use rules)")
    problems += _action_problems("by_age", policy.by_age)
    # An inbox row must outlive every copy Kafka could redeliver (commands and hub events are both
    # consumed through inboxes, and Kafka deletes whole segments, so a copy can outlive its term).
    operational = policy.by_age.get(Category.OPERATIONAL)
    for topics in (Category.TRANSPORT_COPIES, Category.HUB_EVENTS):
        if operational and topics in policy.by_age and operational.term_days <= policy.by_age[topics].term_days:
            problems.append(
                f"by_age: operational term must be longer than {topics.value} (redeliveries stay recognised)"
            )
    access = policy.by_age.get(Category.ACCESS_LOG)
    if access and access.term_days < NEN_7513_MIN_DAYS:
        problems.append(f"by_age: access_log must be kept at least 5 years ({NEN_7513_MIN_DAYS} days, NEN 7513)")
    for category in TOPIC_CATEGORIES:
        if category in policy.by_age and policy.by_age[category].term_days < 1:
            problems.append(f"by_age: {category.value} is a topic's retention and needs at least 1 day")
    return problems


def _action_problems(where: str, rules: dict[Category, Rule]) -> list[str]:
    return [
        f"{where}: {category.value} cannot be {rule.action.value} "
        f"(allowed: {', '.join(sorted(a.value for a in ALLOWED_ACTIONS[category]))})"
        for category, rule in rules.items()
        if rule.action not in ALLOWED_ACTIONS[category]
    ]


def parse_policy(raw: dict[str, Any], source: str = "policy") -> RetentionPolicy:
    """Validate a policy document. Raises PolicyError listing every problem found."""
    try:
        policy = RetentionPolicy.model_validate(raw)
    except ValidationError as exc:
        # Paths and messages only: the file holds no personal data, but keep the habit.
        details = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_input=False))
        raise PolicyError(f"retention {source} is invalid: {details}") from None
    problems = _problems(policy)
    if problems:
        raise PolicyError(f"retention {source} is invalid: " + "; ".join(problems))
    return policy


def load_policy(path: str | Path | None = None) -> RetentionPolicy:
    """The packaged default policy, or the deployment's file at `path` (ZT_RETENTION_POLICY)."""
    if path is None:
        text = resources.files("shared.retention").joinpath("data", POLICY_FILE).read_text(encoding="utf-8")
        source = f"policy {POLICY_FILE}"
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"retention policy {path} cannot be read: {type(exc).__name__}") from None
        source = f"policy {path}"
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PolicyError(f"retention {source} is not JSON (line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise PolicyError(f"retention {source} must be a JSON object")
    return parse_policy(raw, source)
