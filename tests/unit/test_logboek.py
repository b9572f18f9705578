"""The Logboek stages each processing's LDV record in the caller's transaction: once, only while
the processing is in progress, one data subject per record (LDV; covenant Bijlage 3)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from typing import Any

from shared.audit.logboek import Logboek
from shared.contracts.audit import ProcessingRecorded
from shared.telemetry.processing import Activity, Pseudonymizer, about, not_carried_out, record_processing
from shared.telemetry.tracing import setup_tracing

PSEUDONYMS = Pseudonymizer(b"unit-key")
TRACER = setup_tracing("unit").get_tracer("unit")


class StagingOutbox:
    """A fake of the outbox boundary: what was staged, in which session."""

    def __init__(self) -> None:
        self.staged: list[tuple[Any, Any, Any]] = []

    async def stage_many(self, session: Any, messages: list[tuple[Any, Any]]) -> None:
        self.staged += [(session, topic, message) for topic, message in messages]


def staged_records(outbox: StagingOutbox) -> list[ProcessingRecorded]:
    return [m for _, _, m in outbox.staged if isinstance(m, ProcessingRecorded)]


def test_a_processing_is_recorded_once_in_the_session_that_records_its_message() -> None:
    outbox = StagingOutbox()
    logboek = Logboek(outbox, "intake", TRACER, PSEUDONYMS)  # type: ignore[arg-type]
    case_id = uuid.uuid4()

    async def run() -> None:
        with record_processing(TRACER, "intake.accept-referral", Activity.INTAKE, PSEUDONYMS, case_id):
            await logboek.record("session-1")
            await logboek.record("session-1")  # a second inbox entry in the same processing

    asyncio.run(run())
    ((session, _, _),) = outbox.staged
    (record,) = staged_records(outbox)
    assert session == "session-1"
    assert record.processing_activity_id == Activity.INTAKE and record.service == "intake" and record.status == "Ok"
    assert record.data_subject_id == PSEUDONYMS.subject_id(case_id) and str(case_id) not in record.model_dump_json()
    assert record.key == record.data_subject_id and record.start_time_ms <= record.end_time_ms


def test_outside_a_processing_nothing_is_recorded() -> None:
    outbox = StagingOutbox()
    asyncio.run(Logboek(outbox, "triage", TRACER, PSEUDONYMS).record("session"))  # type: ignore[arg-type]
    assert outbox.staged == []


def test_a_subject_learned_while_processing_is_the_records_subject() -> None:
    outbox = StagingOutbox()
    case_id = uuid.uuid4()

    async def run() -> None:
        with record_processing(TRACER, "receive from party", Activity.AANMELDING, PSEUDONYMS):
            about(case_id)
            await Logboek(outbox, "intake", TRACER, PSEUDONYMS).record("s")  # type: ignore[arg-type]

    asyncio.run(run())
    assert staged_records(outbox)[0].data_subject_id == PSEUDONYMS.subject_id(case_id)


def test_work_on_several_cases_records_one_processing_per_case() -> None:
    outbox = StagingOutbox()
    first, second = uuid.uuid4(), uuid.uuid4()
    staged = asyncio.run(
        Logboek(outbox, "intake", TRACER, PSEUDONYMS).record_cases("s", "purge case", Activity.SCHONING, [first, second])  # type: ignore[arg-type]
    )
    records = staged_records(outbox)
    assert staged == 2 and [r.data_subject_id for r in records] == [PSEUDONYMS.subject_id(c) for c in (first, second)]
    assert len({r.span_id for r in records}) == 2 and all(r.processing_activity_id == Activity.SCHONING for r in records)


def test_a_refused_request_is_recorded_unset_not_ok() -> None:
    outbox = StagingOutbox()

    async def run() -> None:
        with record_processing(TRACER, "intake.accept-referral", Activity.INTAKE, PSEUDONYMS, uuid.uuid4()):
            not_carried_out()
            await Logboek(outbox, "intake", TRACER, PSEUDONYMS).record("s")  # type: ignore[arg-type]

    asyncio.run(run())
    assert staged_records(outbox)[0].status == "Unset"


class CommittingUnitOfWork:
    """A fake of the unit-of-work boundary: which session it gave and whether it committed."""

    def __init__(self) -> None:
        self.session, self.committed = "own-transaction", False

    async def __aenter__(self) -> CommittingUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.committed = True


def test_a_processing_that_failed_is_recorded_as_error_in_a_transaction_of_its_own() -> None:
    outbox, uow = StagingOutbox(), CommittingUnitOfWork()
    logboek = Logboek(outbox, "triage", TRACER, PSEUDONYMS)  # type: ignore[arg-type]

    async def run() -> int:
        with contextlib.suppress(KeyError), record_processing(
            TRACER, "open triage case", Activity.TRIAGE, PSEUDONYMS, uuid.uuid4()
        ):
            raise KeyError("a bug")
        return await logboek.record_failures(lambda: uow)  # type: ignore[arg-type,return-value]

    assert asyncio.run(run()) == 1
    ((session, _, record),) = outbox.staged
    assert session == "own-transaction" and uow.committed and record.status == "Error"


def test_the_record_shares_its_trace_and_span_ids_with_the_processings_span() -> None:
    outbox = StagingOutbox()

    async def run() -> tuple[str, str]:
        with record_processing(TRACER, "open triage case", Activity.TRIAGE, PSEUDONYMS, uuid.uuid4()) as processing:
            await Logboek(outbox, "triage", TRACER, PSEUDONYMS).record("s")  # type: ignore[arg-type]
            context = processing._span.get_span_context()
        return format(context.trace_id, "032x"), format(context.span_id, "016x")

    trace_id, span_id = asyncio.run(run())
    (record,) = staged_records(outbox)
    assert (record.trace_id, record.span_id) == (trace_id, span_id)
