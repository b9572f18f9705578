from datetime import date

from services.intake.matching import match_keys
from shared.contracts.aanmelding import Person

SECRET = b"s"


def person(**changes: object) -> Person:
    values: dict[str, object] = {"given_name": "Anna", "family_name": "de Vries", "date_of_birth": date(2001, 2, 3)}
    values.update(changes)
    return Person(**values)


def test_the_same_name_and_birth_date_match_however_they_are_written() -> None:
    a = match_keys(SECRET, person())
    b = match_keys(SECRET, person(given_name=" ANNA ", family_name="De  Vriés"))
    assert a["name_and_date_of_birth"] == b["name_and_date_of_birth"]


def test_another_birth_date_does_not_match() -> None:
    a = match_keys(SECRET, person())
    b = match_keys(SECRET, person(date_of_birth=date(2001, 2, 4)))
    assert a["name_and_date_of_birth"] != b["name_and_date_of_birth"]


def test_a_bsn_gives_a_second_key_and_no_key_holds_clear_values() -> None:
    keys = match_keys(SECRET, person(bsn="111222333"))
    assert set(keys) == {"bsn", "name_and_date_of_birth"}
    assert all(len(k) == 64 and "111222333" not in k and "anna" not in k for k in keys.values())


def test_keys_depend_on_the_secret() -> None:
    assert match_keys(b"one", person()) != match_keys(b"two", person())
