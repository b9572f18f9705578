"""The decisions a Casusoverleg is to take (art. 8.4, 12.2c): a module of its own, without
pydantic, because the `zorgtafel` command offers them as choices in its help (issue 14)."""

from __future__ import annotations

from enum import StrEnum


class DecisionType(StrEnum):
    """The type of decisions a Casusoverleg is to take (art. 8.4, 12.2c)."""

    APPOINT_CASUSREGISSEUR = "appoint_casusregisseur"
    PLAN_VAN_AANPAK = "plan_van_aanpak"
    ROLES_AND_INFORMATION_NEEDS = "roles_and_information_needs"
    AFSCHALING_CRITERIA = "afschaling_criteria"
