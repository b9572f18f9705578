"""Lay out the Kubernetes API's JSON Schemas of one version for kubeconform, offline.

The schemas come from the kubernetes-validate package (PyPI, in requirements.lock with its
hashes), which ships them per Kubernetes version as `v<version>-local-strict/`: strict (an object
takes no property its type lacks) and referring to one `_definitions.json` by the absolute path
`/api/_definitions.json` under an `https://kubernetes.io/` `$id`. kubeconform would fetch that
URL; here each file loses its `$id` and refers to `_definitions.json` beside it instead, so the
schemas resolve from disk. Written to `<out>/v<version>-standalone-strict/<kind>-<group>-<version>.json`,
the names kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}` asks for.

Usage: python deploy/tools/kubernetes_schemas.py 1.34.0 OUT (run by deploy/tools/kubeconform.sh).
Exits 1 when the package has no schemas for that version.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

ABSOLUTE = "/api/_definitions.json"


def standalone(node: Any) -> Any:
    """`node` without `$id`, with every reference to the definitions made relative."""
    if isinstance(node, dict):
        # A `$ref` that is no string is a property of that name (JSONSchemaProps has one).
        return {key: value.replace(ABSOLUTE, "_definitions.json") if key == "$ref" and isinstance(value, str)
                else standalone(value) for key, value in node.items() if key != "$id"}
    if isinstance(node, list):
        return [standalone(item) for item in node]
    return node


def main(version: str, out: Path) -> int:
    source = resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}-local-strict")
    if not source.is_dir():
        print(f"kubernetes-validate has no schemas for Kubernetes {version}", file=sys.stderr)
        return 1
    target = out / f"v{version}-standalone-strict"
    target.mkdir(parents=True, exist_ok=True)
    for schema in source.iterdir():
        if schema.name.endswith(".json"):
            (target / schema.name).write_text(json.dumps(standalone(json.loads(schema.read_text()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
