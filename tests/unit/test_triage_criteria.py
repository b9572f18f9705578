"""Bijlage 2: (A or B) and C and D, each criterion holds / does not hold / unknown, with evidence."""

import itertools
import uuid

import pytest

from services.triage.criteria import all_of, any_of, evaluate
from services.triage.routing import contradicts, refusal
from shared.contracts.aanmelding import Indicators, LifeDomain
from shared.contracts.triage import Evidence

REFERRER = Evidence(source="referrer", party="politie-oost-brabant")
TRI = (True, False, None)
DOMAIN_SETS = ((), (LifeDomain.SAFETY,), (LifeDomain.SAFETY, LifeDomain.HOUSING))


def verdict_of(value: bool | None) -> str:
    return {True: "holds", False: "does_not_hold", None: "unknown"}[value]


def kleene_and(*vs: bool | None) -> bool | None:
    if False in vs:
        return False
    return True if all(v is True for v in vs) else None


def kleene_or(*vs: bool | None) -> bool | None:
    if True in vs:
        return True
    return False if all(v is False for v in vs) else None


@pytest.mark.parametrize(
    ("a", "b", "c", "domains"), list(itertools.product(TRI, TRI, TRI, DOMAIN_SETS))
)  # 81 combinations
def test_every_combination_of_one_source_follows_the_rule(
    a: bool | None, b: bool | None, c: bool | None, domains: tuple[LifeDomain, ...]
) -> None:
    indicators = Indicators(
        serious_local_safety_problem=a, family_or_social_environment=b, several_chains_needed=c, life_domains=domains
    )
    result = evaluate([(REFERRER, indicators)])
    d = {0: None, 1: False, 2: True}[len(domains)]
    assert result["a_safety_problem"].verdict == verdict_of(a)
    assert result["b_family_or_environment"].verdict == verdict_of(b)
    assert result["c_several_chains"].verdict == verdict_of(c)
    assert result["d_several_life_domains"].verdict == verdict_of(d)
    assert result["qualifies"] == verdict_of(kleene_and(kleene_or(a, b), c, d))


def answer(party: str, **fields: object) -> tuple[Evidence, Indicators]:
    return Evidence(source="answer", party=party, consultation_id=uuid.uuid4()), Indicators(**fields)


def test_one_party_that_knows_of_a_problem_makes_the_criterion_hold_with_its_evidence() -> None:
    ggd = answer("ggd-brabant-zuidoost", serious_local_safety_problem=True)
    coa = answer("coa-grave", serious_local_safety_problem=False)
    a = evaluate([(REFERRER, Indicators()), coa, ggd])["a_safety_problem"]
    assert a.verdict == "holds"
    assert a.supporting == (ggd[0],) and a.contradicting == (coa[0],)


def test_a_criterion_denied_and_never_affirmed_does_not_hold() -> None:
    c = evaluate([(REFERRER, Indicators(several_chains_needed=False)), answer("lumens")])["c_several_chains"]
    assert (c.verdict, c.contradicting, c.supporting) == ("does_not_hold", (REFERRER,), ())


def test_life_domains_add_up_across_sources() -> None:
    result = evaluate(
        [(REFERRER, Indicators(life_domains=(LifeDomain.HOUSING,))), answer("ggz-x", life_domains=(LifeDomain.ADDICTION,))]
    )
    assert result["d_several_life_domains"].verdict == "holds"
    assert result["life_domains"] == ("addiction", "housing")
    assert len(result["d_several_life_domains"].supporting) == 2


def test_the_full_rule_qualifies_a_case_only_when_every_part_holds() -> None:
    sources = [
        (REFERRER, Indicators(family_or_social_environment=True, life_domains=(LifeDomain.SAFETY,))),
        answer("veilig-thuis", several_chains_needed=True, life_domains=(LifeDomain.FAMILY_AND_PARENTING,)),
    ]
    assert evaluate(sources)["qualifies"] == "holds"
    assert evaluate(sources[:1])["qualifies"] == "does_not_hold"  # one life domain so far: D does not hold


@pytest.mark.parametrize(
    ("x", "y", "any_", "all_"),
    [
        ("holds", "unknown", "holds", "unknown"),
        ("does_not_hold", "unknown", "unknown", "does_not_hold"),
        ("does_not_hold", "does_not_hold", "does_not_hold", "does_not_hold"),
        ("holds", "holds", "holds", "holds"),
        ("unknown", "unknown", "unknown", "unknown"),
    ],
)
def test_unknown_never_counts_as_yes(x: str, y: str, any_: str, all_: str) -> None:
    assert any_of(x, y) == any_ and all_of(x, y) == all_  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("route", "qualifies", "contradiction"),
    [
        ("casusoverleg", "holds", False),
        ("casusoverleg", "unknown", False),
        ("casusoverleg", "does_not_hold", True),
        ("not_a_zorgtafel_case", "holds", True),
        ("not_a_zorgtafel_case", "unknown", False),
        ("not_a_zorgtafel_case", "does_not_hold", False),
    ],
)
def test_a_decision_against_the_criteria_needs_a_justification(route: str, qualifies: str, contradiction: bool) -> None:
    assert contradicts(route, qualifies) == contradiction  # type: ignore[arg-type]
    expected = "justification_required" if contradiction else None
    assert refusal(route, qualifies, False, (), ()) == expected  # type: ignore[arg-type]
    assert refusal(route, qualifies, True, (), ()) is None  # type: ignore[arg-type]


def test_only_current_parties_can_be_invited() -> None:
    assert refusal("casusoverleg", "holds", False, ("lumens", "weg"), {"lumens"}) == "party_not_current"
