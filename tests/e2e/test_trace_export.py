"""Spans leave a service over OTLP/HTTP and a real receiver (Jaeger v2) gives them back by trace id.

The endpoint comes in as an operator sets it: `OTEL_EXPORTER_OTLP_ENDPOINT` is a base URL and
`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` a full one (OpenTelemetry specification, "OTLP Exporter" >
"Endpoint URLs for OTLP/HTTP"). Before the fix the base went to the exporter as is and spans were
posted to `/`, which Jaeger (like any collector) answers with 404.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from shared.settings import ServiceSettings
from shared.telemetry.tracing import setup_tracing
from tests.infra import Jaeger

pytestmark = pytest.mark.infra


def fetch_trace(jaeger: Jaeger, trace_id: str, timeout_s: float = 15.0) -> dict[str, Any]:
    """Jaeger's `/api/traces/<32 hex>` answer, `{"data": [{"traceID", "spans", "processes"}]}`,
    polled until the trace is there: the receiver batches before it stores (404 until then)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{jaeger.query_url}/api/traces/{trace_id}", timeout=5) as response:
                body: dict[str, Any] = json.load(response)
                return body
        except urllib.error.HTTPError as error:
            if error.code != 404 or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def export_a_trace(service: str, settings: ServiceSettings) -> str:
    """Exports a parent span with one child the way a service does (settings -> setup_tracing);
    returns the trace id as 32 hex digits."""
    provider = setup_tracing(
        service,
        otlp_endpoint=settings.otlp_endpoint,
        otlp_traces_endpoint=settings.otlp_traces_endpoint,
    )
    tracer = provider.get_tracer("tests.trace_export")
    try:
        with tracer.start_as_current_span("intake.accept-referral") as parent:
            with tracer.start_as_current_span("intake.store-referral"):
                pass
        assert provider.force_flush(timeout_millis=10_000)
    finally:
        provider.shutdown()
    return format(parent.get_span_context().trace_id, "032x")


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param(lambda j: {"OTEL_EXPORTER_OTLP_ENDPOINT": j.otlp_endpoint}, id="base"),
        pytest.param(lambda j: {"OTEL_EXPORTER_OTLP_ENDPOINT": j.otlp_endpoint + "/"}, id="base-with-slash"),
        pytest.param(
            lambda j: {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/nowhere",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": j.otlp_endpoint + "/v1/traces",
            },
            id="traces-endpoint-wins",
        ),
    ],
)
def test_exported_spans_can_be_read_back_from_jaeger_by_trace_id(
    jaeger: Jaeger, monkeypatch: pytest.MonkeyPatch, variables: Any
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    for name, value in variables(jaeger).items():
        monkeypatch.setenv(name, value)
    service = f"trace-export-{uuid.uuid4().hex[:8]}"  # a fresh name: earlier runs' traces stay in Jaeger

    trace_id = export_a_trace(service, ServiceSettings())

    (trace,) = fetch_trace(jaeger, trace_id)["data"]
    assert trace["traceID"] == trace_id
    spans = {span["operationName"]: span for span in trace["spans"]}
    assert set(spans) == {"intake.accept-referral", "intake.store-referral"}
    parent, child = spans["intake.accept-referral"], spans["intake.store-referral"]
    assert child["references"] == [{"refType": "CHILD_OF", "traceID": trace_id, "spanID": parent["spanID"]}]
    assert {trace["processes"][span["processID"]]["serviceName"] for span in trace["spans"]} == {service}


def test_the_base_endpoint_alone_is_not_where_spans_are_accepted(jaeger: Jaeger) -> None:
    # Why the base must not reach the exporter as its URL: the receiver only takes /v1/traces.
    request = urllib.request.Request(
        f"{jaeger.otlp_endpoint}/", data=b"", method="POST", headers={"Content-Type": "application/x-protobuf"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404
