"""The container image and the compose file (issue 14, deliverable 5), read as text: there is no
container engine here, so what can be checked without one is checked (tests/unit/test_deploy_validation.py
checks the compose file against the Compose Specification)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.catalog import Service
from services.deploy_manifests import KAFKA_VERSION, Environment

ROOT = Path(__file__).resolve().parents[2]
CONTAINERFILE = (ROOT / "deploy" / "container" / "Containerfile").read_text()
# Instructions with their continuation lines joined, comments dropped.
INSTRUCTIONS = [line.strip() for line in re.sub(r"\\\n\s*", " ", CONTAINERFILE).splitlines()
                if line.strip() and not line.lstrip().startswith("#")]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "deploy" / "compose" / "compose.yaml").read_text())  # type: ignore[no-any-return]


def final_stage() -> list[str]:
    starts = [i for i, line in enumerate(INSTRUCTIONS) if line.startswith("FROM ")]
    return INSTRUCTIONS[starts[-1]:]


def test_the_image_runs_as_a_numeric_non_root_user() -> None:
    users = [line.split()[1] for line in final_stage() if line.startswith("USER ")]
    assert users, "the final stage must name its USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) > 0  # numeric: Kubernetes' runAsNonRoot can verify it


def test_the_entry_point_is_zorgtafel_run() -> None:
    (entrypoint,) = [line for line in final_stage() if line.startswith("ENTRYPOINT ")]
    assert json.loads(entrypoint.removeprefix("ENTRYPOINT ")) == ["zorgtafel", "run"]


def test_the_image_installs_the_runtime_lock_with_hashes_then_the_project_without_dependencies() -> None:
    installs = [line for line in INSTRUCTIONS if "pip install" in line]
    assert any("--require-hashes" in line and "-r /src/requirements-runtime.lock" in line for line in installs)
    project = [line for line in installs if "requirements" not in line]
    assert project and all("--no-deps" in line for line in project)


def test_no_secret_is_baked_into_the_image() -> None:
    assigned = [line for line in INSTRUCTIONS if line.startswith(("ENV ", "ARG "))]
    assert not [line for line in assigned if re.search(r"KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL", line, re.I)]
    copied = " ".join(line for line in INSTRUCTIONS if line.startswith(("COPY ", "ADD ")))
    assert ".local" not in copied and "secrets" not in copied


def test_the_build_context_admits_only_what_the_image_is_built_from() -> None:
    lines = [line for line in (ROOT / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "*"  # everything out, then named files back in
    admitted = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert admitted == {"pyproject.toml", "README.md", "requirements-runtime.lock", "shared", "services"}


HUB = [s.value for s in Service]


@pytest.mark.parametrize("service", HUB)
def test_compose_runs_each_service_from_the_one_image_non_root_on_a_read_only_root(service: str) -> None:
    spec = compose()["services"][service]
    assert spec["image"] == Environment().image  # the image the Kubernetes manifests name
    assert spec["command"] == [service] and "entrypoint" not in spec  # `zorgtafel run <service>`
    uid = spec["user"].split(":")[0]
    assert uid.isdigit() and int(uid) > 0
    assert spec["read_only"] is True and "ALL" in spec["cap_drop"]
    assert spec["environment"]["ZT_HTTP_PORT"] == "8080" and "/health/ready" in " ".join(spec["healthcheck"]["test"])
    assert spec["depends_on"]["topics"]["condition"] == "service_completed_successfully"


def test_compose_builds_the_image_from_the_containerfile_once() -> None:
    built = {name: s["build"] for name, s in compose()["services"].items() if "build" in s}
    assert list(built.values()) == [{"context": "../..", "dockerfile": "deploy/container/Containerfile"}]


def test_compose_runs_the_broker_version_of_the_local_broker_and_the_manifests() -> None:
    pom = (ROOT / "deploy" / "kafka" / "pom.xml").read_text()
    local = re.search(r"<kafka.version>([^<]+)</kafka.version>", pom)
    assert local and compose()["services"]["kafka"]["image"] == f"apache/kafka:{local.group(1)}" and local.group(1) == KAFKA_VERSION
    assert compose()["services"]["kafka"]["environment"]["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"


def test_compose_has_the_collector_and_the_trace_viewer_and_publishes_only_on_loopback() -> None:
    services = compose()["services"]
    assert {"kafka", "postgres", "otel-collector", "jaeger", *HUB} <= set(services)
    published = [port for s in services.values() for port in s.get("ports", [])]
    assert published and all(str(port).startswith("127.0.0.1:") for port in published)


def test_the_image_version_is_the_projects() -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert Environment().image == f"zorgtafel-hub:{version}"
