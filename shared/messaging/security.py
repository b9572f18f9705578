"""How every client of the hub reaches the broker: TLS, SASL/SCRAM-SHA-512, its own principal.

The local broker (deploy/kafka/kafka.sh) accepts nothing else: no anonymous client, no
plaintext. Each principal's password is a secret of the deployment, generated once by
`zorgtafel security apply` into a file only its owner may read (mode 0600, in a 0700 folder), or
given in the environment by a secret store; it is never logged, and a `SecretStr` keeps it out of
reprs. The CA certificate is public (it proves the broker, not the client).
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.security import BaseSecurity, SASLScram512
from pydantic import SecretStr

MECHANISM = "SCRAM-SHA-512"


class SecretFileError(RuntimeError):
    """A secret file is missing, or others than its owner may read it. Names the path only."""


def read_secret(path: Path) -> str:
    """The secret in `path` (stripped). Raises SecretFileError when it is missing or its mode
    lets group or others read it: a readable secret is a leaked secret."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise SecretFileError(f"secret file {path} is missing (zorgtafel security apply creates it)") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(f"secret file {path} is readable by others than its owner (chmod 600)")
    return path.read_text().strip()


def write_secret(path: Path, value: str) -> None:
    """Write `value` to `path` with mode 0600 (its folder 0700): written to a new file that only
    its owner could ever open, flushed to disk, then renamed over `path`, so no reader ever sees
    it readable by others or half written."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(fresh, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def new_password() -> str:
    """A fresh credential: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class KafkaAccess:
    """One principal's way onto the broker. `security_protocol` is SASL_SSL (the hub's brokers)
    or PLAINTEXT (a broker someone else provides for tests, e.g. a testcontainer)."""

    bootstrap_servers: str
    security_protocol: str = "SASL_SSL"
    username: str | None = None
    password: SecretStr | None = field(default=None, repr=False)
    ca_file: str | None = None
    ca_pem: str | None = None  # the CA certificate itself (an onboarding bundle carries it), else ca_file

    def _ssl_context(self) -> Any:
        return create_ssl_context(cafile=None if self.ca_pem else self.ca_file, cadata=self.ca_pem)

    @property
    def secured(self) -> bool:
        return self.security_protocol == "SASL_SSL"

    def _password(self) -> str:
        if self.username is None or self.password is None:
            raise SecretFileError("a secured broker needs a username and a password")
        return self.password.get_secret_value()

    def aiokafka(self) -> dict[str, Any]:
        """Keyword arguments for AIOKafkaProducer, AIOKafkaConsumer and AIOKafkaAdminClient."""
        options: dict[str, Any] = {"bootstrap_servers": self.bootstrap_servers}
        if self.secured:
            options.update(
                security_protocol="SASL_SSL", sasl_mechanism=MECHANISM, sasl_plain_username=self.username,
                sasl_plain_password=self._password(), ssl_context=self._ssl_context(),
            )
        return options

    def faststream(self) -> BaseSecurity | None:
        """The `security=` of a FastStream KafkaBroker."""
        if not self.secured:
            return None
        return SASLScram512(self.username or "", self._password(), ssl_context=self._ssl_context())

    def confluent(self) -> dict[str, str]:
        """Configuration for confluent-kafka (librdkafka) clients, e.g. the admin client."""
        config = {"bootstrap.servers": self.bootstrap_servers}
        if self.secured:
            config.update({
                "security.protocol": "SASL_SSL", "sasl.mechanisms": MECHANISM, "sasl.username": self.username or "",
                "sasl.password": self._password(), "ssl.ca.location": self.ca_file or "",
            })
        return config
