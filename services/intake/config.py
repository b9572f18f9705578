from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "intake"


class IntakeSettings(ServiceSettings):
    service_name: str = SERVICE
    # Parties whose inbound/inbox topics exist. Until the party register (issue #3) these are
    # the demo parties; the register replaces this list.
    party_codes: tuple[str, ...] = (
        "politie-oost-brabant",
        "veilig-thuis-zuidoost-brabant",
        "ggd-brabant-zuidoost",
    )
