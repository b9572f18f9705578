"""One example of every partner message, published in its JSON Schema (`examples`).

Fictional values only. Sealed fields show the form of a sealed value, not real ciphertext:
docs/test-vectors/sealing.v1.json has values that open.
"""

from __future__ import annotations

from typing import Any

_SEALED = {"alg": "A256GCM", "kid": "party:politie-oost-brabant:1", "nonce": "AAAAAAAAAAAAAAAB", "ct": "3q2-7w_example_ciphertext"}
_ENVELOPE = {"schema_version": 1, "issued_at": "2026-11-29T09:30:00+01:00", "correlation_id": None}
_ID = "0b7f7d0e-55a1-4c1f-9a57-8e0f3c3f2d11"


def _command(command_type: str, command_id: str, **fields: Any) -> dict[str, Any]:
    return {"command_id": command_id, "command_type": command_type, **_ENVELOPE, **fields}


EXAMPLES: dict[str, dict[str, Any]] = {
    "aanmelding.submit-referral": _command(
        "aanmelding.submit-referral", _ID, referrer_reference="POL-2026-0042", municipality="gemeente-helmond",
        indicators={"serious_local_safety_problem": True, "family_or_social_environment": None,
                    "several_chains_needed": True, "life_domains": ["safety", "housing"]},
        urgency="regular", personal=_SEALED,
    ),
    "aanmelding.correct-referral": _command(
        "aanmelding.correct-referral", "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", referrer_reference="POL-2026-0042",
        personal=_SEALED,
    ),
    "intake.answer-question": _command(
        "intake.answer-question", "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a",
        question_id="7d9c1b8e-3f2a-4e6b-8c1d-2a3b4c5d6e7f", answer=_SEALED,
    ),
    "triage.answer-consultation": _command(
        "triage.answer-consultation", "3e4f5a6b-7c8d-4e9f-8a1b-2c3d4e5f6a7b",
        consultation_id="5e4d3c2b-1a09-4f8e-9d7c-6b5a49382716", answer=_SEALED,
        assessment={"serious_local_safety_problem": None, "family_or_social_environment": True,
                    "several_chains_needed": None, "life_domains": ["mental_health"]},
    ),
    "meeting.respond-to-invitation": _command(
        "meeting.respond-to-invitation", "4f5a6b7c-8d9e-4f0a-9b2c-3d4e5f6a7b8c",
        invitation_id="6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", attending=True,
    ),
    "meeting.supply-information": _command(
        "meeting.supply-information", "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
        invitation_id="6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d", item_id="7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e",
        content=_SEALED, terms="share_with_consent",
    ),
    "meeting.answer-consent-request": _command(
        "meeting.answer-consent-request", "6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e",
        consent_id="8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f", granted=False,
    ),
    "meeting.report-progress": _command(
        "meeting.report-progress", "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
        action_id="2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", status="in_progress", note=_SEALED,
    ),
}
SEALED_EXAMPLES: dict[str, dict[str, Any]] = {
    "referral-personal-data": {
        "person": {"given_name": "Fictief", "family_name": "Voorbeeld", "bsn": None, "date_of_birth": "1998-03-14",
                   "place_of_birth": None, "nationality": "NL"},
        "situation": "Fictieve aanmelding: alleen een voorbeeld van de vorm.",
        "consent": {"kind": "consent", "by_person": True, "by_guardian": False, "recorded_on": "2026-11-28"},
        "professional": {"name": "Voorbeeld Professional", "phone": None, "email": "zorg@example.invalid"},
    },
}
# Placeholders of the right form only: a real bundle's key and password are the deployment's secrets.
BUNDLE_EXAMPLE: dict[str, Any] = {
    "format": "zorgtafel.onboarding-bundle.v1",
    "party": "politie-oost-brabant",
    "environment": "production",
    "issued_at": "2026-11-30T09:00:00Z",
    "transport_keys": [
        {"kid": "party:politie-oost-brabant:1", "alg": "A256GCM",
         "key": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "active_from": "2026-11-30T09:00:00Z", "opened_until": None},
    ],
    "broker": {
        "bootstrap_servers": "kafka.zorgtafel.example.invalid:9093", "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512", "username": "party-politie-oost-brabant",
        "password": "placeholder-not-a-password", "ca_certificate_pem": None,
    },
    "topics": {
        "inbound": "zorgtafel.partner.politie-oost-brabant.inbound.v1",
        "inbox": "zorgtafel.partner.politie-oost-brabant.inbox.v1",
        "consumer_group_prefix": "zorgtafel.partner.politie-oost-brabant.",
    },
    "documents": {"schemas": "https://zorgtafel.example.invalid/contract/docs/schemas/",
                  "asyncapi": "https://zorgtafel.example.invalid/contract/docs/asyncapi.json",
                  "sealing": "https://zorgtafel.example.invalid/contract/docs/sealing.md",
                  "test_vectors": "https://zorgtafel.example.invalid/contract/docs/test-vectors/sealing.v1.json",
                  "parties": "https://zorgtafel.example.invalid/contract/docs/parties.md"},
}


