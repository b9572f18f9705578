"""`zorgtafel trace` draws Jaeger's answer as a tree: parents before children, offsets from the start."""

from services.cli_trace import waterfall


def span(span_id: str, name: str, start_us: int, duration_us: int, parent: str | None = None, process: str = "p1",
         status: str | None = None) -> dict[str, object]:
    return {
        "spanID": span_id, "operationName": name, "startTime": start_us, "duration": duration_us, "processID": process,
        "references": [{"refType": "CHILD_OF", "spanID": parent}] if parent else [],
        "tags": [{"key": "otel.status_code", "value": status}] if status else [],
    }


def test_spans_come_in_tree_order_with_depth_offset_and_service() -> None:
    trace = {
        "traceID": "ab" * 16,
        "processes": {"p1": {"serviceName": "intake"}, "p2": {"serviceName": "triage"}},
        "spans": [
            span("c", "open triage case", 5_000, 1_000, parent="b", process="p2", status="OK"),
            span("a", "receive from party", 1_000, 3_000, status="OK"),
            span("b", "outbox relay", 4_000, 500, parent="a"),
        ],
    }
    rows = waterfall(trace)
    assert [(r["depth"], r["name"], r["service"]) for r in rows] == [
        (0, "receive from party", "intake"), (1, "outbox relay", "intake"), (2, "open triage case", "triage"),
    ]
    assert [(r["offset_ms"], r["duration_ms"]) for r in rows] == [(0.0, 3.0), (3.0, 0.5), (4.0, 1.0)]
    assert [r["status"] for r in rows] == ["ok", "unset", "ok"]


def test_a_span_whose_parent_was_never_exported_is_a_root() -> None:
    trace = {"traceID": "cd" * 16, "processes": {"p1": {"serviceName": "intake"}},
             "spans": [span("x", "receive from party", 10, 20, parent="partner-span")]}
    assert [(r["depth"], r["name"]) for r in waterfall(trace)] == [(0, "receive from party")]


def test_without_everything_the_relays_machinery_is_left_out_and_its_children_stay() -> None:
    trace = {
        "traceID": "ef" * 16,
        "processes": {"p1": {"serviceName": "intake"}},
        "spans": [
            span("a", "receive from party", 0, 10), span("b", "outbox relay", 11, 5, parent="a"),
            span("c", "zorgtafel.aanmelding.events.v1 create", 12, 1, parent="b"),
            span("d", "zorgtafel.aanmelding.events.v1 publish", 13, 2, parent="c"),
        ],
    }
    assert [(r["depth"], r["name"]) for r in waterfall(trace, everything=False)] == [
        (0, "receive from party"), (3, "zorgtafel.aanmelding.events.v1 publish"),
    ]
