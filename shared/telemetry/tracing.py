"""Tracing set up once per service; the provider is passed around, never made global.

Several services share one process in the tests and the demo, each with its own
`service.name`, so each gets its own provider. Sampling is always on: a processing record is a
span, and the Logboek Dataverwerkingen standard forbids sampling its records.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit, urlunsplit

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

# The signal path relative to the base endpoint, for traces.
TRACES_PATH = "v1/traces"


def traces_endpoint(base: str | None, traces: str | None = None) -> str | None:
    """The URL the OTLP/HTTP span exporter posts to, or None when neither is configured.

    `base` is `OTEL_EXPORTER_OTLP_ENDPOINT`, `traces` is `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`;
    both are URLs like `http://collector:4318` or `http://collector:4318/mycollector/`.
    OpenTelemetry specification, "OTLP Exporter" > "Configuration Options" > "Endpoint URLs for
    OTLP/HTTP" (specification/protocol/exporter.md):

    1. the per-signal `traces` URL wins and is used as is, except that a URL with no path gets the
       root path `/` (`http://collector:4318` -> `http://collector:4318/`, the spec's Example 2);
    2. otherwise `base` is a base URL and traces go to `v1/traces` relative to it, "ensuring that
       the base URL ends with a slash" (`http://collector:4318` and `http://collector:4318/` ->
       `http://collector:4318/v1/traces`; `.../mycollector/` -> `.../mycollector/v1/traces`).

    An empty value counts as unset (the spec's environment variable rules, "Parsing empty value").
    Unlike the SDK, neither set means no OTLP export (None) rather than `http://localhost:4318`:
    a local run or a test without a receiver should not retry posting spans into nothing.
    """
    if traces:
        parts = urlsplit(traces)
        return urlunsplit(parts._replace(path="/")) if not parts.path else traces
    if base:
        return f"{base if base.endswith('/') else base + '/'}{TRACES_PATH}"
    return None


def setup_tracing(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    otlp_traces_endpoint: str | None = None,
    exporter: SpanExporter | None = None,
    processors: Sequence[SpanProcessor] = (),
) -> TracerProvider:
    """OTLP when an endpoint is configured; the given exporter too (tests, demo: in-memory).

    `otlp_endpoint` is the base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`) and `otlp_traces_endpoint`
    the full traces URL (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); `traces_endpoint` resolves them.
    Spans are never printed to the console: operations read them through OTLP, and a local run
    prints its own summary.
    """
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}), sampler=ALWAYS_ON)
    for processor in processors:
        provider.add_span_processor(processor)
    endpoint = traces_endpoint(otlp_endpoint, otlp_traces_endpoint)
    if endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The exporter takes an explicit `endpoint=` as the full URL and appends nothing, so it
        # gets the resolved traces URL, never the base.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider
