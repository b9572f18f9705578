"""The register of processing activities is data (AVG art. 30; LDV: a record points at a defined,
versioned activity), and every activity the code records is in the shipped register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.audit.activities import RegisterError, load_register
from shared.telemetry.processing import Activity


def test_the_shipped_register_defines_every_activity_the_code_records_with_purpose_and_basis() -> None:
    register = load_register(required=Activity.ALL)
    for activity_id in Activity.ALL:
        activity = register.get(activity_id)
        assert activity is not None and activity.purpose and "art." in activity.legal_basis


def test_a_register_that_lacks_a_recorded_activity_is_refused_by_name(tmp_path: Path) -> None:
    shipped = json.loads(load_register().model_dump_json())
    shipped["activities"] = [a for a in shipped["activities"] if a["id"] != Activity.INZAGE]
    path = tmp_path / "register.json"
    path.write_text(json.dumps(shipped))
    with pytest.raises(RegisterError, match="missing: urn:zorgtafel:verwerkingsactiviteit:inzage:v1"):
        load_register(str(path), required=Activity.ALL)


def test_an_activity_listed_twice_is_refused(tmp_path: Path) -> None:
    shipped = json.loads(load_register().model_dump_json())
    shipped["activities"].append(shipped["activities"][0])
    path = tmp_path / "register.json"
    path.write_text(json.dumps(shipped))
    with pytest.raises(RegisterError, match="listed twice"):
        load_register(str(path))


def test_an_unversioned_activity_id_is_refused(tmp_path: Path) -> None:
    shipped = json.loads(load_register().model_dump_json())
    shipped["activities"][0]["id"] = "urn:zorgtafel:verwerkingsactiviteit:aanmelding"
    path = tmp_path / "register.json"
    path.write_text(json.dumps(shipped))
    with pytest.raises(RegisterError, match="invalid"):
        load_register(str(path))
