from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "triage"


class TriageSettings(ServiceSettings):
    service_name: str = SERVICE
