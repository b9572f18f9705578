"""Which Zorg- en Veiligheidshuis a municipality belongs to (Bijlage 2, opschaling).

The covenant does not list it, so it is configuration: a versioned data file with the working
mapping, which a deployment can replace as a whole (`ZT_ZVH_REGIONS`, the same JSON shape).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path


def load_regions(path: str | None = None) -> dict[str, str]:
    """municipality code -> house code."""
    text = (
        Path(path).read_text(encoding="utf-8")
        if path
        else resources.files("shared.register").joinpath("data", "zvh-regions.v1.json").read_text(encoding="utf-8")
    )
    houses: dict[str, list[str]] = json.loads(text)["houses"]
    mapping: dict[str, str] = {}
    for house, municipalities in houses.items():
        for municipality in municipalities:
            if municipality in mapping:
                raise ValueError(f"municipality {municipality} is in two houses")
            mapping[municipality] = house
    return mapping
