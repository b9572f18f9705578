"""The short form of scripts/chaos.py (issue 10): referrals keep coming while intake is SIGKILLed
twice and the broker and PostgreSQL restart; none is lost, none is duplicated."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys

import pytest

from tests.infra import ROOT, Infra

pytestmark = pytest.mark.infra


async def test_referrals_survive_kills_and_restarts_of_intake_broker_and_database(infra: Infra) -> None:
    if not infra.restartable:
        pytest.skip("restarts only the project's own Kafka and PostgreSQL (deploy/)")
    run = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "scripts/chaos.py", "--referrals", "60", "--kills", "2", "--rate", "10", "--settle-s", "180"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    figures = dict(re.findall(r"(sent|stored|lost|duplicated|cases|answered|dead-lettered) (\d+)", run.stdout))
    assert run.returncode == 0, run.stdout + run.stderr[-3000:]
    assert (figures["sent"], figures["stored"], figures["lost"], figures["duplicated"]) == ("60", "60", "0", "0")
    assert figures["cases"] == "60" and int(figures["answered"]) >= 60
