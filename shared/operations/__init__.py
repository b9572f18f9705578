"""What operations see of a running service: liveness, readiness and Prometheus metrics over HTTP
(docs/operations.md). Nothing here carries personal data or a case id: labels are service,
handler, consumer group, topic and partition names, and reason codes."""
