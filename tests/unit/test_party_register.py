"""Who was a party when (art. 20, 21.3, 23.2), as a pure function over memberships."""

from datetime import date

from shared.register.history import Membership, load_seed, standing

D = date(2026, 3, 1)


def test_a_founding_party_is_a_party_from_signing_on() -> None:
    assert standing([Membership("lumens", None)], "lumens", date(2020, 1, 1)) == "party"


def test_a_party_that_left_is_no_party_from_that_day() -> None:
    history = [Membership("lumens", None, D, "left")]
    assert standing(history, "lumens", date(2026, 2, 28)) == "party"
    assert standing(history, "lumens", D) == "party_left"


def test_an_excluded_party_is_no_party_from_that_day() -> None:
    history = [Membership("lumens", None, D, "excluded")]
    assert standing(history, "lumens", D) == "party_excluded"


def test_an_admitted_organisation_is_a_party_from_its_effective_date() -> None:
    history = [Membership("nieuw-huis", D)]
    assert standing(history, "nieuw-huis", date(2026, 2, 28)) == "not_a_party"
    assert standing(history, "nieuw-huis", D) == "party"


def test_a_party_can_rejoin_after_leaving() -> None:
    history = [Membership("lumens", None, D, "left"), Membership("lumens", date(2026, 9, 1))]
    assert standing(history, "lumens", date(2026, 5, 1)) == "party_left"
    assert standing(history, "lumens", date(2026, 9, 1)) == "party"


def test_an_unknown_code_was_never_a_party() -> None:
    assert standing([Membership("lumens", None)], "onbekend", D) == "not_a_party"


def test_the_seed_holds_the_covenants_68_signatories() -> None:
    seed = load_seed()
    kinds = [p.kind for p in seed.parties]
    assert (len(kinds), kinds.count("municipality"), kinds.count("organisation")) == (68, 36, 32)
    assert seed.effective_from is None  # art. 23.1: in force on signing; the text names no date
