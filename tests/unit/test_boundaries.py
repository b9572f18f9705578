"""Services never import each other; shared never imports a service."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "triage", "casemeeting", "retention")
# Composition tools beside the services (CLI, demo, reference clients) may load every service.
COMPOSITION = {
    "asyncapi_doc.py", "asyncapi_partner.py", "catalog.py", "cli.py", "cli_security.py", "cli_staff.py", "cli_staff_keys.py", "cli_retention.py", "cli_audit.py", "cli_trace.py", "cli_db.py", "cli_deploy.py", "deploy_files.py", "deploy_manifests.py", "deploy_workloads.py", "cli_ops.py", "cli_ops_dlq.py", "cli_ops_broker.py", "ops_status.py", "cli_params.py", "demo.py", "demo_case.py", "demo_audit.py", "demo_retention.py", "partner.py", "partner_check.py", "partner_keys.py", "partner_onboarding.py", "cli_partner.py", "procesregisseur.py", "procesregisseur_meeting.py", "cli_staff_command.py", "procesregisseur_answers.py"
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_imports_no_other_service(service: str) -> None:
    others = {f"services.{s}" for s in SERVICES if s != service}
    files = list((ROOT / "services" / service).rglob("*.py"))
    assert files
    for path in files:
        for module in imported_modules(path):
            assert not any(module == o or module.startswith(o + ".") for o in others), (path, module)


def test_shared_imports_no_service() -> None:
    for path in (ROOT / "shared").rglob("*.py"):
        assert not any(m == "services" or m.startswith("services.") for m in imported_modules(path)), path


def test_only_composition_tools_sit_beside_the_services() -> None:
    loose = {p.name for p in (ROOT / "services").glob("*.py")} - {"__init__.py"}
    assert loose == COMPOSITION
