"""The Kubernetes manifests of a deployment, generated from the registries (issue 14, deliverable 5).

Strimzi runs the broker: a `Kafka` cluster in KRaft mode (one `KafkaNodePool` of combined
controllers and brokers), one `KafkaTopic` per registry topic with the retention policy's topic
configs (`shared/retention/topics.py`), and one `KafkaUser` per principal whose ACLs are exactly
the rules `zorgtafel security apply` gives the local broker (`shared/security/acls.py`: the same
plan, from the services' code and the register). Covenant art. 12 and 15 (a party sees only what
its role needs) and art. 1.2 with Bijlage 3 (what is no longer needed is destroyed: topic
retention) therefore hold on the cluster as they hold locally. The workloads (Deployments,
Services, KEDA scaling) are `services/deploy_workloads.py`.

Nothing here connects to anything: each service's runtime is built only to read its subscribers
and publishers, as `zorgtafel security print` does. Written by `zorgtafel deploy manifests`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

import yaml

from services.cli_security import plan_access
from shared.contracts.topics import HUB_TOPICS, Topic, partner_topics
from shared.retention.policy import RetentionPolicy
from shared.retention.topics import topic_configs
from shared.security.acls import AclEntry

Manifest = dict[str, Any]
STRIMZI = "kafka.strimzi.io/v1beta2"
# The broker version of the local broker (deploy/kafka/pom.xml), so both run the same Kafka.
KAFKA_VERSION = "4.1.1"
# The client listener: TLS with SCRAM-SHA-512, as the local broker's (docs/decisions/0009).
LISTENER, LISTENER_PORT = "tls", 9093
# Strimzi's names for Kafka's ACL vocabulary (KafkaUser `spec.authorization.acls`).
RESOURCE_TYPES = {"TOPIC": "topic", "GROUP": "group", "CLUSTER": "cluster"}
PATTERN_TYPES = {"LITERAL": "literal", "PREFIXED": "prefix"}
OPERATIONS = {
    "READ": "Read", "WRITE": "Write", "DESCRIBE": "Describe", "DESCRIBE_CONFIGS": "DescribeConfigs",
    "CREATE": "Create", "ALTER_CONFIGS": "AlterConfigs",
}


@dataclass(frozen=True)
class Environment:
    """What one environment's manifests are generated for.

    `cluster`: the Strimzi cluster's name (Services and Secrets are named after it); `brokers`:
    nodes in the pool, each a controller and a broker, and every topic's replication factor;
    `storage`: each node's volume (a Kubernetes quantity); `otlp_endpoint`: the OpenTelemetry
    collector the services send traces to (OTLP/HTTP); `max_replicas`: the most pods one
    service scales to (each holds PostgreSQL connections); `lag_threshold`: the consumer lag (in
    messages) one pod is meant to carry before KEDA adds another.
    """

    cluster: str = "zorgtafel"
    topic_prefix: str = ""
    group_prefix: str = "zorgtafel"
    image: str = f"zorgtafel-hub:{version('zorgtafel-hub')}"
    brokers: int = 3
    storage: str = "20Gi"
    otlp_endpoint: str = "http://otel-collector:4318"
    max_replicas: int = 6
    lag_threshold: int = 50

    @property
    def bootstrap(self) -> str:
        """The client listener's bootstrap address inside the namespace (Strimzi's Service)."""
        return f"{self.cluster}-kafka-bootstrap:{LISTENER_PORT}"

    @property
    def ca_secret(self) -> str:
        """The Secret in which Strimzi publishes the cluster CA certificate (key `ca.crt`)."""
        return f"{self.cluster}-cluster-ca-cert"

    @property
    def min_insync(self) -> int:
        return min(2, self.brokers)


def labels(env: Environment) -> dict[str, str]:
    """The label by which Strimzi's operators pick up a resource of this cluster."""
    return {"strimzi.io/cluster": env.cluster}


