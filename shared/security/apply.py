"""Make the broker's principals, credentials, topics and ACLs what the plan says, as zt-admin.

Idempotent: a second run changes nothing. Rules of this environment that the plan no longer has
(a party that left or was excluded) are removed, with the credential of a principal that has no
rule left; rules of other environments on the same cluster are left alone. Uses confluent-kafka's
admin client (librdkafka): aiokafka has no ACL or SCRAM calls. Passwords are written to the
secret files (0600) and sent to the broker only as SCRAM upserts; they are never logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

from shared.messaging.security import KafkaAccess, new_password, read_secret, write_secret
from shared.security.acls import AclEntry, is_managed, owned_by

SCRAM_ITERATIONS = 8192
TIMEOUT_S = 30.0
# librdkafka's own lines (a broker it cannot reach, a failed authentication) go through `logging`,
# rendered by the project's JSON handler with their arguments' types only (shared/telemetry/logging.py),
# instead of raw to stderr.
LIBRDKAFKA_LOG = logging.getLogger("librdkafka")


class AccessApplyError(RuntimeError):
    """The broker refused part of the plan; names principals and resources, never a password."""


@dataclass(frozen=True)
class AccessChanges:
    credentials_created: tuple[str, ...]
    credentials_removed: tuple[str, ...]
    rules_added: tuple[AclEntry, ...]
    rules_removed: tuple[AclEntry, ...]

    @property
    def changed(self) -> bool:
        return bool(self.credentials_created or self.credentials_removed or self.rules_added or self.rules_removed)


# Every rule on the broker: what `describe_acls` reads to compare with the plan.
EVERYTHING = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                              AclPermissionType.ANY)


def _fields(entry: AclEntry) -> tuple[object, ...]:
    return (ResourceType[entry.resource_type], entry.resource_name, ResourcePatternType[entry.pattern_type],
            f"User:{entry.principal}", "*", AclOperation[entry.operation], AclPermissionType.ALLOW)


def _binding(entry: AclEntry) -> AclBinding:
    return AclBinding(*_fields(entry))


def _exactly(entry: AclEntry) -> AclBindingFilter:
    return AclBindingFilter(*_fields(entry))


def admin_client(access: KafkaAccess) -> AdminClient:
    """confluent-kafka's admin client for `access`, its log lines handed to LIBRDKAFKA_LOG. librdkafka
    then queues them for the client's `poll` (so they are written from Python's thread, not its
    own), which `_result` and `_until` call while they wait."""
    return AdminClient({**access.confluent(), "logger": LIBRDKAFKA_LOG})


def _result(client: AdminClient, future: Any) -> Any:
    """`future`'s result (raises what it raises, TimeoutError after TIMEOUT_S), the client's log
    lines written while it waits."""
    deadline = time.monotonic() + TIMEOUT_S
    while not future.done() and time.monotonic() < deadline:
        client.poll(0.05)
    client.poll(0)
    return future.result(timeout=0)


def _known(client: AdminClient) -> set[str]:
    """The principals the broker has a SCRAM credential for."""
    return set(_result(client, client.describe_user_scram_credentials()))


def _upsert(principal: str, path: Path) -> UserScramCredentialUpsertion:
    return UserScramCredentialUpsertion(
        principal, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), read_secret(path).encode())


def _entry(binding: AclBinding) -> AclEntry | None:
    principal = binding.principal.removeprefix("User:")
    if binding.permission_type != AclPermissionType.ALLOW or binding.host != "*":
        return None
    return AclEntry(principal, binding.restype.name, binding.resource_pattern_type.name,  # type: ignore[arg-type]
                    binding.name, binding.operation.name)  # type: ignore[arg-type]


def _wait(client: AdminClient, futures: dict[object, object], what: str) -> None:
    failed = []
    for key, future in futures.items():
        try:
            _result(client, future)
        except KafkaException as exc:
            failed.append(f"{key}: {exc.args[0].name() if exc.args else type(exc).__name__}")
    if failed:
        raise AccessApplyError(f"{what} refused: {'; '.join(sorted(map(str, failed)))[:2000]}")


def _rules(client: AdminClient) -> set[AclEntry]:
    return {e for b in _result(client, client.describe_acls(EVERYTHING)) if (e := _entry(b))}


def _rules_now(client: AdminClient, added: set[AclEntry], removed: set[AclEntry]) -> bool:
    now = _rules(client)
    return added <= now and not (removed & now)


def _until(client: AdminClient, done: Callable[[], bool], what: str, within_s: float = TIMEOUT_S) -> None:
    deadline = time.monotonic() + within_s
    while not done():
        if time.monotonic() > deadline:
            raise AccessApplyError(f"{what}: the broker did not show the change within {within_s:.0f} s")
        client.poll(0.05)


def apply_access(
    admin: KafkaAccess,
    rules: set[AclEntry],
    principals: set[str],
    secret_file: Callable[[str], Path],
    *,
    topic_prefix: str,
    group_prefix: str,
) -> AccessChanges:
    """Credentials for `principals` (made and stored when missing), exactly `rules` among this
    environment's rules of managed principals. Raises AccessApplyError, SecretFileError."""
    client = admin_client(admin)
    known = _known(client)
    created = []
    upserts = []
    for principal in sorted(principals):
        path = secret_file(principal)
        # A principal the broker does not know gets a new password, never an old file's (a party
        # excluded and admitted again does not get its former secret back); a missing file too.
        if principal not in known or not path.exists():
            write_secret(path, new_password())
            created.append(principal)
            upserts.append(_upsert(principal, path))
    if upserts:
        _wait(client, client.alter_user_scram_credentials(upserts), "credentials")

    on_broker = _rules(client)
    mine = {e for e in on_broker if is_managed(e.principal) and owned_by(e, topic_prefix, group_prefix)}
    add, remove = sorted(rules - on_broker), sorted(mine - rules)
    if add:
        _wait(client, client.create_acls([_binding(e) for e in add]), "rules")
    if remove:
        _wait(client, client.delete_acls([_exactly(e) for e in remove]), "rule removal")
    # The controller answers once a change is committed; the broker applies it a moment later.
    # Return only when the broker's own view (what it authenticates and authorizes by) has it.
    _until(client, lambda: _known(client) >= set(created), "credentials")
    _until(client, lambda: _rules_now(client, set(add), set(remove)), "rules")
    # A managed principal with no rule left anywhere (a party that left or was excluded) loses its
    # credential too: its client is refused at the next authentication, not only at authorization.
    still = {e.principal for e in (on_broker - set(remove)) | rules}
    gone = sorted(p for p in known if is_managed(p) and p not in principals and p not in still)
    if gone:
        _wait(client, client.alter_user_scram_credentials(
            [UserScramCredentialDeletion(p, ScramMechanism.SCRAM_SHA_512) for p in gone]), "credential removal")
        for principal in gone:  # the secret of a credential that no longer exists goes too
            secret_file(principal).unlink(missing_ok=True)
        _until(client, lambda: not _known(client) & set(gone), "credential removal")
    return AccessChanges(tuple(created), tuple(gone), tuple(add), tuple(remove))


