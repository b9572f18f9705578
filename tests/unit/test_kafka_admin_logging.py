"""confluent-kafka's admin client (librdkafka, `zorgtafel security apply`) wrote lines of its own
to stderr, unstructured (issue 14). They go through the project's logging: JSON lines whose
arguments show as their types, like every library's."""

import json
import logging

import pytest

from shared.messaging.security import KafkaAccess
from shared.security.apply import LIBRDKAFKA_LOG, _until, admin_client
from shared.telemetry.logging import configure_logging

NOWHERE = "127.0.0.1:1"  # nothing listens: librdkafka says so at once


class Seen(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_admin_clients_own_lines_are_json_lines_of_the_projects_logging(capfd: pytest.CaptureFixture[str]) -> None:
    configure_logging()
    seen = Seen()
    LIBRDKAFKA_LOG.addHandler(seen)
    try:
        client = admin_client(KafkaAccess(NOWHERE, "PLAINTEXT"))
        _until(client, lambda: bool(seen.records), "a librdkafka line", within_s=20)
    finally:
        LIBRDKAFKA_LOG.removeHandler(seen)
    err = capfd.readouterr().err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {(line["logger"], line["event"]) for line in lines} >= {("librdkafka", "<str> [<str>] <str>")}
    assert not [line for line in err.splitlines() if line.startswith("%")]  # librdkafka's own format
    assert NOWHERE not in err  # values stay out, as for every library line
