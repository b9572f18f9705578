"""The register as the CLI shows it: read from intake's database, seeded on first use."""

from __future__ import annotations

from datetime import date

from services.intake.config import SERVICE, IntakeSettings
from services.intake.models import Base, register
from shared.contracts.register import PartyDetails
from shared.persistence.database import Database
from shared.persistence.unit_of_work import UnitOfWork
from shared.register.store import RegisterStore


async def current_register(settings: IntakeSettings, on: date) -> list[PartyDetails]:
    database = Database(settings.database_url_for(SERVICE))
    store = RegisterStore(register)
    try:
        await database.create_schema(Base.metadata)
        async with UnitOfWork(database.sessions) as uow:
            if await store.seed(uow.session):
                await uow.commit()
        async with database.sessions() as session:
            return await store.current_parties(session, on)
    finally:
        await database.dispose()
