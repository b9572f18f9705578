from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "casemeeting"


class CasemeetingSettings(ServiceSettings):
    service_name: str = SERVICE
    overdue_scan_interval_s: float = 300.0
