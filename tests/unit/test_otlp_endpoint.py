"""Where spans go: the OTLP/HTTP endpoint rules of the OpenTelemetry specification.

Spec: "OTLP Exporter" > "Endpoint URLs for OTLP/HTTP" (specification/protocol/exporter.md),
whose Examples 1-3 the cases below follow.
"""

import pytest
from opentelemetry.exporter.otlp.proto.http import trace_exporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.settings import ServiceSettings
from shared.telemetry.tracing import setup_tracing, traces_endpoint


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("http://collector:4318", "http://collector:4318/v1/traces"),  # Example 1
        ("http://collector:4318/", "http://collector:4318/v1/traces"),  # no double slash
        ("http://collector:4318/mycollector/", "http://collector:4318/mycollector/v1/traces"),  # Example 3
        ("http://collector:4318/mycollector", "http://collector:4318/mycollector/v1/traces"),
        ("https://otlp.example.com", "https://otlp.example.com/v1/traces"),
    ],
)
def test_the_base_endpoint_gets_the_traces_path_appended(base: str, expected: str) -> None:
    assert traces_endpoint(base, None) == expected


@pytest.mark.parametrize(
    ("traces", "expected"),
    [
        ("http://collector:4318/v1/traces", "http://collector:4318/v1/traces"),
        ("https://collector.example.com/custom/path", "https://collector.example.com/custom/path"),
        ("https://collector.example.com/v1/traces/", "https://collector.example.com/v1/traces/"),
        ("http://collector:4318", "http://collector:4318/"),  # Example 2: no path means the root path
    ],
)
def test_the_traces_endpoint_is_used_as_is(traces: str, expected: str) -> None:
    assert traces_endpoint(None, traces) == expected


def test_the_traces_endpoint_wins_over_the_base() -> None:
    assert traces_endpoint("http://base:4318", "http://traces:4318/v1/traces") == "http://traces:4318/v1/traces"


@pytest.mark.parametrize(("base", "traces"), [(None, None), ("", ""), ("", None), (None, "")])
def test_nothing_configured_means_no_otlp_export(base: str | None, traces: str | None) -> None:
    assert traces_endpoint(base, traces) is None


def test_an_empty_traces_endpoint_counts_as_unset() -> None:
    assert traces_endpoint("http://base:4318", "") == "http://base:4318/v1/traces"


def test_settings_read_both_standard_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://base:4318")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4318/v1/traces")
    settings = ServiceSettings()
    assert (settings.otlp_endpoint, settings.otlp_traces_endpoint) == (
        "http://base:4318",
        "http://traces:4318/v1/traces",
    )


def test_the_exporter_is_given_the_traces_url_not_the_base(monkeypatch: pytest.MonkeyPatch) -> None:
    # The exporter takes `endpoint=` as the full URL; handing it the base posted spans to `/`.
    given: list[str | None] = []

    class RecordingExporter(InMemorySpanExporter):
        def __init__(self, endpoint: str | None = None) -> None:
            super().__init__()
            given.append(endpoint)

    monkeypatch.setattr(trace_exporter, "OTLPSpanExporter", RecordingExporter)
    setup_tracing("unit", otlp_endpoint="http://127.0.0.1:4318").shutdown()
    setup_tracing("unit", otlp_endpoint="http://base:4318", otlp_traces_endpoint="http://t:4318/x").shutdown()
    setup_tracing("unit").shutdown()
    assert given == ["http://127.0.0.1:4318/v1/traces", "http://t:4318/x"]