def _notice(event_type: str, correlation: str, producer: str | None = None, **fields: Any) -> dict[str, Any]:
    """A notice as the hub writes it: `causation_id` is the command_id of your message it
    answers; `correlation_id` your own correlation_id, or that command_id when you set none."""
    return {
        "event_id": "9d0e1f2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a", "event_type": event_type, "schema_version": 1,
        "occurred_at": "2026-11-29T08:31:02Z", "producer": producer or event_type.split(".")[0],
        "correlation_id": correlation, "causation_id": correlation, **fields,
    }


_REASON = {"path": "personal.person.bsn", "code": "bsn_invalid", "message_nl": "Dit BSN voldoet niet aan de elfproef.",
           "message_en": "This BSN fails the eleven test."}
# Fictional, one per notice type a party reads on its inbox (docs/schemas/inbox-notice.v1.json).
NOTICE_EXAMPLES: dict[str, dict[str, Any]] = {
    "intake.referral-acknowledged": _notice("intake.referral-acknowledged", _ID, referrer_reference="POL-2026-0042", status="received"),
    "intake.referral-rejected": _notice(
        "intake.referral-rejected", _ID, referrer_reference="POL-2026-0042", rejected_message_id=_ID, reasons=[_REASON],
    ),
    "intake.question-to-referrer": _notice(
        "intake.question-to-referrer", _ID, referrer_reference="POL-2026-0042",
        question_id="3d4e5f6a-7b8c-4d9e-8f0a-1b2c3d4e5f6a", question=_SEALED,
    ),
    "intake.referral-outcome": _notice("intake.referral-outcome", _ID, referrer_reference="POL-2026-0042", outcome="accepted", reason=None),
    "triage.consultation-request": _notice(
        "triage.consultation-request", "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        consultation_id="8f9a0b1c-2d3e-4f4a-9b5c-6d7e8f9a0b1c", question=_SEALED, answer_before="2026-12-04T17:00:00Z",
    ),
    "triage.consultation-reminder": _notice(
        "triage.consultation-reminder", "5e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
        consultation_id="8f9a0b1c-2d3e-4f4a-9b5c-6d7e8f9a0b1c", answer_before="2026-12-04T17:00:00Z",
    ),
    "triage.consultation-answer-rejected": _notice(
        "triage.consultation-answer-rejected", _ID, consultation_id="8f9a0b1c-2d3e-4f4a-9b5c-6d7e8f9a0b1c",
        rejected_message_id=_ID, reasons=[{"path": "", "code": "consultation_closed",
                                           "message_nl": "Deze vraag is gesloten: de termijn is verstreken of er is al geantwoord.",
                                           "message_en": "This question is closed: its deadline passed or it was answered already."}],
    ),
    "triage.outcome": _notice("triage.outcome", _ID, referrer_reference="POL-2026-0042", outcome="casusoverleg", reason=None),
    "meeting.invitation": _notice(
        "meeting.invitation", "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", invitation_id="6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7b8c9d",
        meeting_id="7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d", scheduled_at="2026-12-08T13:00:00Z", themes=["safety", "housing"],
    ),
    "meeting.consent-request": _notice(
        "meeting.consent-request", "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", consent_id="8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f",
        item_id="7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e", recipient="ggd-brabant-zuidoost",
        meeting_id="7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
    ),
    "meeting.pre-read": _notice(
        "meeting.pre-read", "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", meeting_id="7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
        item_id="7b8c9d0e-1f2a-4b3c-9d4e-5f6a7b8c9d0e", supplied_by="ggd-brabant-zuidoost", content=_SEALED,
    ),
    "meeting.your-actions": _notice(
        "meeting.your-actions", "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", meeting_id="7a8b9c0d-1e2f-4a3b-9c4d-5e6f7a8b9c0d",
        plan_version=1, actions=[{"action_id": "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f", "responsible_party": "politie-oost-brabant",
                                  "deadline": "2026-12-22", "description": _SEALED, "information_need": _SEALED}],
    ),
    "meeting.action-overdue": _notice(
        "meeting.action-overdue", "6f7a8b9c-0d1e-4f2a-9b3c-4d5e6f7a8b9c", action_id="2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f",
        responsible_party="politie-oost-brabant", deadline="2026-12-22",
    ),
    "meeting.message-rejected": _notice(
        "meeting.message-rejected", _ID, rejected_message_id=_ID,
        reasons=[{"path": "", "code": "unknown_meeting", "message_nl": "Deze uitnodiging of dit overleg is onbekend.",
                  "message_en": "This invitation or meeting is not known."}],
    ),
    "retention.access-export": _notice(
        "retention.access-export", "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b", request_id="0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
        service="intake", item_count=3, content=_SEALED,
    ),
    "hub.message-acknowledged": _notice(
        "hub.message-acknowledged", _ID, producer="triage", acknowledged_message_id=_ID, command_type="triage.answer-consultation", status="received",
    ),
}
