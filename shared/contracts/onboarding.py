"""The onboarding bundle: everything a party's system needs to talk to one hub deployment.

Made by `zorgtafel partner onboard <code>` (and again, with the new key, by `partner rotate-key`);
handed to the party's engineer out of band, like any credential (covenant art. 17: confidentiality
of the means that protect personal data). It holds secrets, the transport keys and the broker
password, so it is written 0600 and never logged. The schema is docs/schemas/onboarding-bundle.v1.json.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.envelope import Moment

BUNDLE_FORMAT = "zorgtafel.onboarding-bundle.v1"


class BundleKey(BaseModel):
    """One transport key: AES-256-GCM, 32 bytes as base64url without padding (docs/sealing.md).
    Seal with the newest; open what the hub sealed with the key its `kid` names. The hub seals with
    a key from `active_from` on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str = Field(description="The `kid` of every value sealed with this key, `party:<code>:<n>`.")
    alg: Literal["A256GCM"] = "A256GCM"
    key: str = Field(pattern=r"^[A-Za-z0-9_-]{43}$", description="32 bytes, base64url without padding.")
    active_from: Moment = Field(description="From when the hub seals for you with this key (RFC 3339).")
    opened_until: Moment | None = Field(
        default=None,
        description="For a key that was replaced: until when the hub still opens what you seal with it (then destroy "
        "your copy); null while it is your newest.",
    )


class BundleBroker(BaseModel):
    """How the party's system reaches the broker: TLS and SASL/SCRAM-SHA-512 as its own principal."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    bootstrap_servers: str
    security_protocol: Literal["SASL_SSL"] = "SASL_SSL"
    sasl_mechanism: Literal["SCRAM-SHA-512"] = "SCRAM-SHA-512"
    username: str
    password: str
    ca_certificate_pem: str | None = Field(
        default=None, description="The CA that signed the broker's certificate; absent when it is a public CA."
    )


class BundleTopics(BaseModel):
    """The party's own topics (with the deployment's prefix) and the consumer groups it may use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inbound: str = Field(description="Where the party writes every message to the hub.")
    inbox: str = Field(description="Where the hub writes every answer and notice for the party.")
    consumer_group_prefix: str = Field(description="Any consumer group id starting with this may read the inbox.")


class OnboardingBundle(BaseModel):
    """A party's onboarding bundle for one deployment (`environment`, topic prefix in `topics`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["zorgtafel.onboarding-bundle.v1"] = BUNDLE_FORMAT
    party: str
    environment: str
    issued_at: Moment
    transport_keys: tuple[BundleKey, ...] = Field(min_length=1, description="Every key still valid, oldest first.")
    broker: BundleBroker
    topics: BundleTopics
    documents: dict[str, str] = Field(
        description="Where the contract is published (schemas, asyncapi, sealing, test_vectors, parties): URLs, or "
        "paths in the Zorgtafel Hub repository when the deployment publishes none."
    )
