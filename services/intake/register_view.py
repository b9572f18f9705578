"""The register as the CLI shows it: read from intake's database, seeded on first use."""

from __future__ import annotations

from datetime import date

from services.intake.config import SERVICE, IntakeSettings
from services.intake.models import Base, register
from shared.contracts.register import PartyDetails
from shared.persistence.database import Database
from shared.persistence.migrate import upgrade
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore


async def current_register(settings: IntakeSettings, on: date) -> list[PartyDetails]:
    """The parties on `on` (art. 21.3, 23.2). Before intake first ran (`security apply` on a fresh
    machine) its database is migrated and the covenant's signatories are seeded, as intake's own
    start would; from its settings and models alone (no tracing, no broker, no broker credential:
    there may be none yet)."""
    database = Database.of(settings, SERVICE)
    store = RegisterStore(register)
    try:
        await upgrade(database, Base.metadata, SERVICE)
        async with UnitOfWork(database.sessions) as uow:
            if await store.seed(uow.session):
                await uow.commit()
        async with database.sessions() as session:
            return await store.current_parties(session, on)
    finally:
        await database.dispose()
