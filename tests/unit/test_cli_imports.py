"""`zorgtafel --help` and every group's help import nothing heavy (issue 14: "takes 6.5 s"): the
broker clients, SQLAlchemy, the tracing SDK, cryptography and the pydantic contracts are imported
by the commands that use them, when they run. Checked in a fresh interpreter, by what it loaded."""

import json
import subprocess
import sys

import pytest

# The libraries a command may need and a help screen never does; any contract module loads the envelope.
HEAVY = ("faststream", "aiokafka", "confluent_kafka", "sqlalchemy", "alembic", "opentelemetry.sdk", "cryptography",
         "shared.contracts.envelope")

HELP_OF_EVERY_GROUP = """
from typer.main import get_command
from typer.testing import CliRunner
from services.cli import app
for name, command in get_command(app).commands.items():
    for argv in ([name, "--help"], *([name, sub, "--help"] for sub in getattr(command, "commands", {}))):
        result = CliRunner().invoke(app, argv)
        assert result.exit_code == 0, (argv, result.output)
"""


def loaded_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter has loaded after running `code`."""
    report = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", f"{code}\n{report}"], capture_output=True, text=True, check=True)
    modules = json.loads(done.stdout.splitlines()[-1])
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.mark.parametrize("code", ["import services.cli", HELP_OF_EVERY_GROUP], ids=["import", "help-of-every-command"])
def test_the_cli_and_its_help_screens_load_no_heavy_library(code: str) -> None:
    assert loaded_after(code) == []
