"""OpenTelemetry tracing, processing records (Logboek Dataverwerkingen) and structured logging."""
