"""requirements.lock is what scripts/setup installs (issue 14): it must pin every dependency that
pyproject.toml asks for, at a version pyproject allows, each with its hashes."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^ ;\\]+)", re.MULTILINE)


def locked() -> dict[str, Version]:
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall((ROOT / "requirements.lock").read_text())}


def wanted() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]


def test_every_dependency_of_pyproject_is_locked_at_a_version_it_allows() -> None:
    pins = locked()
    stale = [str(r) for r in wanted() if canonicalize_name(r.name) not in pins or pins[canonicalize_name(r.name)] not in r.specifier]
    assert stale == [], "run scripts/lock and commit requirements.lock"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-runtime.lock"])
def test_every_locked_package_carries_its_hashes(lock: str) -> None:
    text = (ROOT / lock).read_text()
    entries = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", text.split("\n", 2)[2])
    assert entries and all("--hash=sha256:" in entry for entry in entries)


def runtime_locked() -> dict[str, Version]:
    return {canonicalize_name(n): Version(v) for n, v in PIN.findall((ROOT / "requirements-runtime.lock").read_text())}


def test_the_runtime_lock_pins_each_package_at_the_version_of_the_full_lock() -> None:
    """The image (requirements-runtime.lock) runs exactly the versions the tests passed with."""
    full, runtime = locked(), runtime_locked()
    assert runtime and {name: version for name, version in runtime.items() if full.get(name) != version} == {}


def test_the_runtime_lock_holds_every_runtime_dependency_and_no_test_tool() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = runtime_locked()
    missing = [r for r in project["dependencies"] if canonicalize_name(Requirement(r).name) not in runtime]
    assert missing == [], "run scripts/lock and commit requirements-runtime.lock"
    assert not {"pytest", "ruff", "uv"} & set(runtime)
