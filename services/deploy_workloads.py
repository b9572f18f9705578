"""The services' workloads on Kubernetes: Deployments, Services, configuration and KEDA scaling.

One image for every service (`deploy/container/Containerfile`, `zorgtafel run <service>`), run as
a non-root user on a read-only root filesystem; state (`ZT_STATE_DIR`) on an emptyDir. Settings
come from a ConfigMap, the keys from Secrets the operators create (never from this repository:
`ZT_ENVIRONMENT=production` refuses the built-in local keys), the broker password from the Secret
Strimzi's User Operator writes for the service's `KafkaUser`. Probes use the services' HTTP
endpoints (`/health/live`, `/health/ready`, `/metrics` on `ZT_HTTP_PORT`).

A service scales on consumer lag: a KEDA `ScaledObject` with one Kafka trigger per consumer group
and topic (the groups `shared/messaging/broker.group_id` gives its subscribers), read from the
broker by KEDA as `zt-operations`, the principal that may describe topics and groups and nothing
that changes them (`shared/security/acls.operations_acls`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.catalog import Service, service_module, service_settings
from services.deploy_manifests import Environment, Manifest, registry
from shared.security.acls import OPERATIONS, service_principal

UID = 10001  # the image's user (deploy/container/Containerfile)
HTTP_PORT = 8080
STATE_DIR = "/var/lib/zorgtafel"
CA_DIR, STAFF_DIR, KEYRING_DIR = "/etc/zorgtafel/kafka-ca", "/etc/zorgtafel/staff", "/etc/zorgtafel/transport"
CONFIG = "zorgtafel-config"
# Made by the operators (docs/deployment.md): ZT_MASTER_KEY, ZT_MASTER_KEY_ID, ZT_PSEUDONYM_KEY,
# ZT_MATCHING_KEY; the database URL with its password (key `url`); the staff register (ConfigMap,
# key `register.json`, docs/decisions/0010); the parties' transport keyring (key `keyring.json`).
KEYS, DATABASE, STAFF_REGISTER, KEYRING = (
    "zorgtafel-keys", "zorgtafel-database", "zorgtafel-staff-register", "zorgtafel-transport-keyring")
LAG_READER = "zorgtafel-kafka-lag"
# The services that open and seal parties' messages (their app builds shared/crypto/hub_keys.HubKeys).
KEYRING_READERS = frozenset({Service.intake, Service.triage, Service.casemeeting})
PROMETHEUS = {"prometheus.io/scrape": "true", "prometheus.io/port": str(HTTP_PORT), "prometheus.io/path": "/metrics"}


@dataclass(frozen=True, order=True)
class Subscription:
    """One subscriber: its consumer group and topics; `pattern` reads every party's inbound topic."""

    group: str
    topics: tuple[str, ...]
    pattern: bool


def subscriptions(service: Service, env: Environment) -> list[Subscription]:
    """The service's subscribers, read off its FastStream broker (nothing connects), by group
    (the broker's own order differs between runs; the manifests must not)."""
    settings = service_settings(service, topic_prefix=env.topic_prefix, consumer_group_prefix=env.group_prefix,
                                kafka_security_protocol="PLAINTEXT")  # planning only: no credential read
    broker = service_module(service).create_runtime(settings).broker
    return sorted(Subscription(s.group_id, tuple(t.name for t in s.topics), getattr(s, "_pattern", None) is not None)
                  for s in broker.subscribers)


def name_of(service: Service) -> str:
    return f"zorgtafel-{service.value}"


def config_maps(env: Environment) -> list[Manifest]:
    """The settings every service shares, and the lag reader's user name (KEDA reads it here)."""
    settings = {
        "ZT_ENVIRONMENT": "production",
        "KAFKA_BOOTSTRAP_SERVERS": env.bootstrap,
        "ZT_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "ZT_KAFKA_CA_FILE": f"{CA_DIR}/ca.crt",
        "ZT_TOPIC_PREFIX": env.topic_prefix,
        "ZT_CONSUMER_GROUP_PREFIX": env.group_prefix,
        "ZT_STATE_DIR": STATE_DIR,
        "ZT_STAFF_REGISTER": f"{STAFF_DIR}/register.json",
        "ZT_TRANSPORT_KEYRING": f"{STATE_DIR}/transport/keyring.json",
        "ZT_HTTP_HOST": "0.0.0.0",
        "ZT_HTTP_PORT": str(HTTP_PORT),
        "OTEL_EXPORTER_OTLP_ENDPOINT": env.otlp_endpoint,
    }
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG}, "data": settings},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": LAG_READER}, "data": {"username": OPERATIONS}},
    ]


def labels(service: Service) -> dict[str, str]:
    return {"app.kubernetes.io/name": name_of(service), "app.kubernetes.io/part-of": "zorgtafel-hub"}


def probe(path: str, period_s: int, failures: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period_s, "timeoutSeconds": 2,
            "failureThreshold": failures}


