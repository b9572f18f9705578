from __future__ import annotations

from shared.settings import ServiceSettings

SERVICE = "triage"


class TriageSettings(ServiceSettings):
    service_name: str = SERVICE
    # The covenant leaves deadlines open (DOMAIN.md §6): five working days to answer, a reminder
    # one day before. The Procesregisseur may set another deadline per question.
    consultation_deadline_s: float = 5 * 24 * 3600
    reminder_before_s: float = 24 * 3600
    deadline_scan_interval_s: float = 30.0
    # JSON file with the municipality -> Zorg- en Veiligheidshuis mapping; empty: the shipped one.
    zvh_regions: str = ""
