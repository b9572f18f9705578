from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "retention"


class RetentionSettings(ServiceSettings):
    service_name: str = SERVICE
