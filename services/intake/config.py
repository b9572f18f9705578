from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "intake"


class IntakeSettings(ServiceSettings):
    service_name: str = SERVICE
    # Parties whose inbound and inbox topics intake creates at start; empty means every current
    # party of the register. A deployment leaves it empty; tests name the few they use.
    partner_topics: tuple[str, ...] = ()
