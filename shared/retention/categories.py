"""The categories of case data the retention policy speaks of, and where each lives.

The terms and actions are data (`retention-policy.v1.json`); which service holds a category is
code, because it follows each service's tables. Bijlage 3 and art. 1.2: data that is no longer
necessary is destroyed; the Privacy Protocol that fixes the terms is not part of the covenant.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """A kind of data with one term and one action per phase."""

    REFERRAL_PERSONAL = "referral_personal"  # the sealed personal block of each referral
    MATCHING_KEYS = "matching_keys"  # keyed hashes that recognise a repeat referral
    QUESTIONS_ANSWERS = "questions_answers"  # intake's questions to the referrer and its answers
    CONSULTATION_ANSWERS = "consultation_answers"  # triage's questions, the parties' answers and views
    DECISION_TEXTS = "decision_texts"  # free text of decisions: decline reason, goal, justification, criteria
    MEETING_ITEMS = "meeting_items"  # information supplied for the Casusoverleg and its pre-read consents
    PLAN_TEXTS = "plan_texts"  # what each action of the plan van aanpak says and needs to know
    CASE_KEYS = "case_keys"  # each service's data key of the case (crypto-shredding)
    CASE_RECORD = "case_record"  # what is left of the case: statuses, parties, dates, references
    OPERATIONAL = "operational"  # inbox rows (ids of processed messages), by age
    DEAD_LETTERS = "dead_letters"  # the dead-letter topic (original bytes, maybe sealed by a party)
    AUDIT_RECORDS = "audit_records"  # processing records (LDV) in the audit store, and the audit topic
    ACCESS_LOG = "access_log"  # access records (NEN 7513) in the audit store
    REPORT_FACTS = "report_facts"  # non-personal counts' source for the yearly report (art. 11.3d)
    TRANSPORT_COPIES = "transport_copies"  # party inbound/inbox and command topics: sealed with transport keys
    HUB_EVENTS = "hub_events"  # the hub's event topics: opaque ids, texts only under a case key
    STAFF_ANSWERS = "staff_answers"  # the answers to staff commands: command ids and reason codes


class Phase(StrEnum):
    """Where a case's life ended (or paused); each starts the clock of its own terms."""

    DECLINED_AT_INTAKE = "declined_at_intake"  # art. 12.2a
    NOT_A_ZORGTAFEL_CASE = "not_a_zorgtafel_case"  # Bijlage 2, triage's decision
    AFGESCHAALD = "afgeschaald"  # art. 1.2, 8.4d
    OPGESCHAALD = "opgeschaald"  # Bijlage 2: to a Zorg- en Veiligheidshuis
    INACTIVE = "inactive"  # no activity for the policy's `inactive_after_days`
    ERASURE = "erasure"  # the person's right to erasure, granted (Bijlage 3)


class Action(StrEnum):
    CLEANSE = "cleanse"  # personal fields cleared, the row stays
    DELETE = "delete"  # rows deleted (for case keys: the key destroyed)
    KEEP_WITHOUT_PERSONAL_DATA = "keep_without_personal_data"  # holds none; deleted when the term ends


PERSONAL = frozenset(
    {
        Category.REFERRAL_PERSONAL,
        Category.MATCHING_KEYS,
        Category.QUESTIONS_ANSWERS,
        Category.CONSULTATION_ANSWERS,
        Category.DECISION_TEXTS,
        Category.MEETING_ITEMS,
        Category.PLAN_TEXTS,
    }
)

# Per case, each service purges its own rows (services keep separate databases).
HELD_BY: dict[Category, tuple[str, ...]] = {
    Category.REFERRAL_PERSONAL: ("intake",),
    Category.MATCHING_KEYS: ("intake",),
    Category.QUESTIONS_ANSWERS: ("intake",),
    Category.CONSULTATION_ANSWERS: ("triage",),
    Category.DECISION_TEXTS: ("intake", "triage", "casemeeting"),
    Category.MEETING_ITEMS: ("casemeeting",),
    Category.PLAN_TEXTS: ("casemeeting",),
    Category.CASE_KEYS: ("intake", "triage", "casemeeting"),
    Category.CASE_RECORD: ("intake", "triage", "casemeeting"),
}
PER_CASE = frozenset(HELD_BY)
# Not purged per case: by age (operational rows), by Kafka's topic retention (dead letters, audit
# records, transport copies, hub events, staff answers), or kept by the retention service itself (report facts).
NOT_PER_CASE = frozenset(set(Category) - PER_CASE)

ALLOWED_ACTIONS: dict[Category, frozenset[Action]] = {
    **{c: frozenset({Action.CLEANSE, Action.DELETE}) for c in PERSONAL},
    Category.CASE_KEYS: frozenset({Action.DELETE}),
    Category.CASE_RECORD: frozenset({Action.DELETE}),
    Category.OPERATIONAL: frozenset({Action.DELETE}),
    Category.DEAD_LETTERS: frozenset({Action.DELETE}),
    Category.AUDIT_RECORDS: frozenset({Action.KEEP_WITHOUT_PERSONAL_DATA}),
    Category.ACCESS_LOG: frozenset({Action.KEEP_WITHOUT_PERSONAL_DATA}),
    Category.REPORT_FACTS: frozenset({Action.KEEP_WITHOUT_PERSONAL_DATA}),
    Category.TRANSPORT_COPIES: frozenset({Action.DELETE}),
    Category.HUB_EVENTS: frozenset({Action.DELETE}),
    Category.STAFF_ANSWERS: frozenset({Action.DELETE}),
}
