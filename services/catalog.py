"""The hub's services by name, for the tools that compose them (CLI, demo, security plan).

Tools may load every service; the services themselves never import each other.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING, Any

from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from shared.persistence.database import Database


class Service(StrEnum):
    intake = "intake"
    triage = "triage"
    casemeeting = "casemeeting"
    retention = "retention"
    audit = "audit"


def service_module(service: Service) -> ModuleType:
    return importlib.import_module(f"services.{service.value}.app")


def service_settings(service: Service, **values: Any) -> ServiceSettings:
    """The service's own settings class (the one its `services/<service>/config.py` defines) with `values`."""
    config = importlib.import_module(f"services.{service.value}.config")
    cls = next(v for v in vars(config).values()
               if isinstance(v, type) and issubclass(v, ServiceSettings) and v.__module__ == config.__name__)
    return cls(**values)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ServiceDatabase:
    """A service's database as its settings place it, and every table of it (its models' metadata)."""

    database: Database
    metadata: MetaData


def service_database(service: Service, **values: Any) -> ServiceDatabase:
    """For a tool that migrates or reads a service's database and never uses Kafka (`zorgtafel db`):
    from the service's settings and models alone, without its tracing or broker, so without the
    broker credential, which a database tool has no business reading."""
    from shared.persistence.database import Database

    models = importlib.import_module(f"services.{service.value}.models")
    return ServiceDatabase(Database.of(service_settings(service, **values), service.value), models.Base.metadata)
