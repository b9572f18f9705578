from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "intake"


class IntakeSettings(ServiceSettings):
    service_name: str = SERVICE
    # Parties whose topics and broker access `security apply` and `topics create` plan (the
    # register follower adds parties admitted later); empty means every party of the register's
    # seed. A deployment leaves it empty; tests name the few they use.
    partner_topics: tuple[str, ...] = ()
