"""Typed configuration, read once from the environment when a service is created."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:  # the broker's security types pull in aiokafka and FastStream: only for a client
    from shared.messaging.security import KafkaAccess

# The built-in keys are published with the code: fine for a local run and the tests, never for data.
LOCAL_ONLY_SECRETS = {
    "pseudonym_key": "local-development-only-pseudonym-key",
    "master_key": "bG9jYWwtZGV2ZWxvcG1lbnQtb25seS1tYXN0ZXJrZXk=",
    "matching_key": "local-development-only-matching-key",
}


# Each service's health and metrics port on one machine (`zorgtafel ops status` asks them there).
HTTP_PORTS = {"intake": 8101, "triage": 8102, "casemeeting": 8103, "retention": 8104, "audit": 8105}


class InsecureSettingsError(RuntimeError):
    pass


class ServiceSettings(BaseSettings):
    """What every service needs: where Kafka and its database are, and how to trace.

    `KAFKA_BOOTSTRAP_SERVERS` and `DATABASE_URL` are read without prefix because the test
    fixtures and deployments share them; everything else has the `ZT_` prefix.
    """

    # populate_by_name: code (tests, tools) may pass a field by its name even where the environment
    # uses a standard name (DATABASE_URL, OTEL_EXPORTER_OTLP_ENDPOINT).
    model_config = SettingsConfigDict(env_prefix="ZT_", frozen=True, extra="ignore", populate_by_name=True)

    service_name: str = "zorgtafel"
    # "production" refuses to start with any of the built-in local-only keys.
    environment: Literal["local", "production"] = "local"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "ZT_KAFKA_BOOTSTRAP_SERVERS"),
    )
    # Where the local scripts keep state and generated secrets (ZT_STATE_DIR, as they read it).
    # Declared before `database_url`, whose default is made from it.
    state_dir: str = str(Path(__file__).resolve().parent.parent / ".local")
    # SQLite is the embedded default for a local run: one file per service in the state folder,
    # <state_dir>/zorgtafel-<service>.db (`database_url_for`), wherever a command runs from (issue
    # 14: a default relative to the working directory gave each folder its own empty databases).
    # Tests and deployments point this at PostgreSQL (postgresql+asyncpg://...); set, it wins.
    database_url: str = Field(
        default_factory=lambda values: f"sqlite+aiosqlite:///{Path(values['state_dir']) / 'zorgtafel.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "ZT_DATABASE_URL"),
    )
    otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "ZT_OTLP_ENDPOINT"),
    )
    # The OTLP exporter spec: the base above gets `/v1/traces` appended; this full traces URL is
    # used as is and wins (shared/telemetry/tracing.py: traces_endpoint).
    otlp_traces_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ZT_OTLP_TRACES_ENDPOINT"),
    )
    # Key for pseudonymising data-subject ids in processing records (Logboek Dataverwerkingen).
    # The default only suits a local run; a deployment sets its own secret.
    pseudonym_key: SecretStr = SecretStr(LOCAL_ONLY_SECRETS["pseudonym_key"])
    # Prepended to every topic name: an environment's namespace on a shared cluster (and one
    # per test, so tests never read each other's messages). Empty in a dedicated deployment.
    topic_prefix: str = Field(default="", pattern=r"^([a-z0-9-]+\.)?$")
    # Master key (base64 of 32 bytes) that wraps every case's data key; its id is stored with
    # each wrapped key so keys can be rotated. The default only suits a local run.
    master_key: SecretStr = SecretStr(LOCAL_ONLY_SECRETS["master_key"])
    master_key_id: str = "local-1"
    # Key for matching repeat referrals on a keyed hash of BSN or name + date of birth.
    matching_key: SecretStr = SecretStr(LOCAL_ONLY_SECRETS["matching_key"])
    consumer_group_prefix: str = "zorgtafel"
    # The broker (shared/messaging/security.py): SASL_SSL with SCRAM-SHA-512 as the principal
    # `kafka_username` (zt-<service> when unset). Its password is ZT_KAFKA_PASSWORD (from a secret
    # store) or the 0600 file <state_dir>/secrets/kafka/<principal>.password that `zorgtafel
    # security apply` writes. PLAINTEXT only for a broker someone else provides (a testcontainer).
    kafka_security_protocol: Literal["SASL_SSL", "PLAINTEXT"] = "SASL_SSL"
    kafka_username: str | None = None
    kafka_password: SecretStr | None = None
    kafka_ca_file: str | None = None  # <state_dir>/kafka/tls/ca.crt, made by deploy/kafka/kafka.sh
    # The staff register of public keys (docs/decisions/0010); <state_dir>/staff/register.json
    # when unset. On a cluster: a read-only mounted file the administrators change.
    staff_register: str | None = None
    # Every party's transport keys, wrapped under the master key (shared/crypto/transport_keys.py);
    # a 0600 file, <state_dir>/transport/keyring.json when unset. On a cluster: a mounted Secret.
    transport_keyring: str | None = None
    # Where the deployment publishes the partner contract (docs/ of this repository), e.g.
    # https://zorgtafel.example/contract/ : onboarding bundles then name URLs instead of paths.
    partner_contract_url: str | None = None
    # A staff command older than this is refused as a replay (a week: well inside the 45 days a
    # service keeps the ids of processed messages, so an old copy is refused even once forgotten;
    # hence at most 30 days).
    staff_command_max_age_s: float = Field(default=7 * 24 * 3600.0, gt=0, le=30 * 24 * 3600.0)
    # The relay can run elsewhere (or be paused for maintenance); the outbox keeps the events.
    outbox_relay_enabled: bool = True
    outbox_poll_interval_s: float = 0.2
    outbox_batch_size: int = 100
    retry_base_delay_s: float = 0.5
    retry_max_delay_s: float = 30.0
    # Attempts for a handler error that is not transient before the message goes to the
    # dead-letter topic (transient errors retry without limit, with capped backoff).
    max_handler_attempts: int = 5
    graceful_timeout_s: float = 15.0
    # Bounds (PostgreSQL): a statement, a wait for a lock, and a whole handler. A statement or lock
    # timeout is TRANSIENT (retried, not an attempt); a handler over its bound is a BUG (bounded
    # attempts, then a dead letter). See shared/messaging/errors.py.
    statement_timeout_s: float = Field(default=30.0, gt=0)
    lock_timeout_s: float = Field(default=10.0, gt=0)
    handler_timeout_s: float = Field(default=120.0, gt=0)
    # The retention policy in force (shared/retention/data/retention-policy.v1.json when unset):
    # a deployment's own file replaces it whole. Services and `topics create` read the same file.
    retention_policy: str | None = None
    # The register of processing activities in force (shared/audit/data/processing-activities.v1.json
    # when unset); a deployment's own file replaces it whole.
    processing_activities: str | None = None
    metadata_max_age_ms: int = 10_000
    # How much a consumer fetches from one partition at a time: its turn before the next
    # partition's records (about 25 referrals). A record larger than this is still fetched whole.
    fetch_bytes_per_partition: int = Field(default=32_768, ge=1024)
    # Health and metrics over HTTP (docs/operations.md). Locally each service has its own port
    # (HTTP_PORTS); a container sets 0.0.0.0 and 8080. Port 0 takes any free port (the tests).
    http_host: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # Readiness fails while the oldest outbox row waiting to be published is older than this.
    outbox_stuck_after_s: float = Field(default=120.0, gt=0)

    def http_port_for(self, service: str) -> int:
        """The port `service` serves /health and /metrics on: the setting, else its local default."""
        return self.http_port if self.http_port is not None else HTTP_PORTS.get(service, 8100)

    def check_secrets(self) -> None:
        """In production, refuse the built-in keys. Checked at start, not as a pydantic validator:
        a validation error would quote its input, and the input holds the real secrets."""
        if self.environment != "production":
            return
        local = [name for name, value in LOCAL_ONLY_SECRETS.items() if getattr(self, name).get_secret_value() == value]
        if local:
            raise InsecureSettingsError(f"production needs its own secrets; still local-only: {', '.join(sorted(local))}")

    def kafka_access(self, principal: str | None = None) -> KafkaAccess:
        """How `principal` reaches the broker (this service's own when None). Raises
        SecretFileError when a secured broker's password is in neither place."""
        from shared.messaging.security import KafkaAccess, read_secret

        if self.kafka_security_protocol == "PLAINTEXT":
            return KafkaAccess(self.kafka_bootstrap_servers, "PLAINTEXT")
        own = self.kafka_username or f"zt-{self.service_name}"
        username = principal or own
        password = self.kafka_password if username == own else None
        if password is None:
            password = SecretStr(read_secret(self.secret_file(username)))
        ca_file = self.kafka_ca_file or str(Path(self.state_dir) / "kafka" / "tls" / "ca.crt")
        return KafkaAccess(self.kafka_bootstrap_servers, "SASL_SSL", username, password, ca_file)

    def secret_file(self, principal: str) -> Path:
        """Where a principal's broker password is kept on this machine (mode 0600)."""
        return Path(self.state_dir) / "secrets" / "kafka" / f"{principal}.password"

    def staff_register_file(self) -> Path:
        return Path(self.staff_register) if self.staff_register else Path(self.state_dir) / "staff" / "register.json"

    def transport_keyring_file(self) -> Path:
        return Path(self.transport_keyring) if self.transport_keyring else Path(self.state_dir) / "transport" / "keyring.json"

    def staff_key_file(self, staff_id: str) -> Path:
        """Where a staff member's private signing key is kept on this machine (mode 0600)."""
        return Path(self.state_dir) / "staff" / "keys" / f"{staff_id}.key"

    def database_url_for(self, service: str) -> str:
        """Each service owns its data: one database (or SQLite file) per service."""
        url = self.database_url
        if url.startswith("sqlite"):
            base, _, suffix = url.rpartition(".db")
            return f"{base}-{service}.db{suffix}" if base else f"{url}-{service}"
        head, _, db = url.rpartition("/")
        db, sep, query = db.partition("?")
        return f"{head}/{db}_{service}{sep}{query}"
