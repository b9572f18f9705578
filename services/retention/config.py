from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "retention"


class RetentionSettings(ServiceSettings):
    service_name: str = SERVICE
    # How often due purges are issued and overdue ones flagged. A purge is due from 00:00
    # Amsterdam time on its day; a minute's scan keeps it from being late.
    purge_scan_interval_s: float = 60.0
