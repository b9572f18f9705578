"""The criteria of Bijlage 2 as one pure function.

A case is handled by the Zorgtafel when
  (A a serious local or area-bound safety problem that needs a cross-chain approach
   OR B the problem is influenced by / affects the family system or direct social environment)
  AND C cooperation between several chains (at least "dwang en drang") is needed
  AND D there are problems on more than one life domain.

Each criterion is holds / does not hold / unknown, with its evidence: the referrer's indicators
and the consulted parties' answers. One source that affirms a criterion makes it hold (any
party may know of a problem the others do not see); it does not hold when some source denies it
and none affirms it; with no opinion at all it is unknown. D holds with two or more distinct
life domains across all sources, does not hold with exactly one, and is unknown with none.
The criteria combine in three-valued (Kleene) logic, so an unknown never counts as a yes.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.contracts.aanmelding import Indicators
from shared.contracts.triage import CriterionOutcome, Evidence, Verdict

Source = tuple[Evidence, Indicators]


def _boolean(sources: Sequence[Source], field: str) -> CriterionOutcome:
    yes = tuple(e for e, i in sources if getattr(i, field) is True)
    no = tuple(e for e, i in sources if getattr(i, field) is False)
    verdict: Verdict = "holds" if yes else "does_not_hold" if no else "unknown"
    return CriterionOutcome(verdict=verdict, supporting=yes, contradicting=no)


def _life_domains(sources: Sequence[Source]) -> tuple[CriterionOutcome, tuple[str, ...]]:
    named = tuple(e for e, i in sources if i.life_domains)
    domains = tuple(sorted({d.value for _, i in sources for d in i.life_domains}))
    verdict: Verdict = "holds" if len(domains) >= 2 else "does_not_hold" if domains else "unknown"
    outcome = CriterionOutcome(
        verdict=verdict,
        supporting=named if verdict == "holds" else (),
        contradicting=named if verdict == "does_not_hold" else (),
    )
    return outcome, domains


def any_of(*verdicts: Verdict) -> Verdict:
    if "holds" in verdicts:
        return "holds"
    return "does_not_hold" if all(v == "does_not_hold" for v in verdicts) else "unknown"


def all_of(*verdicts: Verdict) -> Verdict:
    if "does_not_hold" in verdicts:
        return "does_not_hold"
    return "holds" if all(v == "holds" for v in verdicts) else "unknown"


def evaluate(sources: Sequence[Source]) -> dict[str, object]:
    """The fields of a `CriteriaEvaluated` event for these sources (referrer first, then answers)."""
    a = _boolean(sources, "serious_local_safety_problem")
    b = _boolean(sources, "family_or_social_environment")
    c = _boolean(sources, "several_chains_needed")
    d, domains = _life_domains(sources)
    return {
        "a_safety_problem": a,
        "b_family_or_environment": b,
        "c_several_chains": c,
        "d_several_life_domains": d,
        "life_domains": domains,
        "qualifies": all_of(any_of(a.verdict, b.verdict), c.verdict, d.verdict),
    }
