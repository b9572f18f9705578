"""`deploy/kafka/kafka.sh install` resolves the broker's jars again when deploy/kafka/pom.xml
changed, so a machine set up before a new dependency (Kafka's tools, issue 14) gets it on its
next `scripts/setup`; and only then. In a state folder of the test's own (ZT_STATE_DIR)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from tests.infra import ROOT

KAFKA_SH = ROOT / "deploy/kafka/kafka.sh"
POM = ROOT / "deploy/kafka/pom.xml"


def installed_before(state: Path, marker: str) -> Path:
    """A libs folder as an earlier install left it: one old jar and the marker `marker`."""
    libs = state / "kafka" / "libs"
    libs.mkdir(parents=True)
    (libs / "old.jar").write_bytes(b"")
    (libs / ".complete").write_text(marker)
    return libs


def install(state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KAFKA_SH), "install"], env={**os.environ, "ZT_STATE_DIR": str(state)},
                          capture_output=True, text=True, timeout=600)


def test_install_resolves_again_when_the_pom_changed(tmp_path: Path) -> None:
    libs = installed_before(tmp_path, "")  # before this change the marker was empty
    assert install(tmp_path).returncode == 0
    assert (libs / "kafka-tools-4.1.1.jar").exists()
    assert not (libs / "old.jar").exists()
    assert (libs / ".complete").read_text().strip() == hashlib.sha256(POM.read_bytes()).hexdigest()


def test_install_keeps_the_jars_while_the_pom_is_unchanged(tmp_path: Path) -> None:
    libs = installed_before(tmp_path, hashlib.sha256(POM.read_bytes()).hexdigest() + "\n")
    done = install(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (libs / "old.jar").exists()
    assert "resolving" not in done.stderr
