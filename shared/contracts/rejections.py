"""Machine-readable reasons for a rejected message, with a readable message in Dutch and English.

A reason names a field path and a code; it never repeats the rejected value, which may be
personal data.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

# code -> (Dutch, English). Codes of pydantic's own errors are mapped to these where it helps.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing": ("Dit veld ontbreekt.", "This field is missing."),
    "extra_forbidden": ("Dit veld is onbekend.", "This field is not known."),
    "invalid_type": ("Dit veld heeft een verkeerd type.", "This field has the wrong type."),
    "invalid_value": ("Deze waarde is niet toegestaan.", "This value is not allowed."),
    "too_short": ("Deze waarde is te kort of leeg.", "This value is too short or empty."),
    "too_long": ("Deze waarde is te lang.", "This value is too long."),
    "invalid_format": ("Deze waarde heeft niet het juiste formaat.", "This value is not in the expected format."),
    "invalid_date": ("Dit is geen geldige datum (JJJJ-MM-DD).", "This is not a valid date (YYYY-MM-DD)."),
    "bsn_invalid": ("Dit BSN voldoet niet aan de elfproef.", "This BSN fails the eleven test."),
    "contact_missing": ("Geef een telefoonnummer of e-mailadres.", "Give a phone number or an e-mail address."),
    "life_domains_repeated": ("Een leefgebied staat er dubbel in.", "A life domain is listed twice."),
    "not_json": ("Het bericht is geen JSON-object.", "The message is not a JSON object."),
    "more_reasons": (
        "Er zijn nog meer fouten; herstel eerst deze.",
        "There are more errors; correct these first.",
    ),
    "personal_data_unreadable": (
        "De versleutelde gegevens konden niet worden geopend. Controleer: de sleutel die kid noemt, de"
        " associated data (docs/sealing.md, UUID's in kleine letters), base64url zonder opvulling, de tag"
        " achter de ciphertext.",
        "The sealed data could not be opened. Check: the key its kid names, the associated data"
        " (docs/sealing.md, UUIDs in lower case), base64url without padding, the tag after the ciphertext.",
    ),
    "transport_key_unknown": (
        "Deze sleutel (kid) is onbekend: gebruik de transportsleutel uit uw onboardingbundel.",
        "This key (kid) is not known: use the transport key from your onboarding bundle.",
    ),
    "transport_key_retired": (
        "Deze sleutel (kid) is vervangen en niet meer geldig: gebruik uw nieuwste transportsleutel.",
        "This key (kid) was replaced and is no longer valid: use your newest transport key.",
    ),
    "transport_key_not_yours": (
        "Deze sleutel (kid) is van een andere partij: versleutel met uw eigen transportsleutel.",
        "This key (kid) belongs to another party: seal with your own transport key.",
    ),
    "municipality_not_in_region": (
        "Deze gemeente hoort niet bij de Zorgtafel regio Oost-Brabant (de codes: docs/parties.md).",
        "This municipality is not part of the Zorgtafel regio Oost-Brabant (the codes: docs/parties.md).",
    ),
    "date_of_birth_in_future": ("De geboortedatum ligt in de toekomst.", "The date of birth is in the future."),
    "date_of_birth_implausible": (
        "Deze geboortedatum ligt meer dan 120 jaar terug.",
        "This date of birth is more than 120 years ago.",
    ),
    "issued_at_implausible": (
        "Het verzendtijdstip ligt meer dan 5 minuten in de toekomst of meer dan 30 dagen terug.",
        "The time of issue is more than 5 minutes ahead or more than 30 days ago.",
    ),
    "consent_by_guardian_required": (
        "Onder 12 jaar geeft de ouder met gezag of voogd toestemming.",
        "Under 12 the parent with authority or guardian consents.",
    ),
    "consent_by_child_and_guardian_required": (
        "Van 12 tot 16 jaar geven zowel het kind als de ouder met gezag of voogd toestemming.",
        "From 12 to 16 both the child and the parent with authority or guardian consent.",
    ),
    "consent_by_person_required": (
        "Vanaf 16 jaar geeft de persoon zelf toestemming.",
        "From 16 the person consents themselves.",
    ),
    "consent_recorded_in_future": ("De toestemming is in de toekomst gedateerd.", "The consent is dated in the future."),
    "unknown_message_type": ("Dit berichttype is onbekend.", "This message type is not known."),
    "command_id_reused": (
        "U gebruikte dit command_id al voor een ander bericht; geef elk nieuw bericht een nieuw command_id.",
        "You used this command_id for another message already; give every new message a new command_id.",
    ),
    "unknown_question": ("Deze vraag is onbekend of al gesloten.", "This question is not known or already closed."),
    "consultation_closed": (
        "Deze vraag is gesloten: de termijn is verstreken of er is al geantwoord.",
        "This question is closed: its deadline passed or it was answered already.",
    ),
    "party_repeated": ("Een partij staat er dubbel in.", "A party is listed twice."),
    "unknown_meeting": ("Deze uitnodiging of dit overleg is onbekend.", "This invitation or meeting is not known."),
    "unknown_item": ("Dit informatie-item of dit verzoek is onbekend of al beantwoord.", "This item or request is not known or answered already."),
    "unknown_action": ("Deze actie is onbekend of niet van u.", "This action is not known or not yours."),
    "case_afgeschaald": ("Deze casus is afgeschaald.", "This case has been closed (afschaling)."),
    "unknown_referral": ("Deze aanmelding is onbekend.", "This referral is not known."),
    "referral_purged": (
        "De gegevens van deze aanmelding zijn al verwijderd (bewaartermijn).",
        "This referral's data has been deleted already (retention).",
    ),
}

_PYDANTIC_CODES = {
    "string_too_short": "too_short",
    "too_short": "too_short",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_pattern_mismatch": "invalid_format",
    "literal_error": "invalid_value",
    "enum": "invalid_value",
    "union_tag_invalid": "invalid_value",
    "union_tag_not_found": "missing",
    "date_parsing": "invalid_date",
    "date_from_datetime_parsing": "invalid_date",
    "date_type": "invalid_date",
    "datetime_parsing": "invalid_date",
    "datetime_from_date_parsing": "invalid_date",
    "timezone_aware": "invalid_date",
    "uuid_parsing": "invalid_format",
    "uuid_type": "invalid_format",
    "bool_parsing": "invalid_type",
    "bool_type": "invalid_type",
    "string_type": "invalid_type",
    "model_type": "invalid_type",
    "model_attributes_type": "invalid_type",
    "dict_type": "invalid_type",
    "tuple_type": "invalid_type",
    "list_type": "invalid_type",
    "int_parsing": "invalid_type",
    "int_type": "invalid_type",
}


class RejectionReason(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str  # dotted field path; "" for the message as a whole
    code: str
    message_nl: str
    message_en: str


def reason(path: str, code: str) -> RejectionReason:
    nl, en = MESSAGES.get(code, ("Deze waarde is ongeldig.", "This value is not valid."))
    return RejectionReason(path=path, code=code, message_nl=nl, message_en=en)


# A rejection names at most this many reasons, then one `more_reasons`: thousands of bad entries
# must not make a notice larger than Kafka takes (it would block the outbox behind it).
MAX_REASONS = 50


def bounded(reasons: list[RejectionReason]) -> tuple[RejectionReason, ...]:
    """At most `MAX_REASONS` reasons, and a final `more_reasons` when some were left out."""
    if len(reasons) <= MAX_REASONS:
        return tuple(reasons)
    return (*reasons[:MAX_REASONS], reason("", "more_reasons"))


def unreadable(path: str, exc: Exception) -> RejectionReason:
    """The reason for a sealed value at `path` that did not open: the key its `kid` names cannot
    be used (`<path>.kid`, a TransportKeyError's code), or it does not open with that key."""
    code = getattr(exc, "code", None)
    if isinstance(code, str) and code.startswith("transport_key_"):
        return reason(f"{path}.kid", code)
    return reason(path, "personal_data_unreadable")


def reasons_from(exc: ValidationError, prefix: str = "") -> list[RejectionReason]:
    """Reasons for every error of a pydantic validation, without its input values.

    A path element that is not a known field (an unknown key chosen by the sender) is replaced,
    so not even a key name from the input is echoed.
    """
    out = []
    for err in exc.errors(include_input=False, include_url=False, include_context=False):
        code = _PYDANTIC_CODES.get(err["type"], err["type"] if err["type"] in MESSAGES else "invalid_value")
        loc = [str(p) for p in err["loc"]]
        if err["type"] == "extra_forbidden" and loc:
            loc[-1] = "<unknown-field>"
        # Discriminated unions add the tag as a path element ("consent.consent.by_person").
        loc = [p for i, p in enumerate(loc) if not (i and p in ("consent", "safety_override") and loc[i - 1] == "consent")]
        out.append(reason(".".join(filter(None, [prefix, *loc])), code))
    return out