def kafka(env: Environment) -> list[Manifest]:
    """The cluster (KRaft, node pools) and its one pool. `auto.create.topics.enable=false` as on
    the local broker: a misspelt topic is an error, not a new topic nobody reads."""
    cluster = {
        "apiVersion": STRIMZI, "kind": "Kafka",
        "metadata": {"name": env.cluster, "annotations": {"strimzi.io/node-pools": "enabled", "strimzi.io/kraft": "enabled"}},
        "spec": {
            "kafka": {
                "version": KAFKA_VERSION,
                "listeners": [{"name": LISTENER, "port": LISTENER_PORT, "type": "internal", "tls": True,
                               "authentication": {"type": "scram-sha-512"}}],
                "authorization": {"type": "simple"},
                "config": {
                    "auto.create.topics.enable": False,
                    "default.replication.factor": env.brokers,
                    "min.insync.replicas": env.min_insync,
                    "offsets.topic.replication.factor": env.brokers,
                    "transaction.state.log.replication.factor": env.brokers,
                    "transaction.state.log.min.isr": env.min_insync,
                },
            },
            "entityOperator": {"topicOperator": {}, "userOperator": {}},
        },
    }
    pool = {
        "apiVersion": STRIMZI, "kind": "KafkaNodePool",
        "metadata": {"name": "dual-role", "labels": labels(env)},
        "spec": {
            "replicas": env.brokers,
            "roles": ["controller", "broker"],
            "storage": {"type": "jbod", "volumes": [
                {"id": 0, "type": "persistent-claim", "size": env.storage, "deleteClaim": False, "kraftMetadata": "shared"},
            ]},
        },
    }
    return [cluster, pool]


def registry(parties: Sequence[str]) -> tuple[Topic, ...]:
    """Every topic of the environment: the hub's and each party's inbound and inbox topics."""
    return (*HUB_TOPICS, *partner_topics(tuple(parties)))


def kafka_topics(env: Environment, parties: Sequence[str], policy: RetentionPolicy) -> list[Manifest]:
    """One `KafkaTopic` per registry topic: its partitions, and the retention policy's
    `retention.ms`, `cleanup.policy` and `segment.ms` (the same configs `topics create` sets)."""
    topics = []
    for topic in registry(parties):
        name = topic.named(env.topic_prefix)
        topics.append({
            "apiVersion": STRIMZI, "kind": "KafkaTopic",
            "metadata": {"name": name, "labels": labels(env)},
            "spec": {"topicName": name, "partitions": topic.partitions, "replicas": env.brokers,
                     "config": topic_configs(topic, policy)},
        })
    return topics


def strimzi_acls(rules: Iterable[AclEntry]) -> list[dict[str, Any]]:
    """One principal's rules as Strimzi ACLs, one per resource with its operations sorted."""
    grouped: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for rule in rules:
        grouped[(rule.resource_type, rule.pattern_type, rule.resource_name)].add(OPERATIONS[rule.operation])
    return [
        {"resource": {"type": RESOURCE_TYPES[kind], "name": name, "patternType": PATTERN_TYPES[pattern]},
         "operations": sorted(operations), "host": "*"}
        for (kind, pattern, name), operations in sorted(grouped.items())
    ]


def kafka_users(env: Environment, parties: Sequence[str]) -> list[Manifest]:
    """One `KafkaUser` per principal of the plan, SCRAM-SHA-512 (the User Operator writes its
    password to a Secret of the same name), with exactly the plan's rules. Raises
    UnplaceableEndpointError, InvalidPartyCodeError (see `plan_access`)."""
    plan = plan_access(tuple(parties), env.topic_prefix, env.group_prefix)
    by_principal: dict[str, list[AclEntry]] = defaultdict(list)
    for rule in plan.rules:
        by_principal[rule.principal].append(rule)
    return [
        {
            "apiVersion": STRIMZI, "kind": "KafkaUser",
            "metadata": {"name": principal, "labels": labels(env)},
            "spec": {"authentication": {"type": "scram-sha-512"},
                     "authorization": {"type": "simple", "acls": strimzi_acls(by_principal[principal])}},
        }
        for principal in sorted(plan.principals)
    ]


HEADER = (
    "# Generated by `zorgtafel deploy manifests` from the topic registry, the retention policy, the\n"
    "# services' code and the register of parties. Do not edit: change those and regenerate\n"
    "# (tests/unit/test_deploy_manifests.py fails until the committed files are regenerated).\n"
)


def render(documents: Sequence[Manifest]) -> str:
    """The documents as one YAML stream, keys in the order written (readable diffs)."""
    return HEADER + yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False, width=120)
