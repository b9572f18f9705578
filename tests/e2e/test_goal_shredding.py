"""Crypto-shredding reaches Kafka: the goal of a Casusoverleg on `triage.decided` is sealed under
triage's data key of the case, so destroying that key makes the copy on the topic unreadable
(covenant art. 1.2, Bijlage 3; art. 12.2c: the Procesregisseur sets the goal)."""

import pytest
from sqlalchemy import select

from services.casemeeting.models import MeetingCase
from services.casemeeting.models import case_keys as meeting_case_keys
from services.triage.models import TriageCase
from services.triage.models import case_keys as triage_case_keys
from shared.contracts.topics import MEETING_EVENTS, TRIAGE_EVENTS
from shared.contracts.triage import DecisionType
from shared.crypto import CryptoError, KeyDestroyedError, case_kid
from shared.crypto.hub_keys import HubKeys
from tests.infra import Infra
from tests.support import OTHER_PARTY, PARTY, Partner, a_referral, events_on, eventually, read_topic, running_hub

pytestmark = pytest.mark.infra
GGD = "ggd-brabant-zuidoost"
PARTIES = (PARTY, OTHER_PARTY, GGD)
GOAL = "Veilige opvang voor betrokkene buiten Helmond, los van de uitbuiter uit de nagelstudio."


async def test_destroying_triages_case_key_shreds_the_goal_on_the_triage_events_topic(infra: Infra, namespace: str) -> None:
    async with running_hub(infra, namespace, partner_topics=PARTIES, meeting_overrides={}) as hub, Partner(
        infra, namespace
    ) as police:
        await police.submit(a_referral())
        (case,) = await hub.accept_all(1)
        case_id = case.case_id
        async with hub.procesregisseur() as pr:
            await pr.send(pr.to_casusoverleg(
                case_id, goal=GOAL, themes=("veiligheid",),
                decision_types=(DecisionType.APPOINT_CASUSREGISSEUR, DecisionType.PLAN_VAN_AANPAK), invite=PARTIES,
            ))
        await eventually(lambda: events_on(infra, MEETING_EVENTS, namespace, "meeting.prepared"))
        on_topic = await read_topic(infra, TRIAGE_EVENTS, namespace)
        (decided,) = await events_on(infra, TRIAGE_EVENTS, namespace, "triage.decided")
        kafka_goal = decided["meeting"]["goal"]

        assert hub.casemeeting is not None
        triage_keys = HubKeys.from_settings(hub.triage.settings, triage_case_keys)
        meeting_keys = HubKeys.from_settings(hub.casemeeting.settings, meeting_case_keys)
        async with hub.triage.database.sessions() as s:
            opened = await triage_keys.open_for_case(s, case_id, "goal", kafka_goal)
            stored_in_triage = (await s.get(TriageCase, case_id)).decision["texts"]["goal"]  # type: ignore[union-attr]
        async with hub.casemeeting.database.sessions() as s:
            stored_in_meeting = (await s.scalars(select(MeetingCase.goal).where(MeetingCase.case_id == case_id))).one()
            with pytest.raises(CryptoError):  # casemeeting holds no key that opens it
                await meeting_keys.open_for_case(s, case_id, "goal", stored_in_meeting)

        # The purge of retention will do this: destroy triage's data key of the case.
        async with hub.triage.unit_of_work() as uow:
            assert await triage_keys.store.destroy(uow.session, case_id)
            await uow.commit()
        async with hub.triage.database.sessions() as s:
            with pytest.raises(KeyDestroyedError):
                await triage_keys.open_for_case(s, case_id, "goal", kafka_goal)
        (still_on_kafka,) = await events_on(infra, TRIAGE_EVENTS, namespace, "triage.decided")

    assert opened == GOAL
    assert kafka_goal["kid"] == case_kid(case_id)  # triage's case key, not the hub's transport key
    assert kafka_goal == stored_in_triage  # the very value triage stores
    assert stored_in_meeting == kafka_goal  # kept as received, not opened and re-sealed
    assert still_on_kafka["meeting"]["goal"] == kafka_goal  # the ciphertext stays; the key is gone
    assert on_topic and all(GOAL.encode() not in r.value for r in on_topic)  # never in clear on the topic
