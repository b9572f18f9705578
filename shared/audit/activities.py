"""The register of processing activities (AVG art. 30; LDV "Register van Verwerkingsactiviteiten").

Every processing record points at one activity by a versioned URI (LDV rule: every change of an
activity is a new version with a timestamp, so a record points at a definite definition). Purposes
and legal bases belong to the Privacy Protocol the covenant names in art. 15.2 but does not
include, so the register is data: the shipped file (`data/processing-activities.v1.json`) states
the covenant's articles per activity, and a deployment replaces it whole with
`ZT_PROCESSING_ACTIVITIES`. An invalid register, or one that lacks an activity the code records,
stops the service at start.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from shared.contracts.audit import ACTIVITY_ID

REGISTER_FILE = "processing-activities.v1.json"


class RegisterError(ValueError):
    """The register cannot be used; the message lists the problems (it holds no personal data)."""


class ProcessingActivity(BaseModel):
    """One version of one activity: what is processed, why, and on what basis."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ACTIVITY_ID)
    name: str = Field(min_length=1, max_length=120)
    purpose: str = Field(min_length=1)
    legal_basis: str = Field(min_length=1)
    data_categories: str = Field(min_length=1)
    valid_from: AwareDatetime
    # LDV: confidentiality is set per activity (a confidential investigation is its own activity).
    confidential: bool = False


class ActivityRegister(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    register_version: str = Field(min_length=1, max_length=64)
    controller: str = Field(min_length=1)
    activities: tuple[ProcessingActivity, ...]

    def get(self, activity_id: str) -> ProcessingActivity | None:
        return next((a for a in self.activities if a.id == activity_id), None)

    def valid_at(self, activity_id: str, at: datetime) -> bool:
        """Whether `activity_id` was defined at `at` (a record must point at a version in force)."""
        found = self.get(activity_id)
        return found is not None and found.valid_from <= at


def load_register(path: str | None = None, *, required: frozenset[str] = frozenset()) -> ActivityRegister:
    """The register in force: `path` (a deployment's file) or the shipped one.

    Raises RegisterError when the file is unreadable, invalid, lists an id twice, or lacks one of
    `required` (the activities the code records).
    """
    try:
        raw = Path(path).read_text() if path else resources.files("shared.audit").joinpath("data", REGISTER_FILE).read_text()
        register = ActivityRegister.model_validate(json.loads(raw))
    except (OSError, ValueError, ValidationError) as exc:
        detail = exc.errors(include_input=False) if isinstance(exc, ValidationError) else type(exc).__name__
        raise RegisterError(f"processing activities register {path or REGISTER_FILE} is invalid: {detail}") from None
    ids = [a.id for a in register.activities]
    problems = [f"listed twice: {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    problems += [f"missing: {i}" for i in sorted(required - set(ids))]
    if problems:
        raise RegisterError(f"processing activities register {path or REGISTER_FILE}: " + "; ".join(problems))
    return register