def volumes(service: Service, env: Environment) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The pod's volumes and the service container's mounts. Writable: the state dir and /tmp only."""
    pod = [
        {"name": "state", "emptyDir": {}},
        {"name": "tmp", "emptyDir": {}},
        {"name": "kafka-ca", "secret": {"secretName": env.ca_secret, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"name": "staff-register", "configMap": {"name": STAFF_REGISTER, "optional": True}},
    ]
    mounts = [
        {"name": "state", "mountPath": STATE_DIR},
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "kafka-ca", "mountPath": CA_DIR, "readOnly": True},
        {"name": "staff-register", "mountPath": STAFF_DIR, "readOnly": True},
    ]
    if service in KEYRING_READERS:
        pod.append({"name": "transport-keyring", "secret": {"secretName": KEYRING, "optional": True, "defaultMode": 0o440}})
    return pod, mounts


def keyring_copy(image: str) -> dict[str, Any]:
    """An init container that copies the keyring Secret into the state dir as the service's own
    0400 file: the services refuse a secret file that group or others may read
    (shared/messaging/security.read_secret), and a Secret volume is group-readable under fsGroup.
    A rotated keyring therefore reaches a pod when it restarts (docs/deployment.md)."""
    script = (f"umask 077 && mkdir -p {STATE_DIR}/transport && if [ -f {KEYRING_DIR}/keyring.json ]; "
              f"then cp {KEYRING_DIR}/keyring.json {STATE_DIR}/transport/keyring.json; fi")
    return {"name": "transport-keyring", "image": image, "command": ["sh", "-c", script], "securityContext": hardened(),
            "volumeMounts": [{"name": "state", "mountPath": STATE_DIR},
                             {"name": "transport-keyring", "mountPath": KEYRING_DIR, "readOnly": True}]}


def hardened() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def deployment(service: Service, env: Environment) -> Manifest:
    """The service's Deployment. No `replicas`: KEDA owns the count (re-applying must not reset it)."""
    pod_volumes, mounts = volumes(service, env)
    container = {
        "name": service.value, "image": env.image, "imagePullPolicy": "IfNotPresent", "args": [service.value],
        "ports": [{"name": "http", "containerPort": HTTP_PORT}],
        "envFrom": [{"configMapRef": {"name": CONFIG}}, {"secretRef": {"name": KEYS}}],
        "env": [
            {"name": "ZT_KAFKA_PASSWORD",
             "valueFrom": {"secretKeyRef": {"name": service_principal(service.value), "key": "password"}}},
            {"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": DATABASE, "key": "url"}}},
        ],
        # A start migrates the service's database first (docs/decisions/0014): up to five minutes.
        "startupProbe": probe("/health/live", 5, 60),
        "livenessProbe": probe("/health/live", 10, 3),
        "readinessProbe": probe("/health/ready", 10, 3),
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
        "securityContext": hardened(),
        "volumeMounts": mounts,
    }
    spec: dict[str, Any] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        # Longer than ZT_GRACEFUL_TIMEOUT_S (15 s): in-flight handlers finish, offsets are committed.
        "terminationGracePeriodSeconds": 30,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": pod_volumes,
    }
    if service in KEYRING_READERS:
        spec["initContainers"] = [keyring_copy(env.image)]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name_of(service), "labels": labels(service)},
        "spec": {
            "selector": {"matchLabels": labels(service)},
            "template": {"metadata": {"labels": labels(service), "annotations": PROMETHEUS}, "spec": spec},
        },
    }


def metrics_service(service: Service) -> Manifest:
    """The Service in front of the pods' HTTP port: metrics for Prometheus (by annotation)."""
    return {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": name_of(service), "labels": labels(service), "annotations": PROMETHEUS},
        "spec": {"selector": labels(service), "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http"}]},
    }


def trigger_authentication(env: Environment) -> Manifest:
    """How KEDA reaches the broker: SCRAM-SHA-512 over TLS as zt-operations, trusting the cluster CA."""
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "TriggerAuthentication",
        "metadata": {"name": LAG_READER},
        "spec": {
            "secretTargetRef": [{"parameter": "password", "name": OPERATIONS, "key": "password"},
                                {"parameter": "ca", "name": env.ca_secret, "key": "ca.crt"}],
            "configMapTargetRef": [{"parameter": "username", "name": LAG_READER, "key": "username"}],
        },
    }


def scaled_object(service: Service, env: Environment, parties: Sequence[str]) -> Manifest:
    """Scale the service on its consumer groups' lag: one trigger per group and topic (a pattern
    subscription: one per group, over every topic the group reads). At most as many pods as one
    group has partitions to share (more would idle), and at most `env.max_replicas`."""
    partitions = {t.named(env.topic_prefix): t.partitions for t in registry(parties)}
    inbound = sum(1 for name in partitions if name.endswith(".inbound.v1"))
    triggers, spread = [], [1]
    for sub in subscriptions(service, env):
        spread.append(inbound if sub.pattern else sum(partitions[t] for t in sub.topics))
        for topic in (None,) if sub.pattern else sub.topics:
            metadata = {"bootstrapServers": env.bootstrap, "consumerGroup": sub.group, "lagThreshold": str(env.lag_threshold),
                        "offsetResetPolicy": "earliest", "sasl": "scram_sha512", "tls": "enable"}
            if topic is not None:
                metadata["topic"] = topic
            triggers.append({"type": "kafka", "metadata": metadata, "authenticationRef": {"name": LAG_READER}})
    return {
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": name_of(service), "labels": labels(service)},
        "spec": {
            "scaleTargetRef": {"name": name_of(service)},
            "minReplicaCount": 1,
            "maxReplicaCount": min(env.max_replicas, max(spread)),
            "pollingInterval": 30,
            "cooldownPeriod": 300,
            "triggers": triggers,
        },
    }
