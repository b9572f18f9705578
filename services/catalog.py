"""The hub's services by name, for the tools that compose them (CLI, demo, security plan).

Tools may load every service; the services themselves never import each other.
"""

from __future__ import annotations

import importlib
import typing
from enum import StrEnum
from types import ModuleType
from typing import Any

from shared.settings import ServiceSettings


class Service(StrEnum):
    intake = "intake"
    triage = "triage"
    casemeeting = "casemeeting"
    retention = "retention"
    audit = "audit"


def service_module(service: Service) -> ModuleType:
    return importlib.import_module(f"services.{service.value}.app")


def service_settings(service: Service, **values: Any) -> ServiceSettings:
    """The service's own settings class (its `create_runtime`'s `settings` parameter) with `values`."""
    hint = typing.get_type_hints(service_module(service).create_runtime)["settings"]
    cls = next(t for t in typing.get_args(hint) if isinstance(t, type) and issubclass(t, ServiceSettings))
    return cls(**values)


def offline_runtime(service: Service, **values: Any) -> Any:
    """The service's runtime for a tool that reads or migrates its database and never uses Kafka
    (`zorgtafel db`): its broker object is built but never started, so it is built without the
    broker credential, which a database tool has no business reading."""
    settings = service_settings(service, **values).model_copy(update={"kafka_security_protocol": "PLAINTEXT"})
    return service_module(service).create_runtime(settings)
