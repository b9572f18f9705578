"""Every message that crosses a topic, and the topic registry. Nothing else defines contracts.

The names below are loaded when first used (PEP 562): importing one light module of the package
(the topic registry, the decision types) must not build every pydantic model of the hub, which
the `zorgtafel` command's help would pay for (issue 14).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.contracts.aanmelding import ReferralPersonalData, ReferralReceived, SubmitReferral
    from shared.contracts.envelope import Command, Event, Message, Notice
    from shared.contracts.triage import TriageCaseOpened

_WHERE = {
    "Command": "envelope",
    "Event": "envelope",
    "Message": "envelope",
    "Notice": "envelope",
    "ReferralPersonalData": "aanmelding",
    "ReferralReceived": "aanmelding",
    "SubmitReferral": "aanmelding",
    "TriageCaseOpened": "triage",
}

__all__ = [
    "Command",
    "Event",
    "Message",
    "Notice",
    "ReferralPersonalData",
    "ReferralReceived",
    "SubmitReferral",
    "TriageCaseOpened",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
