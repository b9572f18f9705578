"""The deployment files are valid by the schemas of what runs them, checked offline and strictly
(issue 14, deliverable 5): the Kubernetes manifests by kubeconform against the Kubernetes API
(one pinned version), Strimzi's and KEDA's resources; the compose file by the Compose
Specification's JSON Schema. `deploy/tools/kubeconform.sh install` (scripts/setup --with-postgres)
builds kubeconform and lays the schemas out; nothing here reaches a network or a cluster."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema.validators import validator_for

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "deploy" / "tools" / "kubeconform.sh"
STATE = Path(os.environ.get("ZT_STATE_DIR", ROOT / ".local")) / "kubeconform"
MANIFESTS = sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml"))
COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
SETUP = "run scripts/setup --with-postgres (deploy/tools/kubeconform.sh install builds kubeconform and its schemas)"


def kubeconform(*files: Path) -> dict[str, Any]:
    """kubeconform's JSON report (`summary` counts; `resources`, those not valid) for `files`."""
    assert (STATE / "bin" / "kubeconform").exists() and (STATE / "schemas" / ".complete").is_file(), SETUP
    done = subprocess.run([str(TOOL), "validate", "-output", "json", *map(str, files)],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.stdout, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def first(kind: str) -> dict[str, Any]:
    documents = (d for path in MANIFESTS for d in yaml.safe_load_all(path.read_text()) if d)
    return copy.deepcopy(next(d for d in documents if d["kind"] == kind))


def test_every_committed_manifest_is_valid_and_none_is_skipped() -> None:
    count = sum(1 for path in MANIFESTS for d in yaml.safe_load_all(path.read_text()) if d)
    summary = kubeconform(*MANIFESTS)["summary"]
    assert summary == {"valid": count, "invalid": 0, "errors": 0, "skipped": 0}


def container(d: dict[str, Any]) -> dict[str, Any]:
    return d["spec"]["template"]["spec"]["containers"][0]  # type: ignore[no-any-return]


def acl(d: dict[str, Any]) -> dict[str, Any]:
    return d["spec"]["authorization"]["acls"][0]  # type: ignore[no-any-return]


# (kind, where the field goes, the misspelt field, a value): one per schema source.
MISSPELT: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str, Any]] = [
    ("Deployment", container, "imagePullPolcy", "Always"),
    ("Service", lambda d: d["spec"], "selektor", {"app": "x"}),
    ("ConfigMap", lambda d: d, "datta", {}),
    ("Kafka", lambda d: d["spec"]["kafka"]["listeners"][0], "authentification", {"type": "scram-sha-512"}),
    ("KafkaNodePool", lambda d: d["spec"], "role", ["broker"]),
    ("KafkaTopic", lambda d: d["spec"], "partition", 3),
    ("KafkaUser", acl, "operatons", ["Read"]),
    ("ScaledObject", lambda d: d["spec"], "maxReplicas", 3),
    ("TriggerAuthentication", lambda d: d["spec"], "secretTargetRefs", []),
]


@pytest.mark.parametrize(("kind", "where", "field", "value"), MISSPELT, ids=[m[0] for m in MISSPELT])
def test_kubeconform_rejects_a_misspelt_field(
    tmp_path: Path, kind: str, where: Callable[[dict[str, Any]], dict[str, Any]], field: str, value: Any
) -> None:
    document = first(kind)
    where(document)[field] = value
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(document))
    report = kubeconform(tmp_path / "m.yaml")
    assert report["summary"]["invalid"] == 1, report
    assert field in report["resources"][0]["msg"]


# (kind, a change that gives a known field a value its schema refuses)
WRONG_VALUE: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("Deployment", lambda d: d["spec"]["template"]["spec"]["securityContext"].update(runAsNonRoot="yes")),
    ("Kafka", lambda d: d["spec"]["kafka"]["listeners"][0].update(authentication={"type": "scram-sha-256"})),
    ("KafkaTopic", lambda d: d["spec"].update(partitions="three")),
    ("KafkaUser", lambda d: acl(d).update(operations=["Reed"])),
    ("ScaledObject", lambda d: d["spec"].update(minReplicaCount="one")),
]


@pytest.mark.parametrize(("kind", "change"), WRONG_VALUE, ids=[w[0] for w in WRONG_VALUE])
def test_kubeconform_rejects_a_value_of_the_wrong_type_or_outside_its_enum(
    tmp_path: Path, kind: str, change: Callable[[dict[str, Any]], None]
) -> None:
    document = first(kind)
    change(document)
    (tmp_path / "m.yaml").write_text(yaml.safe_dump(document))
    assert kubeconform(tmp_path / "m.yaml")["summary"]["invalid"] == 1


def test_a_kind_without_a_schema_is_an_error_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: x}\n")
    assert kubeconform(tmp_path / "m.yaml")["summary"]["errors"] == 1


def compose_errors(document: dict[str, Any]) -> list[str]:
    schema_file = STATE / "schemas" / "compose-spec.json"
    assert schema_file.is_file(), SETUP
    schema = json.loads(schema_file.read_text())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator_for(schema)(schema).iter_errors(document)]


def test_the_compose_file_is_valid_by_the_compose_specification() -> None:
    assert compose_errors(yaml.safe_load(COMPOSE.read_text())) == []


def test_the_compose_schema_rejects_a_misspelt_service_field() -> None:
    document = yaml.safe_load(COMPOSE.read_text())
    document["services"]["intake"]["comand"] = ["intake"]
    assert any("comand" in e for e in compose_errors(document))
