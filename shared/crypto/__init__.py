"""Field-level encryption of personal data with per-case data keys, so a case can be crypto-shredded."""

from shared.crypto.keys import (
    MasterKey,
    case_aad,
    case_kid,
    new_data_key,
    party_key,
    party_kid,
    unwrap_data_key,
    wrap_data_key,
)
from shared.crypto.keystore import CaseKeyStore, KeyDestroyedError, UnknownCaseKeyError, case_keys_table
from shared.crypto.sealing import (
    CryptoError,
    DecryptionError,
    Sealed,
    open_model,
    open_sealed,
    open_text,
    seal,
    seal_model,
    seal_text,
)

__all__ = [
    "CaseKeyStore",
    "CryptoError",
    "DecryptionError",
    "KeyDestroyedError",
    "MasterKey",
    "Sealed",
    "UnknownCaseKeyError",
    "case_aad",
    "case_keys_table",
    "case_kid",
    "new_data_key",
    "open_model",
    "open_sealed",
    "open_text",
    "party_key",
    "party_kid",
    "seal",
    "seal_model",
    "seal_text",
    "unwrap_data_key",
    "wrap_data_key",
]
