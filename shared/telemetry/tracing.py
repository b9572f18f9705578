"""Tracing set up once per service; the provider is passed around, never made global.

Several services share one process in the tests and the demo, each with its own
`service.name`, so each gets its own provider. Sampling is always on: a processing record is a
span, and the Logboek Dataverwerkingen standard forbids sampling its records.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ALWAYS_ON


def setup_tracing(
    service_name: str,
    *,
    otlp_endpoint: str | None = None,
    exporter: SpanExporter | None = None,
    processors: Sequence[SpanProcessor] = (),
) -> TracerProvider:
    """OTLP when an endpoint is configured; the given exporter too (tests, demo: in-memory).

    Spans are never printed to the console: operations read them through OTLP, and a local run
    prints its own summary.
    """
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}), sampler=ALWAYS_ON)
    for processor in processors:
        provider.add_span_processor(processor)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider
