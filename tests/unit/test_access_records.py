"""The access log (NEN 7513; covenant Bijlage 3): what a delivery to a party discloses, and what an
access record may hold (ids and the hub's own words, never a name or a text)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from shared.audit.access import access_record, disclosure, items_of
from shared.contracts.casemeeting import PlannedAction, PreRead, YourActions
from shared.contracts.intake import ReferralAcknowledged
from shared.crypto import Sealed

SUBJECT = "5" * 64  # a pseudonym's shape (HMAC-SHA256, hex)
SEALED = Sealed(alg="A256GCM", kid="party:x", nonce="AAAAAAAAAAAAAAAA", ct="QQ")


def pre_read(item_id: uuid.UUID, meeting_id: uuid.UUID) -> PreRead:
    return PreRead(producer="casemeeting", correlation_id=uuid.uuid4(), meeting_id=meeting_id, item_id=item_id,
                   supplied_by="politie-oost-brabant", content=SEALED)


def test_a_pre_read_delivery_is_a_disclosure_of_its_item_to_an_invited_party() -> None:
    item_id, meeting_id = uuid.uuid4(), uuid.uuid4()
    record = disclosure(SUBJECT, "ggd-brabant-zuidoost", pre_read(item_id, meeting_id), "casemeeting")
    assert record is not None
    assert (record.kind, record.actor, record.actor_type, record.role) == ("disclosure", "ggd-brabant-zuidoost", "party", "invited-party")
    assert set(record.items) == {f"item:{item_id}", f"meeting:{meeting_id}"}
    assert record.view == "meeting.pre-read" and record.authorisation.startswith("art. 12.2f")
    assert record.data_subject_id == SUBJECT == record.key  # the pseudonym, never the case id


def test_an_acknowledgement_of_the_partys_own_message_discloses_nothing() -> None:
    ack = ReferralAcknowledged(producer="intake", correlation_id=uuid.uuid4(), referrer_reference="REF-1", status="received")
    assert disclosure(SUBJECT, "politie-oost-brabant", ack, "intake") is None


def test_an_action_list_names_each_action_by_its_id() -> None:
    action_id = uuid.uuid4()
    notice = YourActions(
        producer="casemeeting", correlation_id=uuid.uuid4(), meeting_id=uuid.uuid4(), plan_version=1,
        actions=(PlannedAction(action_id=action_id, responsible_party="ggd-brabant-zuidoost", deadline=date(2026, 12, 24),
                               description=SEALED, information_need=SEALED),),
    )
    assert f"action:{action_id}" in items_of(notice)


def test_an_access_record_refuses_a_name_where_a_pseudonymous_staff_id_belongs() -> None:
    with pytest.raises(ValidationError):
        access_record(SUBJECT, kind="view", actor="Marijke Oosterhout", actor_type="staff", role="procesregisseur",
                      view="triage-state", purpose="zorgtafel-casus", authorisation="art. 12.2", source="cli")


def test_an_access_record_refuses_free_text_as_an_item() -> None:
    with pytest.raises(ValidationError):
        access_record(SUBJECT, kind="view", actor="pr-01", actor_type="staff", role="procesregisseur",
                      view="triage-state", purpose="zorgtafel-casus", authorisation="art. 12.2", source="cli",
                      items=("notitie over betrokkene",))


def test_an_access_record_outside_a_trace_still_has_a_time_and_no_trace_ids() -> None:
    record = access_record(SUBJECT, kind="view", actor="pr-01", actor_type="staff", role="procesregisseur",
                           view="triage-state", purpose="zorgtafel-casus", authorisation="art. 12.2", source="cli")
    assert record.trace_id is None and record.occurred_at <= datetime.now(UTC)
