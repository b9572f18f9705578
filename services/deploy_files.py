"""The manifests of one environment as files: what `zorgtafel deploy manifests` writes and the
tests compare with the committed ones (docs/decisions/0015-deployment.md)."""

from __future__ import annotations

from services.catalog import Service
from services.deploy_manifests import Environment, kafka, kafka_topics, kafka_users, render
from services.deploy_workloads import (
    config_maps,
    deployment,
    metrics_service,
    scaled_object,
    trigger_authentication,
)
from shared.register.history import load_seed
from shared.retention.policy import RetentionPolicy


def manifest_files(env: Environment, parties: tuple[str, ...], policy: RetentionPolicy) -> dict[str, str]:
    """File name -> YAML text of every manifest of `env` for `parties` under `policy`."""
    workloads = [*config_maps(env)]
    for service in Service:
        workloads += [deployment(service, env), metrics_service(service)]
    return {
        "kafka.yaml": render(kafka(env)),
        "topics.yaml": render(kafka_topics(env, parties, policy)),
        "users.yaml": render(kafka_users(env, parties)),
        "services.yaml": render(workloads),
        "autoscaling.yaml": render([trigger_authentication(env), *(scaled_object(s, env, parties) for s in Service)]),
    }


def seed_parties() -> tuple[str, ...]:
    """The register's signatories (shared/register/data/parties.v1.json): a new deployment's parties."""
    return tuple(p.code for p in load_seed().parties)
