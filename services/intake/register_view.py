"""The register as the CLI shows it: read from intake's database, seeded on first use."""

from __future__ import annotations

from datetime import date

from services.intake.config import IntakeSettings
from shared.contracts.register import PartyDetails
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore


async def current_register(settings: IntakeSettings, on: date) -> list[PartyDetails]:
    """The parties on `on` (art. 21.3, 23.2). Before intake first ran (`security apply` on a fresh
    machine) its database is migrated and the covenant's signatories are seeded, as intake's own
    start would."""
    from services.intake.app import create_runtime  # intake's composition root: its whole schema
    from services.intake.models import register

    # Its broker is built, never started: no broker credential needed (there may be none yet).
    runtime = create_runtime(settings.model_copy(update={"kafka_security_protocol": "PLAINTEXT"}))
    store = RegisterStore(register)
    try:
        await runtime.migrate()
        async with UnitOfWork(runtime.database.sessions) as uow:
            if await store.seed(uow.session):
                await uow.commit()
        async with runtime.database.sessions() as session:
            return await store.current_parties(session, on)
    finally:
        await runtime.database.dispose()
