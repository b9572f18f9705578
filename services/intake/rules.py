"""Covenant rules of intake, as pure functions (no I/O): testable with every combination.

- Consent by age (Bijlage 3, MO Den Bosch): under 12 the parent with authority or guardian
  consents; from 12 to 16 both the child and the guardian; from 16 the person. A safety override
  (recording without consent when safety is at stake, after consulting a colleague, with the
  reason and how the person was informed) replaces consent; its fields are required by the contract.
- The municipality of residence must be one of the 36 (art. 2: the region); it decides the
  Zorg- en Veiligheidshuis later (Bijlage 2, opschaling).
- 18- or 18+ is derived from the date of birth on the day of the referral (the covenant covers
  "Slachtoffers Mensenhandel 18- / 18+").
- A referral the hub cannot act on sensibly is rejected like any bad field (issue 12, case 4): a
  date of birth more than 120 years back, or a message issued more than five minutes ahead of
  the hub's clock or more than 30 days ago (a partner's outbox may hold a message through an
  outage; a month is the longest the hub takes it as meant now).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Literal

from shared.contracts.aanmelding import ConsentGiven, ReferralPersonalData, SafetyOverride
from shared.contracts.rejections import RejectionReason, reason

AgeGroup = Literal["18-", "18+"]
OLDEST_AGE = 120  # years: no one referred is older
CLOCK_SKEW = timedelta(minutes=5)
LONGEST_DELAY = timedelta(days=30)


def age_on(date_of_birth: date, on: date) -> int:
    years = on.year - date_of_birth.year
    if (on.month, on.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def age_group(date_of_birth: date, on: date) -> AgeGroup:
    return "18+" if age_on(date_of_birth, on) >= 18 else "18-"


def consent_reasons(date_of_birth: date, consent: ConsentGiven | SafetyOverride, on: date) -> list[RejectionReason]:
    """Whether the consent recorded fits the person's age on the day it was recorded (Bijlage 3)."""
    path = "personal.consent"
    if consent.recorded_on > on:
        return [reason(f"{path}.recorded_on", "consent_recorded_in_future")]
    if isinstance(consent, SafetyOverride):
        return []
    age = age_on(date_of_birth, consent.recorded_on)
    if age < 12 and not consent.by_guardian:
        return [reason(f"{path}.by_guardian", "consent_by_guardian_required")]
    if 12 <= age < 16 and not (consent.by_person and consent.by_guardian):
        return [reason(path, "consent_by_child_and_guardian_required")]
    if age >= 16 and not consent.by_person:
        return [reason(f"{path}.by_person", "consent_by_person_required")]
    return []


def referral_reasons(
    personal: ReferralPersonalData, municipality: str, municipalities: Collection[str], on: date
) -> list[RejectionReason]:
    """Every covenant rule a schema-valid referral can still break; empty when it may be taken."""
    reasons: list[RejectionReason] = []
    if municipality not in municipalities:
        reasons.append(reason("municipality", "municipality_not_in_region"))
    if personal.person.date_of_birth > on:
        reasons.append(reason("personal.person.date_of_birth", "date_of_birth_in_future"))
    elif age_on(personal.person.date_of_birth, on) > OLDEST_AGE:
        reasons.append(reason("personal.person.date_of_birth", "date_of_birth_implausible"))
    else:
        reasons.extend(consent_reasons(personal.person.date_of_birth, personal.consent, on))
    return reasons


def issued_at_reasons(issued_at: datetime, now: datetime) -> list[RejectionReason]:
    """A partner's message issued more than CLOCK_SKEW ahead of `now` or more than LONGEST_DELAY
    before it cannot be taken as meant now (year 0001 and 9999 among them): a referral the
    Procesregisseur cannot judge sensibly (art. 1.1, 12.2a) is returned with its reason. Comparing aware
    date-times never converts them, so no offset at the ends of the calendar can overflow."""
    if not now - LONGEST_DELAY <= issued_at <= now + CLOCK_SKEW:
        return [reason("issued_at", "issued_at_implausible")]
    return []
