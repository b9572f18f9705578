from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings

SERVICE = "audit"


class AuditSettings(ServiceSettings):
    service_name: str = SERVICE
    # The LDV read extension asks the read API to cap its results; a query asks for at most this.
    max_results: int = Field(default=1000, ge=1, le=100_000)
    # How often records past their term (audit_records, access_log of the policy) are deleted.
    prune_interval_s: float = 3600.0