def grant(admin: KafkaAccess, principal: str, rules: set[AclEntry], secret_file: Callable[[str], Path]) -> None:
    """Add `principal`'s credential (made when it has none) and `rules`, leaving every other rule
    as it is: for a component outside the plan, such as a test's probe service. The next `apply`
    of its environment removes the rules again. Raises AccessApplyError."""
    client = admin_client(admin)
    path = secret_file(principal)
    if principal not in _known(client) or not path.exists():
        write_secret(path, new_password())
        _wait(client, client.alter_user_scram_credentials([_upsert(principal, path)]), "credentials")
        _until(client, lambda: principal in _known(client), "credentials")
    if rules:
        _wait(client, client.create_acls([_binding(e) for e in sorted(rules)]), "rules")
        _until(client, lambda: _rules_now(client, rules, set()), "rules")


def rotate(admin: KafkaAccess, principal: str, secret_file: Callable[[str], Path]) -> None:
    """Give `principal` a new password: made, kept beside the old one (`.next`), set on the broker,
    then put in place. A crash in between leaves the `.next` file, which the next run sets again,
    so the file and the broker never disagree for long. Clients already connected stay connected;
    a process reads its password when it starts, so restart the principal's processes after.
    Raises AccessApplyError."""
    path = secret_file(principal)
    pending = path.with_name(path.name + ".next")
    client = admin_client(admin)
    if principal not in _known(client):
        raise AccessApplyError(f"{principal} has no credential to rotate (apply gives one to a principal of the plan)")
    if not pending.exists():
        write_secret(pending, new_password())
    _wait(client, client.alter_user_scram_credentials([_upsert(principal, pending)]), "credentials")
    pending.replace(path)
