"""Rules of the routing decision (Bijlage 2, art. 12.2e), as pure functions."""

from __future__ import annotations

from collections.abc import Collection

from shared.contracts.triage import Route, Verdict


def contradicts(route: Route, qualifies: Verdict) -> bool:
    """A route against the evaluated criteria. Unknown criteria contradict neither route."""
    return (route == "casusoverleg" and qualifies == "does_not_hold") or (
        route == "not_a_zorgtafel_case" and qualifies == "holds"
    )


def refusal(route: Route, qualifies: Verdict, justified: bool, invite: Collection[str], current: Collection[str]) -> str | None:
    """Why the decision cannot be taken, or None.

    Only current parties may be invited (art. 12.2e); departing from the criteria needs a
    recorded justification.
    """
    if any(p not in current for p in invite):
        return "party_not_current"
    if contradicts(route, qualifies) and not justified:
        return "justification_required"
    return None
